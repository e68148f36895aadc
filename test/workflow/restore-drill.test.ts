import { DeleteDBInstanceCommand, DescribeDBInstancesCommand, RDSClient, RestoreDBInstanceToPointInTimeCommand, StorageQuotaExceededFault } from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SimulatedAccount, type SimulatedRds, publishedResults } from '../../rehearsal/simulated/account.js';
import type { SimulatedDynamoDb } from '../../rehearsal/simulated/dynamodb.js';
import { DRILL_LOCK_KEY } from '../../functions/lib/drill-lock.js';
import type { SimulatedPostgres } from '../../rehearsal/simulated/postgres.js';
import { minutesAgo } from '../../rehearsal/scenarios/scenario.js';
import { type RestoreDrillWorld, type RestoreDrillWorldOptions, applicationData as sourceDatabase, restoreDrillDatabases, restoreDrillWorld } from '../../rehearsal/scenarios/restore-drill.js';
import manualStart from '../../events/restore-drill-manual.json';
import scheduledStart from '../../events/restore-drill-scheduled.json';
import type { OpsResult } from '../../contracts/ops-result.js';
import { RESTORE_DRILL_STATES as S } from '../../infra/workflows/restore-drill.js';
import { type DeployedHandler, type WorkflowRun, functionEnvironment, inProcess, loadStateMachine, quietEmptyMetricsWarnings, quietPowertools, runWorkflow } from './support/workflow.js';

const { source: SOURCE, replicaHost: REPLICA_HOST, sourceHost: SOURCE_HOST } = restoreDrillDatabases('staging');
const DRILL_PATTERN = /^financehub-staging-drill-\d{8}-\d{4}-[0-9a-f]{6}$/;

const account = new SimulatedAccount();
const rds = account.mock(RDSClient);
const s3 = account.mock(S3Client);
const sns = account.mock(SNSClient);
let handler: DeployedHandler;
let world: RestoreDrillWorld | undefined;
let postgres: SimulatedPostgres | undefined;
let lockTable: SimulatedDynamoDb;
const LOCK_TABLE = 'financehub-staging-remediation-guardrails';
const FAILOVER_DRILL = 'arn:aws:states:us-east-1:111111111111:execution:financehub-staging-failover-drill:quarterly';

/** The restore drill's account (rehearsal/scenarios/restore-drill.ts) with one test's variant. */
function scenario(options: RestoreDrillWorldOptions = {}): SimulatedRds {
  account.reset();
  world?.undo();
  world = restoreDrillWorld(account, 'staging', options);
  ({ postgres, lockTable } = world);
  return world.rds;
}

async function drill(input: unknown = scheduledStart, executionName?: string): Promise<WorkflowRun> {
  return runWorkflow({ definition: loadStateMachine('staging', 'restore-drill'), input, executionName, lambdas: { 'restore-drill': inProcess(handler, 'restore-drill') } });
}

function published(): OpsResult[] {
  return publishedResults(account);
}

const isDrillInstance = (call: { args: [{ input: { DBInstanceIdentifier?: string } }] }) => DRILL_PATTERN.test(call.args[0].input.DBInstanceIdentifier ?? '');
const drillDeletions = () => rds.commandCalls(DeleteDBInstanceCommand).filter(isDrillInstance);
const drillDescriptions = () => rds.commandCalls(DescribeDBInstancesCommand).filter(isDrillInstance);

beforeAll(async () => {
  quietPowertools();
  quietEmptyMetricsWarnings();
  // Imported after Powertools is quiet: it reads its settings when the shared logger is created.
  const { createHandler } = await import('../../functions/restore-drill/create-handler.js');
  handler = createHandler({ environment: functionEnvironment('staging', 'restore-drill') });
});

afterEach(() => account.intercept());

afterAll(() => {
  world?.undo();
  account.restore();
});

