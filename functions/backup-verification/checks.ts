import { type BackupClient, DescribeRecoveryPointCommand, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { type CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, type RDSClient } from '@aws-sdk/client-rds';
import { GetBucketReplicationCommand, GetBucketVersioningCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { EnvironmentName } from '../../contracts/environments.js';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { TransientError, isTransient } from '../lib/transient-error.js';
import { DR_CHECKS } from './dr-checks.js';

/** What must be in the DR region for a recovery there. */
export interface DrVerificationConfig {
  readonly region: string;
  /** Backup vault the EFS recovery points are copied into. */
  readonly vaultName: string;
  /** Where the running image tags are read from. */
  readonly clusterName: string;
  readonly serviceNames: readonly string[];
  /** Secrets that must have an in-sync replica there. */
  readonly secretIds: readonly string[];
}

export interface VerificationConfig {
  readonly environment: EnvironmentName;
  readonly databaseInstanceId: string;
  readonly replicaInstanceId: string;
  readonly backupsBucket: string;
  readonly replicaBucket: string;
  readonly fileSystemArn: string;
  readonly rpoMinutes: number;
  readonly retentionDays: number;
  readonly snapshotMaxAgeHours: number;
  readonly replicaLagMaxSeconds: number;
  readonly efsMaxAgeHours: number;
  readonly efsRetentionDays: number;
  readonly dr: DrVerificationConfig;
}

export interface VerificationClients {
  readonly rds: RDSClient;
  readonly s3: S3Client;
  /** An S3 client in the DR region, where the replica bucket lives. */
  readonly drS3: S3Client;
  readonly backup: BackupClient;
  readonly cloudwatch: CloudWatchClient;
  readonly ecs: ECSClient;
  readonly ecr: ECRClient;
  readonly secrets: SecretsManagerClient;
  /** Clients in the DR region: replicated automated backups, the DR vault, replicated images. */
  readonly drRds: RDSClient;
  readonly drBackup: BackupClient;
  readonly drEcr: ECRClient;
}

export interface CheckResult {
  /** Stable name, also the CloudWatch metric name. */
  readonly name: string;
  readonly passed: boolean;
  readonly value: number;
  readonly unit: string;
  readonly target: number;
  readonly detail: string;
}

export type Check = (clients: VerificationClients, config: VerificationConfig, now: Date) => Promise<CheckResult>;

const hours = (ms: number) => Math.round((ms / 3_600_000) * 10) / 10;

async function describeInstance(rds: RDSClient, id: string) {
  const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  const instance = DBInstances[0];
  if (!instance) throw new Error(`${id} not found`);
  return instance;
}

const backupRetention: Check = async ({ rds }, config) => {
  const instance = await describeInstance(rds, config.databaseInstanceId);
  const days = instance.BackupRetentionPeriod ?? 0;
  return {
    name: 'BackupRetentionDays',
    passed: days >= config.retentionDays,
    value: days,
    unit: 'days',
    target: config.retentionDays,
    detail: days === 0 ? 'automated backups are OFF' : `automated backups kept ${days} days`,
  };
};

const rpoLag: Check = async ({ rds }, config, now) => {
  const instance = await describeInstance(rds, config.databaseInstanceId);
  const latest = instance.LatestRestorableTime;
  const lagSeconds = latest ? Math.max(0, Math.round((now.getTime() - latest.getTime()) / 1000)) : Number.POSITIVE_INFINITY;
  return {
    name: 'RpoLagSeconds',
    passed: lagSeconds <= config.rpoMinutes * 60,
    value: Number.isFinite(lagSeconds) ? lagSeconds : -1,
    unit: 'seconds',
    target: config.rpoMinutes * 60,
    detail: latest ? `latest restorable time ${latest.toISOString()} is ${Math.round(lagSeconds / 60)} min behind` : 'no latest restorable time: point-in-time recovery is not possible',
  };
};

const recentSnapshot: Check = async ({ rds }, config, now) => {
  const { DBSnapshots = [] } = await rds.send(
    new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: config.databaseInstanceId, SnapshotType: 'automated' }),
  );
  const newest = DBSnapshots.filter((s) => s.Status === 'available' && s.SnapshotCreateTime)
    .map((s) => s.SnapshotCreateTime!.getTime())
    .sort((a, b) => b - a)[0];
  const age = newest === undefined ? Number.POSITIVE_INFINITY : hours(now.getTime() - newest);
  return {
    name: 'SnapshotAgeHours',
    passed: age <= config.snapshotMaxAgeHours,
    value: Number.isFinite(age) ? age : -1,
    unit: 'hours',
    target: config.snapshotMaxAgeHours,
    detail: newest === undefined ? 'no available automated snapshot' : `newest automated snapshot is ${age} h old`,
  };
};

