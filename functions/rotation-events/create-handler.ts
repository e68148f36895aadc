import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { logger, tracer } from '../lib/powertools.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { handleRotationEvent, rotationEventSchema } from './events.js';

const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  STATE_MACHINE_ARN: envField.arn,
  TOPIC_ARN: envField.arn,
  CLUSTER_NAME: envField.text,
  SERVICE_NAMES: envField.list,
});

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly sfn: SFNClient; readonly sns: SNSClient }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const { sfn, sns } = { sfn: tracer.captureAWSv3Client(new SFNClient({})), sns: tracer.captureAWSv3Client(new SNSClient({})), ...overrides.clients };

  /** A malformed event is logged and dropped (a retry cannot fix it); AWS errors are rethrown for the retry policy. */
  async function lambdaHandler(event: unknown): Promise<string> {
    const parsed = rotationEventSchema.safeParse(event);
    if (!parsed.success) {
      logger.error('Not a Secrets Manager rotation event; ignored', { issues: parsed.error.issues });
      return 'ignored';
    }
    return handleRotationEvent(parsed.data, {
      sfn,
      publish: (result) => publishOpsResult(sns, env.TOPIC_ARN, result),
      config: { environment: env.ENVIRONMENT, stateMachineArn: env.STATE_MACHINE_ARN, cluster: env.CLUSTER_NAME, services: env.SERVICE_NAMES },
    });
  }

  return opsHandler(lambdaHandler, { correlationIdPath: 'id' });
}
