import { BackupClient, DescribeRecoveryPointCommand, ListRecoveryPointsByBackupVaultCommand, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetBucketReplicationCommand, GetBucketVersioningCommand, HeadBucketCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { jest } from '@jest/globals';
import { SimulatedAccount, publishedResults, rdsInstance } from '../../rehearsal/simulated/account.js';
import { type BackupVerificationWorldOptions, backupVerificationWorld } from '../../rehearsal/scenarios/backup-verification.js';
import scheduledStart from '../../events/backup-verification-scheduled.json';
import { type OpsResult, opsResultSchema } from '../../contracts/ops-result.js';
import { BACKUP_VERIFICATION_STATES as S } from '../../infra/workflows/backup-verification.js';
import { type DeployedHandler, type WorkflowRun, functionEnvironment, inProcess, loadStateMachine, quietPowertools, runWorkflow } from './support/workflow.js';

const SOURCE = 'financehub-staging-db';
const VAULT = 'financehub-staging-vault';
const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);

const account = new SimulatedAccount();
const rds = account.mock(RDSClient);
const s3 = account.mock(S3Client);
const backup = account.mock(BackupClient);
const cloudwatch = account.mock(CloudWatchClient);
const sns = account.mock(SNSClient);
let handler: DeployedHandler;
let metrics: { addMetric: (...args: never[]) => unknown };
let environment: Record<string, string>;

/** The backup verification's healthy account (rehearsal/scenarios/backup-verification.ts), its DR copies as a test varies them. */
function healthyAccount(options: BackupVerificationWorldOptions = {}): void {
  account.reset();
  backupVerificationWorld(account, 'staging', options);
}

async function verify(): Promise<WorkflowRun> {
  return runWorkflow({ definition: loadStateMachine('staging', 'backup-verification'), input: scheduledStart, lambdas: { 'backup-verification': inProcess(handler, 'backup-verification') } });
}

function published(): OpsResult[] {
  return publishedResults(account);
}

beforeAll(async () => {
  environment = functionEnvironment('staging', 'backup-verification');
  quietPowertools();
  // Imported after Powertools is quiet: it reads its settings when the shared logger is created.
  const { createHandler } = await import('../../functions/backup-verification/create-handler.js');
  handler = createHandler({ environment });
  ({ metrics } = await import('../../functions/lib/powertools.js'));
});

afterAll(() => account.restore());

