import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { tracer } from '../lib/tracer.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { type OverrideDependencies, runOverrideAction } from './actions.js';

const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  CLUSTER_NAME: envField.text,
  SERVICE_PREFIX: envField.text,
  STATE_MACHINE_ARN: envField.arn,
  SCALING_LIMITS: envField.scalingLimits,
  TOPIC_ARN: envField.arn,
});

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<OverrideDependencies['clients'] & { readonly sns: SNSClient }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const settings = { clusterName: env.CLUSTER_NAME, servicePrefix: env.SERVICE_PREFIX, stateMachineArn: env.STATE_MACHINE_ARN };

  const { sns, ...clients } = {
    autoscaling: tracer.captureAWSv3Client(new ApplicationAutoScalingClient({})),
    sfn: tracer.captureAWSv3Client(new SFNClient({})),
    sns: tracer.captureAWSv3Client(new SNSClient({})),
    now: () => new Date(),
    ...overrides.clients,
  };
  const dependencies: OverrideDependencies = {
    clients,
    settings,
    limits: { environment: env.ENVIRONMENT, ...env.SCALING_LIMITS },
    report: { ...settings, environment: env.ENVIRONMENT },
    publish: (result) => publishOpsResult(sns, env.TOPIC_ARN, result),
  };

  return opsHandler((event: unknown) => runOverrideAction(event, dependencies), { tracer });
}
