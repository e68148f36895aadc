import { DescribeSecretCommand, type DescribeSecretCommandOutput, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type SFNClient, ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { FAILED_ROTATION_STATE, type RotatedSecret, SECRET_KINDS, isMinted } from '../lib/rotated-secrets.js';
import { completedStep } from '../lib/rotation-contract.js';
import { executionName } from '../lib/workflows.js';
import type { EnvironmentName } from '../../contracts/environments.js';

/** Secrets Manager's rotation events, as EventBridge delivers them from CloudTrail. */
export const rotationEventSchema = z.object({
  id: z.string(),
  time: z.string(),
  source: z.literal('aws.secretsmanager'),
  detail: z.object({
    eventName: z.enum(['RotationSucceeded', 'RotationFailed', 'RotationAbandoned']),
    additionalEventData: z.object({ SecretId: z.string() }).partial().optional(),
    serviceEventDetails: z.record(z.string(), z.unknown()).optional(),
    errorMessage: z.string().optional(),
  }),
});

export type RotationNotice = z.infer<typeof rotationEventSchema>;

export interface RotationEventsConfig {
  readonly environment: EnvironmentName;
  readonly stateMachineArn: string;
  readonly cluster: string;
  /** Every secret a function rotates, with the services that must restart on its new value. */
  readonly secrets: readonly RotatedSecret[];
}

export interface RotationEventsDeps {
  readonly sfn: SFNClient;
  readonly secrets: SecretsManagerClient;
  readonly publish: (result: OpsResultInput) => Promise<unknown>;
  readonly config: RotationEventsConfig;
}

export type RotationEventOutcome = 'started' | 'already-started' | 'reported' | 'ignored';

/** Secrets Manager names the secret by ARN in these events; a name or partial ARN also matches. */
function rotatedSecret(config: RotationEventsConfig, secretId: string | undefined): RotatedSecret | undefined {
  if (!secretId) return undefined;
  return config.secrets.find((s) => s.secretArn === secretId || s.secretArn.includes(`:secret:${secretId}`));
}

/**
 * A succeeded rotation of a secret services read starts the post-rotation workflow once (the execution is named
 * after the event, so a duplicate delivery starts nothing); one no service reads (the master) is reported at once,
 * as read back from Secrets Manager; a failed or abandoned one becomes a critical result for the on-call.
 */
export async function handleRotationEvent(notice: RotationNotice, deps: RotationEventsDeps): Promise<RotationEventOutcome> {
  const secretId = notice.detail.additionalEventData?.SecretId;
  const secret = rotatedSecret(deps.config, secretId);
  if (!secret || !secretId) return 'ignored';
  if (notice.detail.eventName === 'RotationSucceeded') {
    const current = await currentVersion(secret, deps);
    if (secret.services.length === 0) {
      await deps.publish(noRestartResult(notice, secret, current, deps.config));
      return 'reported';
    }
    try {
      await deps.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: deps.config.stateMachineArn,
          name: executionName('rotation', notice.id),
          // The version the services restart on: the workflow revokes the previous value only while it is still current.
          input: JSON.stringify({ secretId, kind: secret.kind, versionId: current.versionId, rotatedAt: notice.time, cluster: deps.config.cluster, services: secret.services }),
        }),
      );
      return 'started';
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return 'already-started';
      throw error;
    }
  }
  await deps.publish(failureResult(notice, secret, await deps.secrets.send(new DescribeSecretCommand({ SecretId: secret.secretArn })), deps.config));
  return 'reported';
}

const STEP_AFTER = { none: 'createSecret', createSecret: 'setSecret', setSecret: 'testSecret', testSecret: 'finishSecret' } as const;

/**
 * A failed or abandoned rotation as read back from Secrets Manager: the version still AWSCURRENT, the pending one,
 * and the last step the rotation function recorded for it, so the message says what the failure left in place.
 */
