import { BackupClient } from '@aws-sdk/client-backup';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { metrics } from '../lib/powertools.js';
import { tracer } from '../lib/tracer.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { type VerificationClients, type VerificationConfig, verificationResult, verifyBackups } from './checks.js';

const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  DR_REGION: envField.text,
  DB_INSTANCE_ID: envField.text,
  REPLICA_INSTANCE_ID: envField.text,
  BACKUPS_BUCKET: envField.text,
  REPLICA_BUCKET: envField.text,
  FILE_SYSTEM_ARN: envField.arn,
  RPO_MINUTES: envField.positiveInt,
  RETENTION_DAYS: envField.positiveInt,
  SNAPSHOT_MAX_AGE_HOURS: envField.positiveInt,
  REPLICA_LAG_MAX_SECONDS: envField.positiveInt,
  EFS_MAX_AGE_HOURS: envField.positiveInt,
  EFS_RETENTION_DAYS: envField.positiveInt,
  DR_VAULT_NAME: envField.text,
  CLUSTER_NAME: envField.text,
  SERVICE_NAMES: envField.list,
  SECRET_IDS: envField.list,
  TOPIC_ARN: envField.arn,
});
const UNITS: Record<string, (typeof MetricUnit)[keyof typeof MetricUnit]> = { seconds: MetricUnit.Seconds, hours: MetricUnit.NoUnit, days: MetricUnit.NoUnit };

/** Checks every backup guarantee, records each figure as a metric, and returns the result for the topic. */
export async function verifyBackupsNow(deps: { clients: VerificationClients; config: VerificationConfig; now: () => Date }): Promise<{ passed: boolean; result: OpsResultInput }> {
  const startedAt = deps.now();
  const results = await verifyBackups(deps.clients, deps.config, startedAt);
  for (const check of results) {
    if (check.value >= 0) metrics.addMetric(check.name, UNITS[check.unit] ?? MetricUnit.Count, check.value);
    metrics.addMetric(`${check.name}Failed`, MetricUnit.Count, check.passed ? 0 : 1);
  }
  return { passed: results.every((r) => r.passed), result: verificationResult(results, deps.config, startedAt, deps.now()) };
}

/** What the state machine branches on; the full result goes to the topic. */
export interface VerificationSummary {
  readonly passed: boolean;
  readonly severity: OpsResultInput['severity'];
  readonly summary: string;
}

export async function verifyAndPublish(deps: { clients: VerificationClients; config: VerificationConfig; now: () => Date; publish: (result: OpsResultInput) => Promise<unknown> }): Promise<VerificationSummary> {
  const { passed, result } = await verifyBackupsNow(deps);
  await deps.publish(result);
  return { passed, severity: result.severity, summary: result.summary };
}


/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<VerificationClients & { readonly sns: SNSClient; readonly now: () => Date }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const config: VerificationConfig = {
    environment: env.ENVIRONMENT,
    databaseInstanceId: env.DB_INSTANCE_ID,
    replicaInstanceId: env.REPLICA_INSTANCE_ID,
    backupsBucket: env.BACKUPS_BUCKET,
    replicaBucket: env.REPLICA_BUCKET,
    fileSystemArn: env.FILE_SYSTEM_ARN,
    rpoMinutes: env.RPO_MINUTES,
    retentionDays: env.RETENTION_DAYS,
    snapshotMaxAgeHours: env.SNAPSHOT_MAX_AGE_HOURS,
    replicaLagMaxSeconds: env.REPLICA_LAG_MAX_SECONDS,
    efsMaxAgeHours: env.EFS_MAX_AGE_HOURS,
    efsRetentionDays: env.EFS_RETENTION_DAYS,
    dr: { region: env.DR_REGION, vaultName: env.DR_VAULT_NAME, clusterName: env.CLUSTER_NAME, serviceNames: env.SERVICE_NAMES, secretIds: env.SECRET_IDS },
  };

  const { sns, now, ...clients } = {
    rds: tracer.captureAWSv3Client(new RDSClient({})),
    s3: tracer.captureAWSv3Client(new S3Client({})),
    drS3: tracer.captureAWSv3Client(new S3Client({ region: env.DR_REGION })),
    backup: tracer.captureAWSv3Client(new BackupClient({})),
    cloudwatch: tracer.captureAWSv3Client(new CloudWatchClient({})),
    ecs: tracer.captureAWSv3Client(new ECSClient({})),
    ecr: tracer.captureAWSv3Client(new ECRClient({})),
    secrets: tracer.captureAWSv3Client(new SecretsManagerClient({})),
    drRds: tracer.captureAWSv3Client(new RDSClient({ region: env.DR_REGION })),
    drBackup: tracer.captureAWSv3Client(new BackupClient({ region: env.DR_REGION })),
    drEcr: tracer.captureAWSv3Client(new ECRClient({ region: env.DR_REGION })),
    sns: tracer.captureAWSv3Client(new SNSClient({})),
    now: () => new Date(),
    ...overrides.clients,
  };

  return opsHandler(() =>
    verifyAndPublish({ clients, config, now, publish: (result) => publishOpsResult(sns, env.TOPIC_ARN, result) }),
    { tracer },
  );
}
