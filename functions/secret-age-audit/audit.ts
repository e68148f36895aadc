import { ListSecretsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import { ROTATION_TAGS, mention, putCommand } from '../lib/owner-secrets.js';

/** A rotation request to the secret's owner still open: AWSPENDING staged, waiting for their value. */
export interface OpenRequest {
  readonly requestedAt: Date;
  readonly ageDays: number;
}

export interface SecretAge {
  readonly name: string;
  readonly ageDays: number;
  /** What the age counts from. */
  readonly since: 'last rotation' | 'last change' | 'creation';
  readonly rotationEnabled: boolean;
  /** When Secrets Manager rotates it next (automatic rotation only). */
  readonly nextRotation?: Date;
  /** Who rotates it at its issuer (its `owner` tag), for the secrets no function can mint. */
  readonly owner?: string;
  readonly openRequest?: OpenRequest;
}

const DAY_MS = 86_400_000;
const day = (date: Date) => date.toISOString().slice(0, 10);

/** Its rotation state as on-call reads it: automatic (and when next), waiting for its owner, or rotated by hand. */
export function rotationState(age: SecretAge): string {
  if (age.openRequest && age.owner) return `waiting for ${age.owner} since ${day(age.openRequest.requestedAt)} (${age.openRequest.ageDays} days): rotation requested, new value not promoted`;
  if (age.owner && age.rotationEnabled) return `rotated by ${age.owner} on request${age.nextRotation ? `, next request ${day(age.nextRotation)}` : ''}`;
  if (!age.rotationEnabled) return `no automatic rotation: ${age.owner ?? 'its owner'} rotates it`;
  return `rotates automatically${age.nextRotation ? `, next ${day(age.nextRotation)}` : ''}`;
}

/** Every secret of the environment (name prefix) with the days since it was last rotated or changed, and any open request. */
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
      const ageDays = date ? Math.floor((now.getTime() - date.getTime()) / DAY_MS) : Number.POSITIVE_INFINITY;
      const tags = Object.fromEntries((secret.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
      // Open while the version the request was made for is still AWSPENDING (finishSecret removes the tags anyway).
      const requestedVersion = tags[ROTATION_TAGS.requestedVersion];
      const stages = requestedVersion ? secret.SecretVersionsToStages?.[requestedVersion] : undefined;
      const requestedAt = tags[ROTATION_TAGS.requestedAt] ? new Date(tags[ROTATION_TAGS.requestedAt]) : undefined;
      const open = requestedAt && !Number.isNaN(requestedAt.getTime()) && stages?.includes('AWSPENDING') && !stages.includes('AWSCURRENT');
      ages.push({
        name: secret.Name,
        ageDays,
        since,
        rotationEnabled: secret.RotationEnabled ?? false,
        nextRotation: secret.NextRotationDate,
        owner: tags[ROTATION_TAGS.owner],
        openRequest: open ? { requestedAt, ageDays: Math.floor((now.getTime() - requestedAt.getTime()) / DAY_MS) } : undefined,
      });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return ages.sort((a, b) => b.ageDays - a.ageDays);
}

/** One result naming each secret older than the rotation period, with its age and rotation state. */
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
      ? 'Nothing to undo. A secret waiting for its owner rotates once they store the new value (fhops secret put <name> --env <env>); one that rotates automatically is failing its rotation: read its rotation function\'s logs (docs/runbooks/secret-age-audit.md).'
      : 'Nothing to undo.',
  };
}

/**
 * A daily reminder per open rotation request, to its owner; overdue (open longer than `escalateAfterDays`) it is
 * critical, so it goes to the incidents channel.
 */
export function reminders(ages: readonly SecretAge[], environment: EnvironmentName, escalateAfterDays: number, prefix: string, now: Date): OpsResultInput[] {
  return ages.flatMap((age) => {
    if (!age.openRequest || !age.owner) return [];
    const overdue = age.openRequest.ageDays > escalateAfterDays;
    const name = age.name.slice(prefix.length + 1);
    return [
      {
        kind: 'OpsResult' as const,
        workflow: 'secret-age-audit',
        environment,
        outcome: 'skipped' as const,
        severity: overdue ? ('critical' as const) : ('warning' as const),
        summary: `${overdue ? 'OVERDUE: ' : 'Reminder: '}${mention(age.owner)}, the rotation of ${environment} ${name} requested on ${day(age.openRequest.requestedAt)} (${age.openRequest.ageDays} days ago) still waits for its new value${overdue ? `, past the ${escalateAfterDays} days allowed` : ''}. Nothing is rotated until it is stored; the services keep the current value.`,
        startedAt: now.toISOString(),
        finishedAt: now.toISOString(),
        durationSeconds: 0,
        actionsTaken: [`Read the open request of ${age.name} (rotation-requested-at tag, AWSPENDING version without a value promoted); nothing was changed`],
        howToUndo: `Nothing to undo. Make a new value at the issuer, then: ${putCommand({ name }, environment)}. Runbook: docs/runbooks/rotate-owner-secret.md`,
      },
    ];
  });
}
