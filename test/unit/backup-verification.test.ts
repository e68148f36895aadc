import { BackupClient, DescribeRecoveryPointCommand, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetBucketReplicationCommand, GetBucketVersioningCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { rdsInstance } from '../../rehearsal/simulated/account.js';
import { type VerificationConfig, verificationResult, verifyBackups } from '../../functions/backup-verification/checks.js';
import { opsResultSchema } from '../../contracts/ops-result.js';

const now = new Date('2026-11-03T07:00:00Z');
const hoursBefore = (hours: number) => new Date(now.getTime() - hours * 3_600_000);
const config: VerificationConfig = {
  environment: 'production',
  databaseInstanceId: 'financehub-production-db',
  replicaInstanceId: 'financehub-production-db-replica',
  backupsBucket: 'financehub-production-backups-222222222222',
  replicaBucket: 'financehub-production-backups-replica-222222222222',
  fileSystemArn: 'arn:aws:elasticfilesystem:us-east-1:222222222222:file-system/fs-0123',
  rpoMinutes: 15,
  retentionDays: 30,
  snapshotMaxAgeHours: 26,
  replicaLagMaxSeconds: 300,
  efsMaxAgeHours: 26,
  efsRetentionDays: 7,
};

const rds = mockClient(RDSClient);
const s3 = mockClient(S3Client);
const backup = mockClient(BackupClient);
const cloudwatch = mockClient(CloudWatchClient);
const clients = { rds: new RDSClient({}), s3: new S3Client({}), drS3: new S3Client({ region: 'us-west-2' }), backup: new BackupClient({}), cloudwatch: new CloudWatchClient({}) };

beforeEach(() => {
  for (const mock of [rds, s3, backup, cloudwatch]) mock.reset();
  rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance(config.databaseInstanceId, { LatestRestorableTime: hoursBefore(0.1) })] });
  rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [{ Status: 'available', SnapshotCreateTime: hoursBefore(5) }] });
  cloudwatch.on(GetMetricStatisticsCommand).resolves({ Datapoints: [{ Maximum: 1 }] });
  s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
  s3.on(GetBucketReplicationCommand).resolves({ ReplicationConfiguration: { Role: 'r', Rules: [{ Status: 'Enabled', Destination: { Bucket: `arn:aws:s3:::${config.replicaBucket}` } }] } });
  s3.on(HeadBucketCommand).resolves({});
  backup.on(ListRecoveryPointsByResourceCommand).resolves({ RecoveryPoints: [{ RecoveryPointArn: 'arn:rp', BackupVaultName: 'vault', Status: 'COMPLETED', CreationDate: hoursBefore(2) }] });
  backup.on(DescribeRecoveryPointCommand).resolves({ Lifecycle: { DeleteAfterDays: 7 } });
});

const byName = async () => Object.fromEntries((await verifyBackups(clients, config, now)).map((check) => [check.name, check]));

describe('the backup checks', () => {
  it('reports the RPO lag in seconds against the 15-minute target', async () => {
    // Act
    const checks = await byName();

    // Assess
    expect(checks.RpoLagSeconds).toMatchObject({ passed: true, value: 360, target: 900 });
  });

  it('fails the RPO check when point-in-time recovery has no restorable time at all', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance(config.databaseInstanceId, { LatestRestorableTime: undefined })] });

    // Act
    const checks = await byName();

    // Assess
    expect(checks.RpoLagSeconds).toMatchObject({ passed: false, value: -1, detail: expect.stringContaining('point-in-time recovery is not possible') });
  });

  it('fails the replica check when CloudWatch has no lag data, rather than passing silently', async () => {
    // Prepare
    cloudwatch.on(GetMetricStatisticsCommand).resolves({ Datapoints: [] });

    // Act
    const checks = await byName();

    // Assess
    expect(checks.ReplicaLagSeconds).toMatchObject({ passed: false, detail: expect.stringContaining('no ReplicaLag data') });
  });

  it('fails one check that cannot run, says why, and still runs the others', async () => {
    // Prepare
    backup.on(ListRecoveryPointsByResourceCommand).rejects(Object.assign(new Error('not authorized to perform backup:ListRecoveryPointsByResource'), { name: 'AccessDeniedException' }));

    // Act
    const checks = await byName();

    // Assess
    expect(checks.EfsRecoveryPointAgeHours).toMatchObject({ passed: false, detail: expect.stringContaining('could not check: AccessDeniedException') });
    expect(Object.values(checks).filter((check) => check.passed)).toHaveLength(6);
  });

  it('turns the checks into a critical OpsResult naming every failure', async () => {
    // Prepare
    s3.on(GetBucketVersioningCommand).resolves({});
    const results = await verifyBackups(clients, config, now);

    // Act
    const result = opsResultSchema.parse(verificationResult(results, config, now, new Date(now.getTime() + 2000)));

    // Assess
    expect(result).toMatchObject({ outcome: 'failed', severity: 'critical', durationSeconds: 2, summary: expect.stringContaining('versioning never enabled') });
    expect(result.howToUndo).toContain('only reads');
  });
});
