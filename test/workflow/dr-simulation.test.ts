import { DeleteDBInstanceCommand, InvalidDBInstanceStateFault, RDSClient, RestoreDBInstanceToPointInTimeCommand } from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { OpsResult } from '../../contracts/ops-result.js';
import { DR_SIMULATION_STATES as S } from '../../infra/workflows/dr-simulation.js';
import { SimulatedAccount, publishedResults } from '../../rehearsal/simulated/account.js';
import { SimulatedClock } from '../../rehearsal/simulated/clock.js';
import type { SimulatedDynamoDb } from '../../rehearsal/simulated/dynamodb.js';
import { DRILL_LOCK_KEY } from '../../functions/lib/drill-lock.js';
import type { SimulatedDrRecovery } from '../../rehearsal/simulated/dr-recovery.js';
import { type DrSimulationWorldOptions, drSimulationWorld } from '../../rehearsal/scenarios/dr-simulation.js';
import type { SimulatedPostgres } from '../../rehearsal/simulated/postgres.js';
import { SimulatedStepFunctions } from '../../rehearsal/simulated/step-functions.js';
import { type DeployedHandler, type WorkflowRun, functionEnvironment, inProcess, loadStateMachine, quietEmptyMetricsWarnings, quietPowertools, runWorkflow } from './support/workflow.js';

const START = Date.parse('2027-03-10T14:00:00Z');
const EXECUTION = 'dr-simulation-2027';

let account: SimulatedAccount;
let clock: SimulatedClock;
let dr: SimulatedDrRecovery;
let lockTable: SimulatedDynamoDb;
const LOCK_TABLE = 'financehub-staging-remediation-guardrails';
const RESTORE_DRILL = 'arn:aws:states:us-east-1:111111111111:execution:financehub-staging-restore-drill:scheduled-2027-03';
let postgres: SimulatedPostgres | undefined;
let createHandler: (overrides: { environment?: Record<string, string>; clients?: Record<string, unknown> }) => DeployedHandler;

/** The DR region of staging at the simulation's start (rehearsal/scenarios/dr-simulation.ts), with one test's variant. */
function world(options: DrSimulationWorldOptions = {}): void {
  account = new SimulatedAccount();
  clock = new SimulatedClock(START);
  const stepFunctions = new SimulatedStepFunctions(account);
  const definition = loadStateMachine('staging', 'dr-simulation');
  stepFunctions.add({ stateMachineArn: definition.stateMachineArn, name: EXECUTION, input: '{}' });
  ({ dr, lockTable, postgres } = drSimulationWorld(account, 'staging', { clock, agentEnvironment: functionEnvironment('staging', 'dr-simulation-agent') }, options));
}

async function simulate(input: unknown = { requestedBy: 'schedule', environment: 'staging' }): Promise<WorkflowRun> {
  const handler = createHandler({ environment: functionEnvironment('staging', 'dr-simulation'), clients: { now: () => clock.now() } });
  return runWorkflow({ definition: loadStateMachine('staging', 'dr-simulation'), input, executionName: EXECUTION, clock, lambdas: { 'dr-simulation': inProcess(handler, 'dr-simulation') } });
}

function result(): OpsResult {
  const results = publishedResults(account);
  expect(results).toHaveLength(1);
  return results[0] as OpsResult;
}

const measured = (name: string) => result().measurements.find((m) => m.name === name);

beforeAll(async () => {
  quietPowertools();
  quietEmptyMetricsWarnings();
  ({ createHandler } = (await import('../../functions/dr-simulation/create-handler.js')) as unknown as { createHandler: typeof createHandler });
});

afterEach(() => {
  postgres?.restore();
  account.restore();
});

