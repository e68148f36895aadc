import { ECSClient } from '@aws-sdk/client-ecs';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { opsHandler } from '../lib/handler.js';
import { tracer } from '../lib/powertools.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { type PostRotationDependencies, runPostRotationAction } from './actions.js';

const env = readConfig(
  z.object({
    ENVIRONMENT: envField.environment,
    TOPIC_ARN: envField.arn,
    MAX_CHECKS: envField.positiveInt,
    CLUSTER_NAME: envField.text,
    SERVICE_NAMES: envField.list,
  }),
);
const sns = tracer.captureAWSv3Client(new SNSClient({}));

const dependencies: PostRotationDependencies = {
  ecs: tracer.captureAWSv3Client(new ECSClient({})),
  settings: { environment: env.ENVIRONMENT, clusterName: env.CLUSTER_NAME, serviceNames: env.SERVICE_NAMES },
  maxChecks: env.MAX_CHECKS,
  publish: (result) => publishOpsResult(sns, env.TOPIC_ARN, result),
  now: () => new Date(),
};

export const handler = opsHandler((event: unknown) => runPostRotationAction(event, dependencies));
