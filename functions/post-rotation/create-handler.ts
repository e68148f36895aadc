import { ECSClient } from '@aws-sdk/client-ecs';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { tracer } from '../lib/tracer.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { type PostRotationDependencies, runPostRotationAction } from './actions.js';

const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  TOPIC_ARN: envField.arn,
  MAX_CHECKS: envField.positiveInt,
  CLUSTER_NAME: envField.text,
  SERVICE_NAMES: envField.list,
});

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly ecs: ECSClient; readonly sns: SNSClient; readonly now: () => Date }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const { ecs, sns, now } = {
    ecs: tracer.captureAWSv3Client(new ECSClient({})),
    sns: tracer.captureAWSv3Client(new SNSClient({})),
    now: () => new Date(),
    ...overrides.clients,
  };

  const dependencies: PostRotationDependencies = {
    ecs,
    settings: { environment: env.ENVIRONMENT, clusterName: env.CLUSTER_NAME, serviceNames: env.SERVICE_NAMES },
    maxChecks: env.MAX_CHECKS,
    publish: (result) => publishOpsResult(sns, env.TOPIC_ARN, result),
    now,
  };

  return opsHandler((event: unknown) => runPostRotationAction(event, dependencies), { tracer });
}
