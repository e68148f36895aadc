import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SNSClient } from '@aws-sdk/client-sns';
import { readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { tracer } from '../lib/tracer.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { type SmokeTestClients, type SmokeTestDependencies, runSmokeTestAction } from './actions.js';
import { smokeTestEnvironment } from './config.js';

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<SmokeTestClients & { readonly sns: SNSClient }> = {}) {
  const env = readConfig(smokeTestEnvironment, overrides.environment);
  const { sns, ...clients } = {
    ecs: tracer.captureAWSv3Client(new ECSClient({})),
    elb: tracer.captureAWSv3Client(new ElasticLoadBalancingV2Client({})),
    cloudwatch: tracer.captureAWSv3Client(new CloudWatchClient({})),
    sns: tracer.captureAWSv3Client(new SNSClient({})),
    fetch: (url: string, init?: RequestInit) => fetch(url, init),
    now: () => new Date(),
    ...overrides.clients,
  };
  const dependencies: SmokeTestDependencies = {
    clients,
    deployment: { environment: env.ENVIRONMENT, region: env.AWS_REGION, account: env.ACCOUNT_ID, clusterName: env.CLUSTER_NAME, servicePrefix: env.SERVICE_PREFIX },
    checks: {
      endpoints: env.HEALTH_ENDPOINTS,
      targetGroups: env.TARGET_GROUPS,
      alarmNames: env.ALARM_NAMES,
      rounds: env.ROUNDS,
      pollSeconds: env.POLL_SECONDS,
      maxConsecutiveFailures: env.MAX_CONSECUTIVE_FAILURES,
      timeoutSeconds: env.PROBE_TIMEOUT_SECONDS,
    },
    rollback: { environment: env.ENVIRONMENT, clusterName: env.CLUSTER_NAME, servicePrefix: env.SERVICE_PREFIX, mode: env.ROLLBACK, slashCommand: env.SLACK_COMMAND },
    publish: (result) => publishOpsResult(sns, env.TOPIC_ARN, result),
  };
  return opsHandler((event: unknown) => runSmokeTestAction(event, dependencies), { correlationIdPath: 'executionArn', tracer });
}
