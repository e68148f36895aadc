import { ListSecretsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import type { EnvironmentName } from '../../contracts/environments.js';

export interface SecretAge {
  readonly name: string;
  readonly ageDays: number;
  /** What the age counts from. */
  readonly since: 'last rotation' | 'last change' | 'creation';
  readonly rotationEnabled: boolean;
  /** When Secrets Manager rotates it next (automatic rotation only). */
  readonly nextRotation?: Date;
}

/** Its rotation state as on-call reads it: automatic (and when next), or rotated by its owner. */
export function rotationState(age: SecretAge): string {
  if (!age.rotationEnabled) return 'no automatic rotation: its owner rotates it';
  return `rotates automatically${age.nextRotation ? `, next ${age.nextRotation.toISOString().slice(0, 10)}` : ''}`;
}

/** Every secret of the environment (name prefix) with the days since it was last rotated or changed. */
export async function secretAges(secrets: SecretsManagerClient, prefix: string, now: Date): Promise<SecretAge[]> {
  const ages: SecretAge[] = [];
  let NextToken: string | undefined;
  do {
    const page = await secrets.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [`${prefix}/`] }], MaxResults: 100, NextToken }));
    for (const secret of page.SecretList ?? []) {
      if (!secret.Name?.startsWith(`${prefix}/`)) continue;
      const [since, date] = secret.LastRotatedDate
        ? (['last rotation', secret.LastRotatedDate] as const)
        : secret.LastChangedDate
          ? (['last change', secret.LastChangedDate] as const)
          : (['creation', secret.CreatedDate] as const);
      const ageDays = date ? Math.floor((now.getTime() - date.getTime()) / 86_400_000) : Number.POSITIVE_INFINITY;
      ages.push({ name: secret.Name, ageDays, since, rotationEnabled: secret.RotationEnabled ?? false, nextRotation: secret.NextRotationDate });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return ages.sort((a, b) => b.ageDays - a.ageDays);
}

/** One result naming each secret older than the rotation period, with its age. */
export function auditResult(ages: readonly SecretAge[], environment: EnvironmentName, maxAgeDays: number, startedAt: Date, now: Date): OpsResultInput {
  const stale = ages.filter((a) => a.ageDays > maxAgeDays);
  const describe = (a: SecretAge) => `${a.name}: ${Number.isFinite(a.ageDays) ? a.ageDays : '?'} days since ${a.since} (${rotationState(a)})`;
  return {
    kind: 'OpsResult',
    workflow: 'secret-age-audit',
    environment,
    outcome: stale.length ? 'failed' : 'succeeded',
    severity: stale.length ? 'warning' : 'info',
    summary: stale.length
      ? `${stale.length} of ${ages.length} secrets are older than ${maxAgeDays} days: ${stale.map(describe).join('; ')}`
      : `All ${ages.length} secrets were rotated or changed within ${maxAgeDays} days (oldest ${ages[0] ? describe(ages[0]) : 'none'}).`,
    startedAt: startedAt.toISOString(),
    finishedAt: now.toISOString(),
    durationSeconds: (now.getTime() - startedAt.getTime()) / 1000,
    measurements: ages.map((a) => ({ name: a.name, value: Number.isFinite(a.ageDays) ? a.ageDays : -1, unit: 'days', target: maxAgeDays, passed: a.ageDays <= maxAgeDays })),
    actionsTaken: ['Listed the secrets and their last rotation or change; nothing was changed'],
    howToUndo: stale.length
      ? 'Nothing to undo. Rotate each stale secret at its issuer, then store it: aws secretsmanager put-secret-value --secret-id <name> --secret-string <new value>'
      : 'Nothing to undo.',
  };
}
