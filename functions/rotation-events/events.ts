import { type SFNClient, ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import type { OpsResultInput } from '../../contracts/ops-result.js';
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
  /** The services that read the database secret and so must restart on the new credentials. */
  readonly services: readonly string[];
}

/**
 * A succeeded rotation starts the post-rotation workflow once (the execution is named after the event, so a
 * duplicate delivery starts nothing); a failed or abandoned one becomes a critical result for the on-call.
 */
export async function handleRotationEvent(
  notice: RotationNotice,
  deps: { sfn: SFNClient; publish: (result: OpsResultInput) => Promise<unknown>; config: RotationEventsConfig },
): Promise<'started' | 'already-started' | 'reported'> {
  const secretId = notice.detail.additionalEventData?.SecretId ?? 'the database secret';
  if (notice.detail.eventName === 'RotationSucceeded') {
    try {
      await deps.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: deps.config.stateMachineArn,
          name: executionName('rotation', notice.id),
          input: JSON.stringify({ secretId, rotatedAt: notice.time, cluster: deps.config.cluster, services: deps.config.services }),
        }),
      );
      return 'started';
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return 'already-started';
      throw error;
    }
  }
  const reason = notice.detail.errorMessage ?? JSON.stringify(notice.detail.serviceEventDetails ?? {});
  await deps.publish({
    kind: 'OpsResult',
    workflow: 'secret-rotation',
    environment: deps.config.environment,
    outcome: 'failed',
    severity: 'critical',
    summary: `Rotation of ${secretId} ${notice.detail.eventName === 'RotationAbandoned' ? 'was abandoned' : 'failed'}: ${reason}`.slice(0, 1500),
    startedAt: notice.time,
    finishedAt: notice.time,
    durationSeconds: 0,
    actionsTaken: ['Nothing changed for the services: AWSCURRENT still holds the working credentials'],
    howToUndo:
      'Nothing to undo. Read the rotate-db-credentials logs, fix the cause (database reachable? master secret valid?), then run: aws secretsmanager rotate-secret --secret-id ' +
      secretId,
  });
  return 'reported';
}
