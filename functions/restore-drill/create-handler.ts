import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { connectAsMaster } from '../lib/master-credentials.js';
import { tracer } from '../lib/tracer.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { type DrillDependencies, runDrillAction } from './actions.js';

const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  AWS_REGION: envField.text,
  SOURCE_INSTANCE_ID: envField.text,
  REPLICA_INSTANCE_ID: envField.text,
  DRILL_INSTANCE_PREFIX: envField.text,
  DRILL_SECURITY_GROUP_ID: envField.text,
  MASTER_SECRET_ARN: envField.arn,
  DATABASE_NAME: envField.text,
  REPORTS_BUCKET: envField.text,
  TOPIC_ARN: envField.arn,
  RTO_MINUTES: envField.positiveInt,
  RPO_MINUTES: envField.positiveInt,
  CRITICAL_TABLES: envField.list,
  ROW_COUNT_TOLERANCE_PERCENT: z.coerce.number().nonnegative(),
  DRILL_SCHEMA: envField.text,
  POLL_INITIAL_SECONDS: envField.positiveInt,
  POLL_MAX_SECONDS: envField.positiveInt,
  RESTORE_WAIT_CAP_MINUTES: envField.positiveInt,
  DELETE_WAIT_CAP_MINUTES: envField.positiveInt,
  DRILL_LOCK_TABLE: envField.text,
  DRILL_LOCK_MAX_MINUTES: envField.positiveInt,
});

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly rds: RDSClient; readonly s3: S3Client; readonly dynamodb: DynamoDBClient; readonly secrets: SecretsManagerClient; readonly sns: SNSClient; readonly now: () => Date }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const { rds, s3, dynamodb, secrets, sns, now } = {
    rds: tracer.captureAWSv3Client(new RDSClient({})),
    dynamodb: tracer.captureAWSv3Client(new DynamoDBClient({})),
    s3: tracer.captureAWSv3Client(new S3Client({})),
    secrets: tracer.captureAWSv3Client(new SecretsManagerClient({})),
    sns: tracer.captureAWSv3Client(new SNSClient({})),
    now: () => new Date(),
    ...overrides.clients,
  };

  /** The source side of the comparison: the read replica (no load on the primary), or the primary when the replica is away. */
  async function sourceEndpoint(): Promise<{ host?: string; port?: number }> {
    const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: env.REPLICA_INSTANCE_ID }));
    const replica = DBInstances[0];
    return replica?.DBInstanceStatus === 'available' && replica.Endpoint?.Address ? { host: replica.Endpoint.Address, port: replica.Endpoint.Port } : {};
  }

  const dependencies: DrillDependencies = {
    rds,
    s3,
    dynamodb,
    lock: { tableName: env.DRILL_LOCK_TABLE, maxMinutes: env.DRILL_LOCK_MAX_MINUTES },
    config: {
      environment: env.ENVIRONMENT,
      region: env.AWS_REGION,
      sourceInstanceId: env.SOURCE_INSTANCE_ID,
      replicaInstanceId: env.REPLICA_INSTANCE_ID,
      drillInstancePrefix: env.DRILL_INSTANCE_PREFIX,
      drillSecurityGroupId: env.DRILL_SECURITY_GROUP_ID,
      pollInitialSeconds: env.POLL_INITIAL_SECONDS,
      pollMaxSeconds: env.POLL_MAX_SECONDS,
      restoreWaitCapMinutes: env.RESTORE_WAIT_CAP_MINUTES,
      deleteWaitCapMinutes: env.DELETE_WAIT_CAP_MINUTES,
    },
    report: { environment: env.ENVIRONMENT, region: env.AWS_REGION, rtoMinutes: env.RTO_MINUTES, rpoMinutes: env.RPO_MINUTES, rowCountTolerancePercent: env.ROW_COUNT_TOLERANCE_PERCENT, reportsBucket: env.REPORTS_BUCKET, lockTableName: env.DRILL_LOCK_TABLE },
    verification: { schema: env.DRILL_SCHEMA, criticalTables: env.CRITICAL_TABLES, rowCountTolerancePercent: env.ROW_COUNT_TOLERANCE_PERCENT },
    // Master credentials are read per connection, and a restored instance may hold the password from before the last
    // rotation: connectAsMaster tries AWSCURRENT, then AWSPENDING and AWSPREVIOUS.
    connect: async (host, port) => {
      const target = host ? { host, port } : await sourceEndpoint();
      return (await connectAsMaster({ secrets }, env.MASTER_SECRET_ARN, { ...target, database: env.DATABASE_NAME })).client;
    },
    publish: (result) => publishOpsResult(sns, env.TOPIC_ARN, result),
    now,
  };

  return opsHandler((event: unknown) => runDrillAction(event, dependencies), { correlationIdPath: 'executionName', tracer });
}
