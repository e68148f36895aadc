import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { logger } from '../lib/powertools.js';
import { tracer } from '../lib/tracer.js';
import { awsCall } from '../lib/transient-error.js';
import { parseRotationEvent } from '../lib/rotation-contract.js';
import { type CacheRotationDeps, type RevocationState, checkRevocation, revokePreviousToken, rotateCacheAuthToken } from './rotation.js';

const environmentSchema = z.object({
    REPLICATION_GROUP_ID: envField.text,
    TOKEN_LENGTH: envField.positiveInt,
    MAX_WAIT_SECONDS: envField.positiveInt,
    POLL_SECONDS: envField.positiveInt,
    MAX_REVOCATION_CHECKS: envField.positiveInt,
});

/** The post-rotation workflow's tasks: revoke the previous token (SET), then look until ElastiCache applied it. */
const workflowTaskSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('revokePreviousToken'), secretId: z.string().min(1), versionId: z.string().min(1) }),
  z.object({ action: z.literal('checkRevocation'), checks: z.number().int().nonnegative() }),
]);

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(
  overrides: HandlerOverrides<{ readonly secrets: SecretsManagerClient; readonly elasticache: ElastiCacheClient; readonly sleep: (ms: number) => Promise<void> }> = {},
) {
  const env = readConfig(environmentSchema, overrides.environment);
  // The wait between looks at the group: a rehearsal's simulated clock passes it without waiting.
  const { secrets, elasticache, sleep } = {
    secrets: tracer.captureAWSv3Client(new SecretsManagerClient({})),
    elasticache: tracer.captureAWSv3Client(new ElastiCacheClient({})),
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    ...overrides.clients,
  };
  const dependencies: CacheRotationDeps = {
    secrets,
    elasticache,
    replicationGroupId: env.REPLICATION_GROUP_ID,
    tokenLength: env.TOKEN_LENGTH,
    maxWaitMs: env.MAX_WAIT_SECONDS * 1000,
    pollIntervalMs: env.POLL_SECONDS * 1000,
    sleep,
    log: (message, details) => logger.info(message, details ?? {}),
  };

  /**
   * Invoked by Secrets Manager with a rotation step (a failed step throws, per the rotation contract), or by the
   * post-rotation workflow with an action; the error of a malformed event names its fields.
   */
  async function lambdaHandler(event: unknown): Promise<RevocationState | undefined> {
    if (typeof event === 'object' && event !== null && 'action' in event) {
      const task = workflowTaskSchema.parse(event);
      // Both actions are safe to repeat, so a throttle or 5xx goes to the step's Retry instead of the failure report.
      return awsCall(task.action, () =>
        task.action === 'revokePreviousToken' ? revokePreviousToken(task, dependencies) : checkRevocation(dependencies, task.checks, env.MAX_REVOCATION_CHECKS),
      );
    }
    await rotateCacheAuthToken(parseRotationEvent(event), dependencies);
    return undefined;
  }

  return opsHandler(lambdaHandler, { correlationIdPath: 'ClientRequestToken', tracer });
}
