import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { opsHandler } from '../lib/handler.js';
import { logger, tracer } from '../lib/powertools.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { handleRotationEvent, rotationEventSchema } from './events.js';

const env = readConfig(
  z.object({
    ENVIRONMENT: envField.environment,
    STATE_MACHINE_ARN: envField.arn,
    TOPIC_ARN: envField.arn,
    CLUSTER_NAME: envField.text,
    SERVICE_NAMES: envField.list,
  }),
);
const sfn = tracer.captureAWSv3Client(new SFNClient({}));
const sns = tracer.captureAWSv3Client(new SNSClient({}));

/** A malformed event is logged and dropped (a retry cannot fix it); AWS errors are rethrown for the retry policy. */
export async function lambdaHandler(event: unknown): Promise<string> {
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

export const handler = opsHandler(lambdaHandler, { correlationIdPath: 'id' });