describe('the DR simulation', () => {
  it('restores the database and the file system in us-west-2, runs the backend there until healthy, verifies the data, tears everything down and reports RTO and data loss', async () => {
    // Prepare
    world();

    // Act
    const run = await simulate();

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path.slice(0, 2)).toEqual([S.plan, S.startRestores]);
    expect(run.path.slice(-4)).toEqual([S.releaseLock, S.report, S.passed, S.succeeded]);
    expect(lockTable.item(LOCK_TABLE, DRILL_LOCK_KEY)).toBeUndefined();
    expect(run.path).toContain(S.startBackend);
    expect(run.path.at(-1)).toBe(S.succeeded);
    const restore = account.mock(RDSClient).commandCalls(RestoreDBInstanceToPointInTimeCommand)[0]?.args[0].input;
    expect(restore).toMatchObject({ SourceDBInstanceAutomatedBackupsArn: dr.automatedBackupsArn, UseLatestRestorableTime: true, DBSubnetGroupName: 'financehub-staging-dr-database', VpcSecurityGroupIds: ['sg-0db00000'], MultiAZ: false });
    expect(restore?.Tags).toContainEqual({ Key: 'financehub:dr-simulation-execution', Value: EXECUTION });
    expect(dr.resourcesOf(EXECUTION)).toEqual([]);
    const published = result();
    expect(published).toMatchObject({ workflow: 'dr-simulation', outcome: 'succeeded', severity: 'info' });
    expect(published.summary).toContain('Everything it created in us-west-2 is deleted (read back)');
    // 38 min database restore (polled with backoff), 3 min task start, 2 min warm-up, 3 probes 10 s apart.
    expect(measured('RTO (start to healthy)')).toMatchObject({ target: 240, passed: true });
    expect(measured('RTO (start to healthy)')?.value).toBeGreaterThan(40);
    expect(measured('RTO (start to healthy)')?.value).toBeLessThan(60);
    expect(measured('Data-loss window')).toMatchObject({ value: 6, target: 15, passed: true });
    expect(measured('Estimated cost')?.passed).toBe(true);
    const keys = account.mock(S3Client).commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(keys.map((input) => [input.Bucket, input.ContentType])).toEqual([
      ['financehub-staging-dr-reports-111111111111', 'application/json'],
      ['financehub-staging-dr-reports-111111111111', 'text/html; charset=utf-8'],
    ]);
    expect(keys[0]?.Key).toMatch(/^drills\/dr-simulation\/2027-03-10T14-00-00Z-dr-simulation-2027\.json$/);
  });

  it('fails when the replicated backups lag 23 minutes behind, still tearing down what it restored', async () => {
    // Prepare
    world({ replicationLagMinutes: 23 });

    // Act
    const run = await simulate();

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'DrSimulationFailed' });
    expect(measured('Data-loss window')).toMatchObject({ value: 23, target: 15, passed: false });
    expect(result().summary).toMatch(/missed targets: Data-loss window 23 min > 15 min/);
    expect(dr.resourcesOf(EXECUTION)).toEqual([]);
  });

  it('tears down a restore that fails midway: waits until RDS accepts deleting the instance still creating, and leaves nothing tagged with the execution', async () => {
    // Prepare
    world({ fileSystemRestoreFailsAfterMinutes: 20 });

    // Act
    const run = await simulate();

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'DrSimulationFailed' });
    expect(run.path).not.toContain(S.startBackend);
    expect(run.path.filter((state) => state === S.tearDown).length).toBeGreaterThan(1);
    const deletions = account.mock(RDSClient).commandCalls(DeleteDBInstanceCommand);
    // Refused while the instance was creating (as RDS refuses it), accepted once it was available.
    await expect(deletions[0]?.returnValue).rejects.toBeInstanceOf(InvalidDBInstanceStateFault);
    await expect(deletions.at(-1)?.returnValue).resolves.toMatchObject({ DBInstance: { DBInstanceStatus: 'deleting' } });
    expect(dr.resourcesOf(EXECUTION)).toEqual([]);
    expect(result().summary).toMatch(/FAILED during the restores: RestoreFailed: The EFS restore job restore-1 is FAILED/);
    expect(result().summary).toContain('Everything it created in us-west-2 is deleted (read back)');
  });

  it('stops when /api/health never answers OK within its cap, tears down and says so', async () => {
    // Prepare
    world({ healthyAfterMinutes: Number.POSITIVE_INFINITY });

    // Act
    const run = await simulate();

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'DrSimulationFailed' });
    expect(run.path).toContain(S.checkBackend);
    expect(result().summary).toMatch(/FAILED during waiting for \/api\/health: Stopped: \/api\/health did not answer 3 times in a row within 10 minutes/);
    expect(measured('RTO (start to healthy)')).toBeUndefined();
    expect(dr.resourcesOf(EXECUTION)).toEqual([]);
  });

  it('refuses to start while another drill holds the drill lock, creates nothing and leaves that lock alone', async () => {
    // Prepare
    world({ lockHeldBy: { execution: RESTORE_DRILL, drill: 'restore-drill' } });

    // Act
    const run = await simulate();

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual([S.plan, S.releaseLock, S.report, S.passed, S.skipped]);
    expect(account.mock(RDSClient).commandCalls(RestoreDBInstanceToPointInTimeCommand)).toHaveLength(0);
    expect(lockTable.item(LOCK_TABLE, DRILL_LOCK_KEY)?.owner?.S).toBe(RESTORE_DRILL);
    expect(result()).toMatchObject({ outcome: 'skipped', severity: 'warning' });
    expect(result().summary).toMatch(new RegExp(`Another drill of staging is running: ${RESTORE_DRILL} \\(restore-drill\\) holds the drill lock until 2027-03-10T15:00:00.000Z; this simulation created nothing Nothing was created\\.$`));
  });

  it('takes the drill lock as its own execution, so a restore drill started meanwhile is refused', async () => {
    // Prepare
    world({ healthyAfterMinutes: Number.POSITIVE_INFINITY });
    let heldDuring: string | undefined;
    account.mock(RDSClient).on(RestoreDBInstanceToPointInTimeCommand).callsFake(async () => {
      heldDuring = lockTable.item(LOCK_TABLE, DRILL_LOCK_KEY)?.drill?.S;
      throw Object.assign(new Error('The quota for DB instances is reached'), { name: 'InstanceQuotaExceededFault', $metadata: { httpStatusCode: 400 } });
    });

    // Act
    const run = await simulate();

    // Assess
    expect(heldDuring).toBe('dr-simulation');
    expect(run).toMatchObject({ status: 'FAILED', error: 'DrSimulationFailed' });
    expect(run.path).toContain(S.releaseLock);
    expect(lockTable.item(LOCK_TABLE, DRILL_LOCK_KEY)).toBeUndefined();
    expect(result().summary).toContain('InstanceQuotaExceededFault');
  });
});

describe('the simulated DR region', () => {
  it('refuses a restore from automated backups that do not exist and a deletion of an instance still creating, as RDS does', async () => {
    // Prepare
    world();
    const rds = new RDSClient({ region: 'us-west-2' });

    // Act
    const bogus = rds.send(new RestoreDBInstanceToPointInTimeCommand({ SourceDBInstanceAutomatedBackupsArn: 'arn:aws:rds:us-west-2:111111111111:auto-backup:ab-nothing', TargetDBInstanceIdentifier: 'financehub-staging-drsim-x', UseLatestRestorableTime: true }));
    await rds.send(new RestoreDBInstanceToPointInTimeCommand({ SourceDBInstanceAutomatedBackupsArn: dr.automatedBackupsArn, TargetDBInstanceIdentifier: 'financehub-staging-drsim-y', UseLatestRestorableTime: true }));
    const early = rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'financehub-staging-drsim-y', SkipFinalSnapshot: true }));

    // Assess
    await expect(bogus).rejects.toMatchObject({ name: 'DBInstanceAutomatedBackupNotFoundFault' });
    await expect(early).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
  });
});
