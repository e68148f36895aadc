import { BackupClient, DescribeRecoveryPointCommand, ListRecoveryPointsByBackupVaultCommand, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeDBInstanceAutomatedBackupsCommand, DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetBucketReplicationCommand, GetBucketVersioningCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { rdsInstance } from '../../rehearsal/simulated/account.js';
import { type VerificationConfig, verificationResult, verifyBackups } from '../../functions/backup-verification/checks.js';
import { opsResultSchema } from '../../contracts/ops-result.js';
import { parseEcrImage } from '../../functions/backup-verification/dr-checks.js';

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
  dr: {
    region: 'us-west-2',
    vaultName: 'financehub-production-dr-vault',
    clusterName: 'financehub-production',
    serviceNames: ['financehub-production-backend', 'financehub-production-worker'],
    secretIds: ['financehub-production/db/master', 'financehub-production/api-keys'],
  },
};
const REPLICATED_BACKUPS = 'arn:aws:rds:us-west-2:222222222222:auto-backup:ab-replica';
const image = (region: string, repository: string, tag: string) => `222222222222.dkr.ecr.${region}.amazonaws.com/${repository}:${tag}`;

const rds = mockClient(RDSClient);
const s3 = mockClient(S3Client);
const backup = mockClient(BackupClient);
const cloudwatch = mockClient(CloudWatchClient);
const ecs = mockClient(ECSClient);
const ecr = mockClient(ECRClient);
const secrets = mockClient(SecretsManagerClient);
const clients = {
  rds: new RDSClient({ region: 'us-east-1' }),
  s3: new S3Client({}),
  drS3: new S3Client({ region: 'us-west-2' }),
  backup: new BackupClient({}),
  cloudwatch: new CloudWatchClient({}),
  ecs: new ECSClient({}),
  ecr: new ECRClient({ region: 'us-east-1' }),
  secrets: new SecretsManagerClient({}),
  drRds: new RDSClient({ region: 'us-west-2' }),
  drBackup: new BackupClient({ region: 'us-west-2' }),
  drEcr: new ECRClient({ region: 'us-west-2' }),
};

/** Answers DescribeImages with a digest per region, so a test can make the DR copy differ or be missing. */
function imagesIn(digests: Record<string, string | undefined>): void {
  ecr.on(DescribeImagesCommand).callsFake(async (input: { repositoryName: string }, getClient) => {
    const digest = digests[await getClient().config.region()];
    if (!digest) throw new ImageNotFoundException({ message: `image not found in ${input.repositoryName}`, $metadata: {} });
    return { imageDetails: [{ repositoryName: input.repositoryName, imageDigest: digest }] };
  });
}

beforeEach(() => {
  for (const mock of [rds, s3, backup, cloudwatch, ecs, ecr, secrets]) mock.reset();
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      rdsInstance(config.databaseInstanceId, {
        LatestRestorableTime: hoursBefore(0.1),
        DBInstanceAutomatedBackupsReplications: [{ DBInstanceAutomatedBackupsArn: REPLICATED_BACKUPS }],
      }),
    ],
  });
  rds.on(DescribeDBInstanceAutomatedBackupsCommand, { DBInstanceAutomatedBackupsArn: REPLICATED_BACKUPS }).resolves({
    DBInstanceAutomatedBackups: [{ Status: 'replicating', RestoreWindow: { EarliestTime: hoursBefore(100), LatestTime: hoursBefore(0.2) } }],
  });
  backup.on(ListRecoveryPointsByBackupVaultCommand, { BackupVaultName: config.dr.vaultName, ByResourceArn: config.fileSystemArn }).resolves({
    RecoveryPoints: [
      { RecoveryPointArn: 'arn:rp-old', Status: 'COMPLETED', CreationDate: hoursBefore(25), Lifecycle: { DeleteAfterDays: 7 } },
      { RecoveryPointArn: 'arn:rp-new', Status: 'COMPLETED', CreationDate: hoursBefore(1), Lifecycle: { DeleteAfterDays: 7 } },
    ],
  });
  ecs.on(DescribeServicesCommand).resolves({
    services: [
      { serviceName: 'financehub-production-backend', taskDefinition: 'arn:td:backend:7' },
      { serviceName: 'financehub-production-worker', taskDefinition: 'arn:td:worker:3' },
    ],
  });
  ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'arn:td:backend:7' }).resolves({
    taskDefinition: {
      containerDefinitions: [{ image: image('us-east-1', 'financehub-production/backend', 'v42') }, { image: 'public.ecr.aws/xray/aws-xray-daemon:3.3.14' }],
    },
  });
  ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'arn:td:worker:3' }).resolves({
    taskDefinition: { containerDefinitions: [{ image: image('us-east-1', 'financehub-production/worker', 'v42') }] },
  });
  imagesIn({ 'us-east-1': 'sha256:aaa', 'us-west-2': 'sha256:aaa' });
  secrets.on(DescribeSecretCommand).resolves({ ReplicationStatus: [{ Region: 'us-west-2', Status: 'InSync' }] });
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
    expect(Object.values(checks).filter((check) => check.passed)).toHaveLength(10);
  });

  it('retries a throttled check instead of reporting it: the run fails with TransientError for the step’s Retry', async () => {
    // Prepare
    secrets.on(DescribeSecretCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));

    // Act
    const run = verifyBackups(clients, config, now);

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'TransientError', message: expect.stringContaining('ThrottlingException: Rate exceeded') });
  });

  it('treats a 503 from the DR replica bucket as transient, not as broken replication', async () => {
    // Prepare
    s3.on(HeadBucketCommand).rejects(Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }));

    // Act
    const run = verifyBackups(clients, config, now);

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'TransientError' });
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

