import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { ownerSecretsField } from '../lib/owner-secrets.js';
import { logger } from '../lib/powertools.js';
import { tracer } from '../lib/tracer.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { parseRotationEvent } from '../lib/rotation-contract.js';
import { type CheckFetch, rotateOwnerSecret } from './rotation.js';

const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  TOPIC_ARN: envField.arn,
  OWNER_SECRETS: ownerSecretsField,
});

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly secrets: SecretsManagerClient; readonly sns: SNSClient; readonly fetch: CheckFetch; readonly now: () => Date }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const { secrets, sns, fetch, now } = {
    secrets: tracer.captureAWSv3Client(new SecretsManagerClient({})),
    sns: tracer.captureAWSv3Client(new SNSClient({})),
    fetch: globalThis.fetch as CheckFetch,
    now: () => new Date(),
    ...overrides.clients,
  };

  /**
   * The Secrets Manager rotation contract: a failed step throws, so Secrets Manager marks the rotation failed and
   * reattempts it; the error says why (waiting for the owner, or the check refused the value) and never holds a value.
   */
  async function lambdaHandler(event: unknown): Promise<void> {
    await rotateOwnerSecret(parseRotationEvent(event), {
      secrets,
      environment: env.ENVIRONMENT,
      ownerSecrets: env.OWNER_SECRETS,
      publish: (result) => publishOpsResult(sns, env.TOPIC_ARN, result),
      fetch,
      now,
      log: (message, details) => logger.info(message, details ?? {}),
    });
  }

  return opsHandler(lambdaHandler, { correlationIdPath: 'ClientRequestToken', tracer });
}
