import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { tracer } from '../lib/tracer.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { type FailoverDrillDependencies, runDrillAction } from './actions.js';

const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  AWS_REGION: envField.text,
  DB_INSTANCE_ID: envField.text,
  REPLICATION_GROUP_ID: envField.text,
  ALARM_PREFIX: envField.text,
  ERROR_RATE_ALARMS: envField.list,
  ERROR_RATE_ALARM_MAX_MINUTES: envField.positiveInt,
  DRILL_LOCK_TABLE: envField.text,
  DRILL_LOCK_MAX_MINUTES: envField.positiveInt,
  MAINTENANCE_WINDOW: envField.text,
  DRILL_MAX_MINUTES: envField.positiveInt,
  DATABASE_WAIT_CAP_MINUTES: envField.positiveInt,
  CACHE_WAIT_CAP_MINUTES: envField.positiveInt,
  HEALTH_URL: z.url({ protocol: /^https$/ }),
  HEALTH_CONSECUTIVE_SUCCESSES: envField.positiveInt,
  HEALTH_TIMEOUT_SECONDS: envField.positiveInt,
  HEALTH_WAIT_CAP_MINUTES: envField.positiveInt,
  TARGET_DATABASE_FAILOVER_SECONDS: envField.positiveInt,
  TARGET_CACHE_FAILOVER_SECONDS: envField.positiveInt,
  TARGET_APPLICATION_HEALTHY_SECONDS: envField.positiveInt,
  REPORTS_BUCKET: envField.text,
  TOPIC_ARN: envField.arn,
});

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<FailoverDrillDependencies['clients'] & { readonly s3: S3Client; readonly sns: SNSClient }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const { s3, sns, ...clients } = {
    rds: tracer.captureAWSv3Client(new RDSClient({})),
    elasticache: tracer.captureAWSv3Client(new ElastiCacheClient({})),
    cloudwatch: tracer.captureAWSv3Client(new CloudWatchClient({})),
    dynamodb: tracer.captureAWSv3Client(new DynamoDBClient({})),
    s3: tracer.captureAWSv3Client(new S3Client({})),
    sns: tracer.captureAWSv3Client(new SNSClient({})),
    fetch: (url: string, init?: RequestInit) => fetch(url, init),
    now: () => new Date(),
    ...overrides.clients,
  };
  const dependencies: FailoverDrillDependencies = {
    clients,
    s3,
    settings: {
      environment: env.ENVIRONMENT,
      databaseInstanceId: env.DB_INSTANCE_ID,
      replicationGroupId: env.REPLICATION_GROUP_ID,
      alarmPrefix: env.ALARM_PREFIX,
      errorRateAlarms: env.ERROR_RATE_ALARMS,
      errorRateAlarmMaxMinutes: env.ERROR_RATE_ALARM_MAX_MINUTES,
      lock: { tableName: env.DRILL_LOCK_TABLE, maxMinutes: env.DRILL_LOCK_MAX_MINUTES },
      maintenanceWindow: env.MAINTENANCE_WINDOW,
      drillMaxMinutes: env.DRILL_MAX_MINUTES,
      databaseWaitCapMinutes: env.DATABASE_WAIT_CAP_MINUTES,
      cacheWaitCapMinutes: env.CACHE_WAIT_CAP_MINUTES,
      probe: {
        url: env.HEALTH_URL,
        consecutiveSuccesses: env.HEALTH_CONSECUTIVE_SUCCESSES,
        timeoutSeconds: env.HEALTH_TIMEOUT_SECONDS,
        waitCapMinutes: env.HEALTH_WAIT_CAP_MINUTES,
      },
    },
    report: {
      environment: env.ENVIRONMENT,
      region: env.AWS_REGION,
      databaseInstanceId: env.DB_INSTANCE_ID,
      replicationGroupId: env.REPLICATION_GROUP_ID,
      consecutiveSuccesses: env.HEALTH_CONSECUTIVE_SUCCESSES,
      targets: {
        databaseFailoverSeconds: env.TARGET_DATABASE_FAILOVER_SECONDS,
        cacheFailoverSeconds: env.TARGET_CACHE_FAILOVER_SECONDS,
        applicationHealthySeconds: env.TARGET_APPLICATION_HEALTHY_SECONDS,
      },
      reportsBucket: env.REPORTS_BUCKET,
      lockTableName: env.DRILL_LOCK_TABLE,
    },
    publish: (result) => publishOpsResult(sns, env.TOPIC_ARN, result),
  };

  return opsHandler((event: unknown) => runDrillAction(event, dependencies), { correlationIdPath: 'executionName', tracer });
}
