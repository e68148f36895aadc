import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { logger } from '../lib/powertools.js';
import { tracer } from '../lib/tracer.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { rotatedSecretsField } from '../lib/rotated-secrets.js';
import { handleRotationEvent, rotationEventSchema } from './events.js';

const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  STATE_MACHINE_ARN: envField.arn,
  TOPIC_ARN: envField.arn,
  CLUSTER_NAME: envField.text,
  ROTATED_SECRETS: rotatedSecretsField,
});

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly sfn: SFNClient; readonly sns: SNSClient; readonly secrets: SecretsManagerClient }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const { sfn, sns, secrets } = {
    sfn: tracer.captureAWSv3Client(new SFNClient({})),
    sns: tracer.captureAWSv3Client(new SNSClient({})),
    secrets: tracer.captureAWSv3Client(new SecretsManagerClient({})),
    ...overrides.clients,
  };

  /** A malformed event is logged and dropped (a retry cannot fix it); AWS errors are rethrown for the retry policy. */
  async function lambdaHandler(event: unknown): Promise<string> {
    const parsed = rotationEventSchema.safeParse(event);
    if (!parsed.success) {
      logger.error('Not a Secrets Manager rotation event; ignored', { issues: parsed.error.issues });
      return 'ignored';
    }
    const outcome = await handleRotationEvent(parsed.data, {
      sfn,
      secrets,
      publish: (result) => publishOpsResult(sns, env.TOPIC_ARN, result),
      config: { environment: env.ENVIRONMENT, stateMachineArn: env.STATE_MACHINE_ARN, cluster: env.CLUSTER_NAME, secrets: env.ROTATED_SECRETS },
    });
    if (outcome === 'ignored') logger.error('A rotation event for a secret this environment does not rotate; ignored', { secretId: parsed.data.detail.additionalEventData?.SecretId });
    return outcome;
  }

  return opsHandler(lambdaHandler, { correlationIdPath: 'id', tracer });
}
