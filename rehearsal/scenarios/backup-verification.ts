import { BackupClient, DescribeRecoveryPointCommand, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetBucketReplicationCommand, GetBucketVersioningCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { EnvironmentName } from '../../contracts/environments.js';
import { environmentConfig } from '../../infra/config.js';
import { type SimulatedAccount, SimulatedRds, rdsInstance } from '../simulated/account.js';
import { type SimulatedDrCopiesOptions, simulateDrCopies } from '../simulated/dr-region.js';
import { type Scenario, minutesAgo, published } from './scenario.js';

/** What a backup verification's account varies: the copies in the DR region. */
export interface BackupVerificationWorldOptions {
  readonly dr?: Partial<Pick<SimulatedDrCopiesOptions, 'replicationLagMinutes' | 'efsCopyAgeHours' | 'imagesMissing'>>;
}

/**
 * An account whose backups are all healthy: retention 30 days, RPO lag 5 min, snapshot 6 h old, replica lag 4 s,
 * bucket versioned and replicating, EFS recovery point 2 h old kept 7 days, and the DR region's copies.
 */
export function backupVerificationWorld(account: SimulatedAccount, environment: EnvironmentName, options: BackupVerificationWorldOptions = {}): void {
  const { prefix, account: accountId, region, drRegion } = environmentConfig(environment);
  new SimulatedRds(account, { instances: [rdsInstance(`${prefix}-db`, { BackupRetentionPeriod: 30, LatestRestorableTime: minutesAgo(5) })] });
  account.mock(RDSClient).on(DescribeDBSnapshotsCommand).resolves({
    DBSnapshots: [{ DBSnapshotIdentifier: `rds:${prefix}-db-nightly`, Status: 'available', SnapshotCreateTime: minutesAgo(360) }],
  });
  account.mock(CloudWatchClient).on(GetMetricStatisticsCommand).resolves({ Datapoints: [{ Maximum: 2 }, { Maximum: 4 }] });
  const s3 = account.mock(S3Client);
  s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
  s3.on(GetBucketReplicationCommand).resolves({
    ReplicationConfiguration: { Role: `arn:aws:iam::${accountId}:role/replication`, Rules: [{ Status: 'Enabled', Destination: { Bucket: `arn:aws:s3:::${prefix}-backups-replica-${accountId}` } }] },
  });
  s3.on(HeadBucketCommand).resolves({});
  const backup = account.mock(BackupClient);
  backup.on(ListRecoveryPointsByResourceCommand).resolves({
    RecoveryPoints: [{ RecoveryPointArn: `arn:aws:backup:${region}:${accountId}:recovery-point:rehearsal`, BackupVaultName: `${prefix}-vault`, Status: 'COMPLETED', CreationDate: minutesAgo(120) }],
  });
  backup.on(DescribeRecoveryPointCommand).resolves({ Lifecycle: { DeleteAfterDays: 7 } });
  simulateDrCopies(account, { prefix, accountId, primaryRegion: region, drRegion, ...options.dr });
  published(account);
}

const healthyBackups: Scenario = {
  workflow: 'backup-verification',
  name: 'healthy',
  description: 'RPO lag 5 min, snapshot 6 h old, replica lag 4 s, bucket versioned and replicating, EFS recovery point 2 h old; in us-west-2 backups 6 min behind, EFS copy 2 h old, images and secrets replicated',
  expect: 'SUCCEEDED',
  functions: ['backup-verification'],
  input: () => ({ requestedBy: 'rehearsal' }),
  script: (account, environment) => {
    backupVerificationWorld(account, environment);
    return {};
  },
};

export const backupVerificationScenarios: readonly Scenario[] = [healthyBackups];