const replicaLag: Check = async ({ cloudwatch }, config, now) => {
  const { Datapoints = [] } = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/RDS',
      MetricName: 'ReplicaLag',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: config.replicaInstanceId }],
      StartTime: new Date(now.getTime() - 10 * 60_000),
      EndTime: now,
      Period: 60,
      Statistics: ['Maximum'],
    }),
  );
  const worst = Datapoints.reduce((max, d) => Math.max(max, d.Maximum ?? 0), Datapoints.length ? 0 : -1);
  return {
    name: 'ReplicaLagSeconds',
    passed: worst >= 0 && worst <= config.replicaLagMaxSeconds,
    value: worst,
    unit: 'seconds',
    target: config.replicaLagMaxSeconds,
    detail: worst < 0 ? `no ReplicaLag data for ${config.replicaInstanceId} in the last 10 minutes` : `read replica lag at most ${worst} s in the last 10 minutes`,
  };
};

const bucketVersioning: Check = async ({ s3 }, config) => {
  const { Status } = await s3.send(new GetBucketVersioningCommand({ Bucket: config.backupsBucket }));
  return {
    name: 'BackupsBucketVersioning',
    passed: Status === 'Enabled',
    value: Status === 'Enabled' ? 1 : 0,
    unit: 'enabled',
    target: 1,
    detail: `versioning ${Status ?? 'never enabled'} on ${config.backupsBucket}`,
  };
};

const bucketReplication: Check = async ({ s3, drS3 }, config) => {
  const { ReplicationConfiguration } = await s3.send(new GetBucketReplicationCommand({ Bucket: config.backupsBucket }));
  const rule = ReplicationConfiguration?.Rules?.find((r) => r.Destination?.Bucket === `arn:aws:s3:::${config.replicaBucket}`);
  let reachable = false;
  let problem = '';
  try {
    await drS3.send(new HeadBucketCommand({ Bucket: config.replicaBucket }));
    reachable = true;
  } catch (error) {
    if (isTransient(error)) throw error;
    problem = `; replica bucket not reachable: ${error instanceof Error ? error.name : String(error)}`;
  }
  const enabled = rule?.Status === 'Enabled';
  return {
    name: 'BackupsReplicationHealthy',
    passed: enabled && reachable,
    value: enabled && reachable ? 1 : 0,
    unit: 'healthy',
    target: 1,
    detail: `${rule ? `replication rule to ${config.replicaBucket} is ${rule.Status}` : `no replication rule to ${config.replicaBucket}`}${problem}`,
  };
};