describe('the restore drill', () => {
  it('restores the latest restorable time, verifies it, deletes it and reports success with RTO and data-loss window', async () => {
    // Prepare
    const simulated = scenario();

    // Act
    const run = await drill();

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual([
      S.preconditions, S.startRestore,
      S.waitRestore, S.checkRestore, S.restoreAvailable,
      S.waitRestore, S.checkRestore, S.restoreAvailable,
      S.waitRestore, S.checkRestore, S.restoreAvailable,
      S.verify, S.delete, S.gone,
      S.waitDeletion, S.confirmDeletion, S.gone,
      S.waitDeletion, S.confirmDeletion, S.gone,
      S.releaseLock, S.report, S.passed, S.succeeded,
    ]);
    const [restore] = rds.commandCalls(RestoreDBInstanceToPointInTimeCommand);
    expect(restore?.args[0].input).toMatchObject({
      SourceDBInstanceIdentifier: SOURCE,
      TargetDBInstanceIdentifier: expect.stringMatching(DRILL_PATTERN),
      UseLatestRestorableTime: true,
      MultiAZ: false,
      DeletionProtection: false,
      PubliclyAccessible: false,
      DBSubnetGroupName: `${SOURCE}-subnets`,
      DBParameterGroupName: 'financehub-staging-postgres15',
      Tags: expect.arrayContaining([{ Key: 'financehub:purpose', Value: 'restore-drill' }, { Key: 'financehub:environment', Value: 'staging' }]),
    });
    expect(restore?.args[0].input.VpcSecurityGroupIds).toHaveLength(1);
    expect(drillDeletions().map((call) => call.args[0].input)).toEqual([
      { DBInstanceIdentifier: restore?.args[0].input.TargetDBInstanceIdentifier, SkipFinalSnapshot: true, DeleteAutomatedBackups: true },
    ]);
    expect(simulated.instances.has(restore?.args[0].input.TargetDBInstanceIdentifier ?? '')).toBe(false);
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual([
      expect.stringMatching(/^drills\/restore-drill\/.+\.json$/),
      expect.stringMatching(/^drills\/restore-drill\/.+\.html$/),
    ]);
    const [result] = published();
    expect(result).toMatchObject({ workflow: 'restore-drill', environment: 'staging', outcome: 'succeeded', severity: 'info' });
    expect(result?.measurements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'RTO', unit: 'min', target: 240, passed: true }),
        expect.objectContaining({ name: 'Data-loss window', value: 0, unit: 'min', target: 15, passed: true }),
      ]),
    );
    expect(result?.reportUrl).toMatch(/^s3:\/\/financehub-staging-backups-111111111111\/drills\/restore-drill\/.+\.html$/);
  });

  it('compares the restored rows with the read replica, not the primary', async () => {
    // Prepare
    scenario();

    // Act
    await drill();

    // Assess
    expect(postgres?.connections).toEqual(expect.arrayContaining([REPLICA_HOST, expect.stringMatching(/^financehub-staging-drill-\d{8}-\d{4}-[0-9a-f]{6}\.sim\./)]));
    expect(postgres?.connections).not.toContain(SOURCE_HOST);
  });

  it('passes the operator options through and refuses nothing extra in the input', async () => {
    // Prepare
    scenario();

    // Act
    const run = await drill(manualStart);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(rds.commandCalls(RestoreDBInstanceToPointInTimeCommand)[0]?.args[0].input.DBInstanceClass).toBe('db.t3.medium');
    expect(published()[0]?.requestedBy).toBe(manualStart.requestedBy);
  });

  it('does nothing and reports a skipped drill naming the running one when another drill of the environment holds the drill lock', async () => {
    // Prepare
    scenario({ lockHeldBy: { execution: FAILOVER_DRILL, drill: 'failover-drill' } });

    // Act
    const run = await drill();

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual([S.preconditions, S.releaseLock, S.report, S.passed, S.skipped]);
    expect(rds.commandCalls(RestoreDBInstanceToPointInTimeCommand)).toHaveLength(0);
    const [result] = published();
    expect(result).toMatchObject({ outcome: 'skipped', severity: 'warning', summary: expect.stringContaining(`Another drill of staging is running: ${FAILOVER_DRILL} (failover-drill) holds the drill lock`) });
    expect(result?.summary).toContain('Nothing was created');
    expect(result?.actionsTaken).toContain(`The drill lock is held by ${FAILOVER_DRILL}, not by this drill: left as it is.`);
    expect(lockTable.item(LOCK_TABLE, DRILL_LOCK_KEY)?.owner?.S).toBe(FAILOVER_DRILL);
  });

  it('refuses the second of two drills started together: it names the running execution and creates nothing', async () => {
    // Prepare
    scenario();

    // Act
    const runs = await Promise.all([drill(scheduledStart, 'monthly-a'), drill(manualStart, 'monthly-b')]);

    // Assess
    const [winner, loser] = runs[0]!.path.includes(S.startRestore) ? [runs[0]!, runs[1]!] : [runs[1]!, runs[0]!];
    expect(winner.path).toEqual(expect.arrayContaining([S.startRestore, S.verify, S.delete, S.releaseLock]));
    expect(loser.path).toEqual([S.preconditions, S.releaseLock, S.report, S.passed, S.skipped]);
    expect(rds.commandCalls(RestoreDBInstanceToPointInTimeCommand)).toHaveLength(1);
    const refused = published().find((result) => result.outcome === 'skipped');
    const winnerArn = `arn:aws:states:us-east-1:111111111111:execution:financehub-staging-restore-drill:${winner === runs[0] ? 'monthly-a' : 'monthly-b'}`;
    expect(refused?.summary).toContain(`Another drill of staging is running: ${winnerArn} (restore-drill) holds the drill lock until`);
    expect(refused?.summary).toContain('Nothing was created');
    expect(published().find((result) => result.outcome === 'succeeded')?.actionsTaken).toContain('The drill lock is released.');
    expect(lockTable.item(LOCK_TABLE, DRILL_LOCK_KEY)).toBeUndefined();
  });

  it('releases the lock on a failure path, and says so', async () => {
    // Prepare
    scenario({ rds: { restoreError: new StorageQuotaExceededFault({ message: 'The request would exceed the allocated storage quota', $metadata: {} }) } });

    // Act
    await drill();

    // Assess
    expect(lockTable.item(LOCK_TABLE, DRILL_LOCK_KEY)).toBeUndefined();
    expect(published()[0]?.actionsTaken).toContain('The drill lock is released.');
  });

  it('says the lock is still held, until when and how to release it, when its release is denied', async () => {
    // Prepare
    scenario();
    account.intercept(async (call, send) => {
      if (call.command === 'DeleteItem') throw Object.assign(new Error('User is not authorized to perform: dynamodb:DeleteItem'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
      return send();
    });

    // Act
    const run = await drill();

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(lockTable.item(LOCK_TABLE, DRILL_LOCK_KEY)?.owner?.S).toMatch(/:execution:financehub-staging-restore-drill:/);
    const [result] = published();
    expect(result?.summary).toMatch(/The drill lock could NOT be released \(AccessDeniedException: .*\); it is still held, so no other drill can start until it expires at \d{4}-/);
    expect(result?.howToUndo).toContain(`aws dynamodb delete-item --table-name ${LOCK_TABLE} --key '{"pk":{"S":"lock#drill"}}' --region us-east-1`);
  });

  it('refuses to run for another environment than its own, creating nothing', async () => {
    // Prepare
    scenario();

    // Act
    const run = await drill({ ...manualStart, environment: 'production' });

    // Assess
    expect(run.path).toEqual([S.preconditions, S.releaseLock, S.report, S.passed, S.skipped]);
    expect(rds.commandCalls(RestoreDBInstanceToPointInTimeCommand)).toHaveLength(0);
    expect(published()[0]?.summary).toContain('asked to run for production');
  });

  it('fails at the restore, still runs the cleanup, and reports the failure', async () => {
    // Prepare
    scenario({ rds: { restoreError: new StorageQuotaExceededFault({ message: 'The request would exceed the allocated storage quota', $metadata: {} }) } });

    // Act
    const run = await drill();

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
    expect(run.path).toEqual([S.preconditions, S.startRestore, S.delete, S.gone, S.releaseLock, S.report, S.passed, S.failed]);
    expect(drillDescriptions()).toHaveLength(1);
    expect(published()[0]).toMatchObject({ outcome: 'failed', severity: 'critical', summary: expect.stringContaining('failed at restore') });
  });

  it('reports an instance stuck in creating as an orphan: RDS refuses to delete it, and the cleanup asked again for 45 minutes', async () => {
    // Prepare
    const simulated = scenario({ rds: { restoreNeverCompletes: true } });

    // Act
    const run = await drill();

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
    const polls = run.path.filter((state) => state === S.checkRestore).length;
    expect(polls).toBeGreaterThan(10);
    expect(polls).toBeLessThan(60);
    expect(run.path.slice(run.path.indexOf(S.restoreTooLong))).toEqual([S.restoreTooLong, S.delete, S.releaseLock, S.report, S.passed, S.failed]);
    // Seven tries in all: the first, then six more 60 s apart, doubling, at most 15 min apart (45 min).
    expect(run.retries).toBe(6);
    // It read the instance before each request: RDS was never asked what it refuses.
    expect(drillDeletions()).toHaveLength(0);
    const orphan = [...simulated.instances.keys()].find((id) => DRILL_PATTERN.test(id));
    expect(simulated.instances.get(orphan ?? '')?.DBInstanceStatus).toBe('creating');
    const [result] = published();
    expect(result).toMatchObject({ outcome: 'failed', severity: 'critical', summary: expect.stringContaining('ORPHAN REMAINS') });
    expect(result?.summary).toContain('RestoreWaitCapReached');
    expect(result?.summary).toContain(`RDS refuses to delete ${orphan} while it is creating (InvalidDBInstanceState)`);
    expect(result?.howToUndo).toContain(`aws rds delete-db-instance --db-instance-identifier ${orphan}`);
  });

  it('waits until RDS accepts the deletion of an instance still being created when the drill fails before the restore finished', async () => {
    // Prepare
    const simulated = scenario({ rds: { restorePolls: 3 } });
    let denied = false;
    account.intercept(async (call, send) => {
      const input = call.input as { DBInstanceIdentifier?: string };
      if (!denied && call.command === 'DescribeDBInstances' && DRILL_PATTERN.test(input.DBInstanceIdentifier ?? '')) {
        denied = true;
        throw Object.assign(new Error('User is not authorized to perform rds:DescribeDBInstances'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
      }
      return send();
    });

    // Act
    const run = await drill();

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
    expect(run.path.slice(run.path.indexOf(S.checkRestore))).toEqual([S.checkRestore, S.delete, S.gone, ...Array(2).fill([S.waitDeletion, S.confirmDeletion, S.gone]).flat(), S.releaseLock, S.report, S.passed, S.failed]);
    // Still creating at the first three tries (read, so not asked), deleted at the fourth once available.
    expect(run.retries).toBe(3);
    expect(drillDeletions()).toHaveLength(1);
    expect([...simulated.instances.keys()].filter((id) => DRILL_PATTERN.test(id))).toEqual([]);
    const [result] = published();
    expect(result).toMatchObject({ outcome: 'failed', severity: 'critical' });
    expect(result?.summary).toContain('failed at');
    expect(result?.summary).not.toContain('ORPHAN');
    expect(result?.actionsTaken).toEqual(expect.arrayContaining([expect.stringMatching(/^Deleted financehub-staging-drill-/)]));
  });

  it.each([
    [
      'a critical table is missing',
      { schemas: { public: { accounts_user: sourceDatabase().schemas.public!.accounts_user!, ledger_account: sourceDatabase().schemas.public!.ledger_account! } } },
      'ledger_transaction is missing',
    ],
    [
      'the restore lacks the last 20 minutes of writes',
      { schemas: { public: { ...sourceDatabase().schemas.public, ledger_transaction: { rows: 49_800, timestamps: { created_at: [minutesAgo(60), minutesAgo(28)] } } } } },
      'exceeds the 15-minute RPO',
    ],
  ])('fails verification when %s, deletes the instance and reports it as critical', async (_case, restored, problem) => {
    // Prepare
    scenario({ restored });

    // Act
    const run = await drill();

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
    expect(run.path.indexOf(S.delete)).toBe(run.path.indexOf(S.verify) + 1);
    expect(run.path.slice(-4)).toEqual([S.releaseLock, S.report, S.passed, S.failed]);
    expect(drillDeletions()).toHaveLength(1);
    expect(published()[0]).toMatchObject({ outcome: 'failed', severity: 'critical', summary: expect.stringContaining(problem) });
  });

  it('runs the cleanup when the verification cannot even connect', async () => {
    // Prepare
    scenario({ restored: null });

    // Act
    const run = await drill();

    // Assess
    expect(run.path).toEqual(expect.arrayContaining([S.verify, S.delete, S.report, S.failed]));
    expect(run.path.indexOf(S.delete)).toBe(run.path.indexOf(S.verify) + 1);
    expect(drillDeletions()).toHaveLength(1);
    expect(published()[0]?.summary).toContain('failed at verification');
  });

  it('reports an orphan as critical, with the command to delete it, when the cleanup fails', async () => {
    // Prepare
    const denied = Object.assign(new Error('User is not authorized to perform rds:DeleteDBInstance'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const simulated = scenario({ rds: { deleteError: denied } });

    // Act
    const run = await drill();

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
    expect(run.path.slice(-6)).toEqual([S.verify, S.delete, S.releaseLock, S.report, S.passed, S.failed]);
    const orphan = [...simulated.instances.keys()].find((id) => DRILL_PATTERN.test(id));
    expect(orphan).toBeDefined();
    const [result] = published();
    expect(result).toMatchObject({ outcome: 'failed', severity: 'critical', summary: expect.stringContaining('ORPHAN REMAINS') });
    expect(result?.howToUndo).toContain(`aws rds delete-db-instance --db-instance-identifier ${orphan} --skip-final-snapshot --delete-automated-backups --region us-east-1`);
  });

  it('ends as "result not published" when Slack cannot be told, after the instance was already deleted', async () => {
    // Prepare
    const simulated = scenario();
    sns.on(PublishCommand).rejects(Object.assign(new Error('Service unavailable'), { name: 'InternalError', $metadata: { httpStatusCode: 503 } }));

    // Act
    const run = await drill();

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'DrillReportFailed' });
    expect(run.path.slice(-2)).toEqual([S.report, S.reportNotWritten]);
    expect(run.retries).toBe(4);
    expect([...simulated.instances.keys()].filter((id) => DRILL_PATTERN.test(id))).toEqual([]);
    expect(s3.commandCalls(PutObjectCommand).length).toBeGreaterThanOrEqual(2);
  });
});