function failureResult(notice: RotationNotice, secret: RotatedSecret, description: DescribeSecretCommandOutput, config: RotationEventsConfig): OpsResultInput {
  const kind = SECRET_KINDS[secret.kind];
  const secretId = secret.secretArn;
  const reason = notice.detail.errorMessage ?? JSON.stringify(notice.detail.serviceEventDetails ?? {});
  const versions = Object.entries(description.VersionIdsToStages ?? {});
  const current = versions.find(([, stages]) => stages.includes('AWSCURRENT'))?.[0] ?? 'none';
  const pending = versions.find(([, stages]) => stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT'))?.[0];
  const failedAt = pending ? STEP_AFTER[completedStep(description.Tags, pending) ?? 'none'] : undefined;
  const fill = (text: string) => text.replaceAll('{current}', current).replaceAll('{pending}', pending ?? 'none');
  const state = !pending
    ? `No rotation is in progress any more (no AWSPENDING version besides AWSCURRENT, version ${current}).`
    : failedAt === 'createSecret' || !isMinted(secret.kind)
      ? `The rotation of version ${pending} failed at createSecret, which only stores the new value in Secrets Manager (AWSPENDING) and may or may not have stored it: nothing else was touched, and AWSCURRENT is still version ${current}.`
      : `The rotation of version ${pending} failed at ${failedAt}. ${fill(FAILED_ROTATION_STATE[secret.kind][failedAt ?? 'setSecret'])}`;
  // The master's setSecret may have changed the password before it failed: AWSPENDING may be the only one that logs in.
  const keepPending = secret.kind === 'database-master' && failedAt !== 'createSecret';
  const giveUp = pending && !keepPending ? ` To give it up instead: aws secretsmanager update-secret-version-stage --secret-id ${secretId} --version-stage AWSPENDING --remove-from-version-id ${pending}.` : '';
  return {
    kind: 'OpsResult',
    workflow: 'secret-rotation',
    environment: config.environment,
    outcome: 'failed',
    severity: 'critical',
    summary: `Rotation of ${kind.label} (${secretId}) ${notice.detail.eventName === 'RotationAbandoned' ? 'was abandoned' : 'failed'}: ${reason}`.slice(0, 1000) + ` ${state}`.slice(0, 1000),
    startedAt: notice.time,
    finishedAt: notice.time,
    durationSeconds: 0,
    actionsTaken: [
      ...(failedAt ? [`Read back ${secretId}: AWSCURRENT version ${current}, AWSPENDING version ${pending}, last completed step ${completedStep(description.Tags, pending ?? '') ?? 'none'}`] : [`Read back ${secretId}: AWSCURRENT version ${current}`]),
      secret.services.length > 0 ? `Restarted nothing: ${secret.services.join(' and ')} keep the AWSCURRENT value` : `Restarted nothing: ${secret.readers ?? 'no service reads it'}`,
    ],
    howToUndo: pending
      ? `Nothing to undo. Read the ${kind.rotatedBy} logs and fix the cause, then run aws secretsmanager rotate-secret --secret-id ${secretId}: Secrets Manager reattempts this rotation with the same version (${pending}), and every step is safe to repeat.${giveUp}`
      : `Nothing to undo. Read the ${kind.rotatedBy} logs, fix the cause, then run: aws secretsmanager rotate-secret --secret-id ${secretId}`,
  };
}

/** The version Secrets Manager holds as AWSCURRENT now, read back rather than assumed. */
async function currentVersion(secret: RotatedSecret, deps: RotationEventsDeps): Promise<{ versionId: string; rotatedAt?: string }> {
  const description = await deps.secrets.send(new DescribeSecretCommand({ SecretId: secret.secretArn }));
  const versionId = Object.entries(description.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
  if (!versionId) throw new Error(`${secret.secretArn} has no AWSCURRENT version`);
  return { versionId, rotatedAt: description.LastRotatedDate?.toISOString() };
}

function noRestartResult(notice: RotationNotice, secret: RotatedSecret, current: { versionId: string; rotatedAt?: string }, config: RotationEventsConfig): OpsResultInput {
  const kind = SECRET_KINDS[secret.kind];
  const rotatedAt = current.rotatedAt ?? notice.time;
  return {
    kind: 'OpsResult',
    workflow: 'secret-rotation',
    environment: config.environment,
    outcome: 'succeeded',
    severity: 'info',
    summary: `${kind.label.charAt(0).toUpperCase()}${kind.label.slice(1)} rotated (${kind.strategy}) at ${rotatedAt}: version ${current.versionId} is AWSCURRENT. Nothing restarted: ${secret.readers ?? 'no service reads them; the ops functions read them per connection'}.`,
    startedAt: notice.time,
    finishedAt: notice.time,
    durationSeconds: 0,
    actionsTaken: [`Rotated ${secret.secretArn} (${kind.strategy})`, 'Restarted nothing'],
    howToUndo: kind.rollback.replace('<secret>', secret.secretArn),
  };
}
