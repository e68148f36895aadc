import { ECSClient } from '@aws-sdk/client-ecs';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { opsHandler } from '../lib/handler.js';
import { tracer } from '../lib/powertools.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { checkDeployments, postRotationResult } from './restart.js';

const env = readConfig(z.object({ ENVIRONMENT: envField.environment, TOPIC_ARN: envField.arn, MAX_CHECKS: envField.positiveInt }));
const ecs = tracer.captureAWSv3Client(new ECSClient({}));
const sns = tracer.captureAWSv3Client(new SNSClient({}));

const taskSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('checkDeployments'), cluster: z.string(), services: z.array(z.string()).min(1), attempts: z.number().int().nonnegative().optional() }),
  z.object({
    action: z.literal('report'),
    secretId: z.string(),
    services: z.array(z.string()),
    rotatedAt: z.string(),
    executionArn: z.string().optional(),
    error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
  }),
]);

/** The post-rotation state machine's tasks: poll the restarted services, then publish the result. */
export async function lambdaHandler(event: unknown): Promise<unknown> {
  const task = taskSchema.parse(event);
  if (task.action === 'checkDeployments') return checkDeployments(ecs, task, env.MAX_CHECKS);
  const result = postRotationResult({ ...task, environment: env.ENVIRONMENT }, new Date());
  await publishOpsResult(sns, env.TOPIC_ARN, result);
  return { outcome: result.outcome, summary: result.summary };
}

export const handler = opsHandler(lambdaHandler);