const efsRecoveryPoint: Check = async ({ backup }, config, now) => {
  const { RecoveryPoints = [] } = await backup.send(new ListRecoveryPointsByResourceCommand({ ResourceArn: config.fileSystemArn, MaxResults: 20 }));
  const completed = RecoveryPoints.filter((p) => p.Status === 'COMPLETED' && p.CreationDate).sort(
    (a, b) => b.CreationDate!.getTime() - a.CreationDate!.getTime(),
  );
  const newest = completed[0];
  const age = newest ? hours(now.getTime() - newest.CreationDate!.getTime()) : Number.POSITIVE_INFINITY;
  // The list does not say how long a point is kept; its description does.
  let keptDays: number | undefined;
  if (newest?.RecoveryPointArn && newest.BackupVaultName) {
    const described = await backup.send(new DescribeRecoveryPointCommand({ BackupVaultName: newest.BackupVaultName, RecoveryPointArn: newest.RecoveryPointArn }));
    const deleteAt = described.CalculatedLifecycle?.DeleteAt;
    keptDays = described.Lifecycle?.DeleteAfterDays ?? (deleteAt && newest.CreationDate ? Math.round((deleteAt.getTime() - newest.CreationDate.getTime()) / 86_400_000) : undefined);
  }
  const retentionOk = keptDays === config.efsRetentionDays;
  return {
    name: 'EfsRecoveryPointAgeHours',
    passed: age <= config.efsMaxAgeHours && retentionOk,
    value: Number.isFinite(age) ? age : -1,
    unit: 'hours',
    target: config.efsMaxAgeHours,
    detail: newest
      ? `newest completed EFS recovery point is ${age} h old, kept ${keptDays === undefined ? 'without expiry' : `${keptDays} days`} (expected ${config.efsRetentionDays})`
      : 'no completed EFS recovery point',
  };
};

export const CHECKS: readonly { readonly name: string; readonly run: Check }[] = [
  { name: 'BackupRetentionDays', run: backupRetention },
  { name: 'RpoLagSeconds', run: rpoLag },
  { name: 'SnapshotAgeHours', run: recentSnapshot },
  { name: 'ReplicaLagSeconds', run: replicaLag },
  { name: 'BackupsBucketVersioning', run: bucketVersioning },
  { name: 'BackupsReplicationHealthy', run: bucketReplication },
  { name: 'EfsRecoveryPointAgeHours', run: efsRecoveryPoint },
  ...DR_CHECKS,
];

/**
 * Runs every check; a check AWS refuses (denied, not found) fails with the reason, and the others still run. A throttle
 * or 5xx says nothing about the backups: it fails the whole step as `TransientError`, for the step's Retry, instead of
 * turning into a false finding.
 */
export async function verifyBackups(clients: VerificationClients, config: VerificationConfig, now: Date): Promise<CheckResult[]> {
  const results = await Promise.allSettled(CHECKS.map((check) => check.run(clients, config, now)));
  const transient = results.find((result): result is PromiseRejectedResult => result.status === 'rejected' && isTransient(result.reason));
  if (transient) {
    const error = transient.reason as Error;
    throw new TransientError(`checking the backups: ${error.name}: ${error.message}`, { cause: error });
  }
  return results.map((settled, index) => {
    const check = CHECKS[index]!;
    if (settled.status === 'fulfilled') return settled.value;
    const error: unknown = settled.reason;
    return {
      name: check.name,
      passed: false,
      value: -1,
      unit: 'error',
      target: 0,
      detail: `could not check: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    };
  });
}

/** The OpsResult for the notification topic: every number, and what to do about each failure. */
export function verificationResult(results: readonly CheckResult[], config: VerificationConfig, startedAt: Date, finishedAt: Date): OpsResultInput {
  const failed = results.filter((r) => !r.passed);
  return {
    kind: 'OpsResult',
    workflow: 'backup-verification',
    environment: config.environment,
    outcome: failed.length ? 'failed' : 'succeeded',
    severity: failed.length ? 'critical' : 'info',
    summary: failed.length
      ? `${failed.length} of ${results.length} backup checks failed: ${failed.map((f) => `${f.name} (${f.detail})`).join('; ')}`
      : `All ${results.length} backup checks passed; RPO lag ${results.find((r) => r.name === 'RpoLagSeconds')?.value ?? '?'} s, ${results.find((r) => r.name === 'DrBackupReplicationLagSeconds')?.value ?? '?'} s in ${config.dr.region}.`,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    measurements: results.map((r) => ({ name: r.name, value: r.value, unit: r.unit, target: r.target, passed: r.passed })),
    actionsTaken: ['Read backup settings and recovery points; nothing was changed'],
    howToUndo: 'Nothing to undo: the verification only reads. Runbook: docs/runbooks/backup-verification.md',
  };
}
