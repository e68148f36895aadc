import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { tracer } from '../lib/tracer.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { type RemediationDependencies, runRemediationAction } from './actions.js';

const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  AWS_REGION: envField.text,
  PREFIX: envField.text,
  CLUSTER_NAME: envField.text,
  DB_INSTANCE_ID: envField.text,
  KILL_SWITCH_PARAMETER: envField.text,
  DRY_RUN_PARAMETER: envField.text,
  TABLE_NAME: envField.text,
  LOCK_MINUTES: envField.positiveInt,
  COOLDOWN_MINUTES: envField.positiveInt,
  SCALE_OUT_STEP: envField.positiveInt,
  SCALE_OUT_DURATION_MINUTES: envField.positiveInt,
  SCALING_LIMITS: envField.scalingLimits,
  ALLOW_AUTOMATIC_ROLLBACK: envField.bool,
  DEPLOYMENT_RECENT_MINUTES: envField.positiveInt,
  HEALTH_URL: z.url({ protocol: /^https$/ }),
  HEALTH_CONSECUTIVE_SUCCESSES: envField.positiveInt,
  HEALTH_TIMEOUT_SECONDS: envField.positiveInt,
  HEALTH_WAIT_CAP_MINUTES: envField.positiveInt,
  RUNBOOK_DOCUMENT: envField.text,
  TOPIC_ARN: envField.arn,
});

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<RemediationDependencies['clients'] & { readonly sns: SNSClient }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const servicePrefix = `${env.PREFIX}-`;

  const { sns, ...clients } = {
    ecs: tracer.captureAWSv3Client(new ECSClient({})),
    autoscaling: tracer.captureAWSv3Client(new ApplicationAutoScalingClient({})),
    ssm: tracer.captureAWSv3Client(new SSMClient({})),
    dynamodb: tracer.captureAWSv3Client(new DynamoDBClient({})),
    sns: tracer.captureAWSv3Client(new SNSClient({})),
    fetch: (url: string, init?: RequestInit) => fetch(url, init),
    now: () => new Date(),
    ...overrides.clients,
  };
  const dependencies: RemediationDependencies = {
    clients,
    events: { prefix: env.PREFIX, databaseInstanceId: env.DB_INSTANCE_ID, runbookDocument: env.RUNBOOK_DOCUMENT },
    switches: { killSwitchParameter: env.KILL_SWITCH_PARAMETER, dryRunParameter: env.DRY_RUN_PARAMETER },
    guard: { tableName: env.TABLE_NAME, lockMinutes: env.LOCK_MINUTES, cooldownMinutes: env.COOLDOWN_MINUTES },
    runbooks: {
      environment: env.ENVIRONMENT,
      clusterName: env.CLUSTER_NAME,
      servicePrefix,
      scaleOutStep: env.SCALE_OUT_STEP,
      scaleOutDurationMinutes: env.SCALE_OUT_DURATION_MINUTES,
      serviceLimits: env.SCALING_LIMITS.services,
      allowAutomaticRollback: env.ALLOW_AUTOMATIC_ROLLBACK,
      deploymentRecentMinutes: env.DEPLOYMENT_RECENT_MINUTES,
    },
    probe: { url: env.HEALTH_URL, consecutiveSuccesses: env.HEALTH_CONSECUTIVE_SUCCESSES, timeoutSeconds: env.HEALTH_TIMEOUT_SECONDS, waitCapMinutes: env.HEALTH_WAIT_CAP_MINUTES },
    report: {
      environment: env.ENVIRONMENT,
      region: env.AWS_REGION,
      tableName: env.TABLE_NAME,
      clusterName: env.CLUSTER_NAME,
      servicePrefix,
      killSwitchParameter: env.KILL_SWITCH_PARAMETER,
      dryRunParameter: env.DRY_RUN_PARAMETER,
      consecutiveSuccesses: env.HEALTH_CONSECUTIVE_SUCCESSES,
    },
    publish: (result) => publishOpsResult(sns, env.TOPIC_ARN, result),
  };

  return opsHandler((event: unknown) => runRemediationAction(event, dependencies), { tracer });
}