describe('the backup verification', () => {
  it('passes every check, publishes the figures as an info result and sends a metric per check', async () => {
    // Prepare
    healthyAccount();
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    const run = await verify();

    // Assess
    expect(run).toMatchObject({ status: 'SUCCEEDED', path: [S.verify, S.passed, S.verified], transitions: 3 });
    const [result] = published();
    expect(result).toMatchObject({ workflow: 'backup-verification', environment: 'staging', outcome: 'succeeded', severity: 'info' });
    expect(result?.measurements.map((m) => [m.name, m.passed])).toEqual([
      ['BackupRetentionDays', true],
      ['RpoLagSeconds', true],
      ['SnapshotAgeHours', true],
      ['ReplicaLagSeconds', true],
      ['BackupsBucketVersioning', true],
      ['BackupsReplicationHealthy', true],
      ['EfsRecoveryPointAgeHours', true],
      ['DrBackupReplicationLagSeconds', true],
      ['DrEfsCopyAgeHours', true],
      ['DrImagesMissing', true],
      ['DrSecretsOutOfSync', true],
    ]);
    expect(result?.summary).toMatch(/in us-west-2\.$/);
    const rpoLag = result?.measurements.find((m) => m.name === 'RpoLagSeconds');
    expect(rpoLag?.target).toBe(900);
    expect(rpoLag?.value).toBeGreaterThanOrEqual(300);
    expect(rpoLag?.value).toBeLessThan(310);
    expect(addMetric).toHaveBeenCalledWith('RpoLagSeconds', 'Seconds', rpoLag?.value);
    expect(addMetric).toHaveBeenCalledWith('RpoLagSecondsFailed', 'Count', 0);
    expect(rds.commandCalls(DescribeDBSnapshotsCommand)[0]?.args[0].input).toEqual({ DBInstanceIdentifier: SOURCE, SnapshotType: 'automated' });
    expect(backup.commandCalls(ListRecoveryPointsByResourceCommand)[0]?.args[0].input.ResourceArn).toMatch(/^arn:aws:elasticfilesystem:/);
    addMetric.mockRestore();
  });

  it.each<[string, string, () => void]>([
    ['automated backups are kept 7 days', 'BackupRetentionDays', () => rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance(SOURCE, { BackupRetentionPeriod: 7, LatestRestorableTime: hoursAgo(0.05) })] })],
    ['the latest restorable time is 20 minutes old', 'RpoLagSeconds', () => rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance(SOURCE, { LatestRestorableTime: hoursAgo(20 / 60) })] })],
    ['the newest automated snapshot is 30 hours old', 'SnapshotAgeHours', () => rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [{ Status: 'available', SnapshotCreateTime: hoursAgo(30) }] })],
    ['the read replica lags 10 minutes', 'ReplicaLagSeconds', () => cloudwatch.on(GetMetricStatisticsCommand).resolves({ Datapoints: [{ Maximum: 600 }] })],
    ['bucket versioning is suspended', 'BackupsBucketVersioning', () => s3.on(GetBucketVersioningCommand).resolves({ Status: 'Suspended' })],
    [
      'the replication rule is disabled',
      'BackupsReplicationHealthy',
      () => s3.on(GetBucketReplicationCommand).resolves({ ReplicationConfiguration: { Role: 'r', Rules: [{ Status: 'Disabled', Destination: { Bucket: `arn:aws:s3:::${environment.REPLICA_BUCKET}` } }] } }),
    ],
    ['the replica bucket is unreachable', 'BackupsReplicationHealthy', () => s3.on(HeadBucketCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }))],
    [
      'the newest EFS recovery point is 30 hours old',
      'EfsRecoveryPointAgeHours',
      () => backup.on(ListRecoveryPointsByResourceCommand).resolves({ RecoveryPoints: [{ RecoveryPointArn: 'arn:rp', BackupVaultName: VAULT, Status: 'COMPLETED', CreationDate: hoursAgo(30) }] }),
    ],
    ['EFS recovery points are kept 35 days', 'EfsRecoveryPointAgeHours', () => backup.on(DescribeRecoveryPointCommand).resolves({ Lifecycle: { DeleteAfterDays: 35 } })],
    [
      'the replicated backups in us-west-2 lag 20 minutes',
      'DrBackupReplicationLagSeconds',
      () => healthyAccount({ dr: { replicationLagMinutes: 20 } }),
    ],
    ['the newest EFS copy in us-west-2 is 30 hours old', 'DrEfsCopyAgeHours', () => healthyAccount({ dr: { efsCopyAgeHours: 30 } })],
    ['the running images are not in us-west-2', 'DrImagesMissing', () => healthyAccount({ dr: { imagesMissing: true } })],
  ])('fails and reports a critical result when %s', async (_case, failingCheck, breakIt) => {
    // Prepare
    healthyAccount();
    breakIt();

    // Act
    const run = await verify();

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'BackupChecksFailed', path: [S.verify, S.passed, S.checksFailed] });
    const [result] = published();
    expect(result).toMatchObject({ outcome: 'failed', severity: 'critical', summary: expect.stringContaining(failingCheck) });
    expect(result?.measurements.filter((m) => !m.passed).map((m) => m.name)).toEqual([failingCheck]);
    expect(run.cause).toContain(failingCheck);
  });

  it('retries a throttled DR read instead of reporting it, and passes on the next attempt', async () => {
    // Prepare
    healthyAccount();
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    backup.on(ListRecoveryPointsByBackupVaultCommand).rejectsOnce(throttled).resolves({
      RecoveryPoints: [{ RecoveryPointArn: 'arn:aws:backup:us-west-2:111111111111:recovery-point:copy', Status: 'COMPLETED', CreationDate: hoursAgo(2), Lifecycle: { DeleteAfterDays: 7 } }],
    });

    // Act
    const run = await verify();

    // Assess
    expect(run).toMatchObject({ status: 'SUCCEEDED', path: [S.verify, S.passed, S.verified], retries: 1 });
    const results = published();
    expect(results).toHaveLength(1);
    expect(results[0]?.outcome).toBe('succeeded');
  });

  it('publishes a failure from the state machine itself when the function cannot run', async () => {
    // Prepare
    healthyAccount();
    const down = Object.assign(new Error('SNS is unavailable'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } });
    sns.on(PublishCommand).rejectsOnce(down).rejectsOnce(down).rejectsOnce(down).resolves({ MessageId: 'message-2' });

    // Act
    const run = await verify();

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'VerificationCouldNotRun', path: [S.verify, S.publishFailure, S.couldNotRun], retries: 2 });
    const fromStateMachine = sns.commandCalls(PublishCommand).at(-1)?.args[0].input;
    expect(fromStateMachine?.TopicArn).toBe('arn:aws:sns:us-east-1:111111111111:financehub-staging-notifications');
    expect(opsResultSchema.parse(JSON.parse(fromStateMachine?.Message ?? '{}'))).toMatchObject({ outcome: 'failed', severity: 'critical', summary: expect.stringContaining('could not run') });
  });
});