describe('the DR region checks', () => {
  it('pass when backups, the EFS copy, the running images and the secrets are all in us-west-2', async () => {
    // Act
    const checks = await byName();

    // Assess
    expect(checks.DrBackupReplicationLagSeconds).toMatchObject({ passed: true, value: 720, target: 900 });
    expect(checks.DrEfsCopyAgeHours).toMatchObject({ passed: true, value: 1, target: 26 });
    expect(checks.DrImagesMissing).toMatchObject({ passed: true, value: 0, detail: 'all 2 running images are replicated to us-west-2' });
    expect(checks.DrSecretsOutOfSync).toMatchObject({ passed: true, value: 0 });
  });

  it('fails when the replicated backups’ latest restorable time lags 20 minutes, over the 15-minute RPO', async () => {
    // Prepare
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({ DBInstanceAutomatedBackups: [{ Status: 'replicating', RestoreWindow: { LatestTime: hoursBefore(20 / 60) } }] });

    // Act
    const checks = await byName();

    // Assess
    expect(checks.DrBackupReplicationLagSeconds).toMatchObject({ passed: false, value: 1200, detail: expect.stringContaining('20 min behind') });
  });

  it('fails when the database’s automated backups are not replicated to the DR region at all', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [rdsInstance(config.databaseInstanceId, { LatestRestorableTime: hoursBefore(0.1), DBInstanceAutomatedBackupsReplications: [] })],
    });

    // Act
    const checks = await byName();

    // Assess
    expect(checks.DrBackupReplicationLagSeconds).toMatchObject({ passed: false, value: -1, detail: expect.stringContaining('not replicated to us-west-2') });
    expect(rds.commandCalls(DescribeDBInstanceAutomatedBackupsCommand)).toHaveLength(0);
  });

  it('fails when the newest EFS copy in the DR vault is 30 hours old', async () => {
    // Prepare
    backup.on(ListRecoveryPointsByBackupVaultCommand).resolves({
      RecoveryPoints: [{ RecoveryPointArn: 'arn:rp', Status: 'COMPLETED', CreationDate: hoursBefore(30), Lifecycle: { DeleteAfterDays: 7 } }],
    });

    // Act
    const checks = await byName();

    // Assess
    expect(checks.DrEfsCopyAgeHours).toMatchObject({ passed: false, value: 30 });
  });

  it('fails when no EFS copy has completed in the DR vault', async () => {
    // Prepare
    backup.on(ListRecoveryPointsByBackupVaultCommand).resolves({ RecoveryPoints: [{ RecoveryPointArn: 'arn:rp', Status: 'PARTIAL', CreationDate: hoursBefore(1) }] });

    // Act
    const checks = await byName();

    // Assess
    expect(checks.DrEfsCopyAgeHours).toMatchObject({ passed: false, value: -1, detail: expect.stringContaining('no completed EFS copy') });
  });

  it('names each running image missing in us-west-2', async () => {
    // Prepare
    imagesIn({ 'us-east-1': 'sha256:aaa' });

    // Act
    const checks = await byName();

    // Assess
    expect(checks.DrImagesMissing).toMatchObject({ passed: false, value: 2, detail: expect.stringContaining('financehub-production/backend:v42 is not in us-west-2') });
  });

  it('fails when the DR copy of a running tag has another digest', async () => {
    // Prepare
    imagesIn({ 'us-east-1': 'sha256:aaa', 'us-west-2': 'sha256:bbb' });

    // Act
    const checks = await byName();

    // Assess
    expect(checks.DrImagesMissing).toMatchObject({ passed: false, value: 2, detail: expect.stringContaining('differs in us-west-2') });
  });

  it('names each secret whose DR replica is missing or out of sync', async () => {
    // Prepare
    secrets.on(DescribeSecretCommand, { SecretId: 'financehub-production/db/master' }).resolves({ ReplicationStatus: [{ Region: 'us-west-2', Status: 'Failed', StatusMessage: 'KMS key disabled' }] });
    secrets.on(DescribeSecretCommand, { SecretId: 'financehub-production/api-keys' }).resolves({ ReplicationStatus: [] });

    // Act
    const checks = await byName();

    // Assess
    expect(checks.DrSecretsOutOfSync).toMatchObject({ passed: false, value: 2 });
    expect(checks.DrSecretsOutOfSync?.detail).toBe(
      'financehub-production/db/master replica is Failed (KMS key disabled); financehub-production/api-keys has no replica in us-west-2',
    );
  });

  it.each([
    ['222222222222.dkr.ecr.us-east-1.amazonaws.com/financehub-production/backend:v42', { repositoryName: 'financehub-production/backend', tag: 'v42' }],
    ['222222222222.dkr.ecr.us-east-1.amazonaws.com/financehub-production/worker@sha256:abc1', { repositoryName: 'financehub-production/worker', digest: 'sha256:abc1' }],
    ['public.ecr.aws/xray/aws-xray-daemon:3.3.14', undefined],
  ])('reads %s as an ECR image of the account, or none', (uri, expected) => {
    // Act
    const parsed = parseEcrImage(uri);

    // Assess
    expect(parsed === undefined ? undefined : { repositoryName: parsed.repositoryName, ...(parsed.tag ? { tag: parsed.tag } : {}), ...(parsed.digest ? { digest: parsed.digest } : {}) }).toEqual(expected);
  });
});
