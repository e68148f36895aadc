import { jest } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElastiCacheClient, TestFailoverCommand } from '@aws-sdk/client-elasticache';
import { InvalidDBInstanceStateFault, RDSClient, RebootDBInstanceCommand } from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SimulatedAccount, publishedResults } from '../../rehearsal/simulated/account.js';
import type { SimulatedDynamoDb } from '../../rehearsal/simulated/dynamodb.js';
import { DRILL_LOCK_KEY } from '../../functions/lib/drill-lock.js';
import type { SimulatedFailover } from '../../rehearsal/simulated/failover.js';
import { type FailoverDrillWorldOptions, failoverDrillWorld } from '../../rehearsal/scenarios/failover-drill.js';
import productionApproved from '../../events/failover-drill-production-approved.json';
import productionUnapproved from '../../events/failover-drill-production-unapproved.json';
import scheduledStart from '../../events/failover-drill-scheduled.json';
import type { createHandler as CreateHandler } from '../../functions/failover-drill/create-handler.js';
import type { ProbeFetch } from '../../functions/lib/health-probe.js';
import type { OpsResult } from '../../contracts/ops-result.js';
import { inputHash } from '../../functions/lib/approvals.js';
import { publishOpsResult } from '../../functions/lib/publish-result.js';
import { verifyApproval } from '../../functions/verify-approval/verify.js';
import { APPROVAL_GATE_STATES as G } from '../../infra/constructs/approval-gate.js';
import { FAILOVER_DRILL_STATES as S } from '../../infra/workflows/failover-drill.js';
import { type DeployedHandler, type WorkflowRun, functionEnvironment, inProcess, loadStateMachine, quietEmptyMetricsWarnings, quietPowertools, runWorkflow } from './support/workflow.js';

const EXECUTION = 'drill-2027-q1';
/** A Wednesday afternoon: far from the Sunday 03:00 maintenance window. */
const START = Date.parse('2027-01-13T14:00:00Z');
const LOCK_TABLE = 'financehub-staging-remediation-guardrails';
const RESTORE_DRILL = 'arn:aws:states:us-east-1:111111111111:execution:financehub-staging-restore-drill:monthly';

const account = new SimulatedAccount();
const rds = account.mock(RDSClient);
const elasticache = account.mock(ElastiCacheClient);
const s3 = account.mock(S3Client);
let createHandler: typeof CreateHandler;
const handlers = new Map<'staging' | 'production', DeployedHandler>();
/** The application's health endpoint the drill probes: the simulation's, watched. */
const fetchProbe = jest.fn<ProbeFetch>();
let simulation: SimulatedFailover;
let approvals: SimulatedDynamoDb;
const APPROVALS = 'financehub-production-slack-approvals';

type Scenario = FailoverDrillWorldOptions & { readonly environment?: 'staging' | 'production' };

/** The failover drill's account (rehearsal/scenarios/failover-drill.ts) with one test's variant, starting at START. */
function scenario(options: Scenario = {}): void {
  account.reset();
  ({ simulation, dynamodb: approvals } = failoverDrillWorld(account, options.environment ?? 'staging', { startAt: START, ...options }));
  fetchProbe.mockClear().mockImplementation(simulation.fetch);
}

/** The drill's function as deployed in `environment`, built once, on the simulation's clock and health endpoint. */
function lambda(environment: 'staging' | 'production'): DeployedHandler {
  let built = handlers.get(environment);
  if (!built) {
    built = createHandler({ environment: functionEnvironment(environment, 'failover-drill'), clients: { fetch: fetchProbe, now: () => simulation.clock.now() } });
    handlers.set(environment, built);
  }
  return built;
}

/** Production's first state: the approval check, on the simulated clock, with U04ALICE an operator and U04BOB an approver. */
function productionGate(): (event: unknown) => Promise<unknown> {
  return (event) =>
    verifyApproval(event, {
      ddb: new DynamoDBClient({}),
      sfn: new SFNClient({}),
      settings: { environment: 'production', tableName: APPROVALS, automatedStarters: [] },
      policy: async () => ({ teamId: 'T0', channels: ['C0'], operators: ['U04ALICE (alice) via /ops'], approvers: ['U04BOB (bob)'], commands: {}, awsIdentities: {} }),
      publish: (result) => publishOpsResult(new SNSClient({}), 'arn:aws:sns:us-east-1:222222222222:financehub-production-notifications', result),
      audit: async () => undefined,
      now: () => simulation.clock.now(),
    });
}

/** The approval the approval path records for this exact production input. */
function approve(input: Record<string, unknown>): Record<string, unknown> {
  const at = Math.floor(simulation.clock.now().getTime() / 1000);
  approvals.seed(APPROVALS, {
    id: { S: 'approval#q1-drill' },
    status: { S: 'approved' },
    workflow: { S: 'failover-drill' },
    requestedBy: { S: String(input.requestedBy) },
    approvedBy: { S: String(input.approvedBy) },
    inputHash: { S: inputHash(input) },
    approvedAt: { S: simulation.clock.now().toISOString() },
    usableUntil: { N: String(at + 600) },
    expiresAt: { N: String(at + 86_400) },
  });
  return { ...input, approvalId: 'q1-drill' };
}

async function drill(input: unknown = scheduledStart, environment: 'staging' | 'production' = 'staging'): Promise<WorkflowRun> {
  const lambdas: Record<string, (event: unknown) => Promise<unknown>> = { 'failover-drill': inProcess(lambda(environment), 'failover-drill') };
  if (environment === 'production') lambdas['verify-approval'] = productionGate();
  return runWorkflow({ definition: loadStateMachine(environment, 'failover-drill'), input, executionName: EXECUTION, lambdas, clock: simulation.clock });
}

function published(): OpsResult[] {
  return publishedResults(account);
}

const nothingFailedOver = () => {
  expect(rds.commandCalls(RebootDBInstanceCommand)).toHaveLength(0);
  expect(elasticache.commandCalls(TestFailoverCommand)).toHaveLength(0);
};

const PRECONDITIONS = [S.preconditions, S.preconditionsMet];
const DATABASE_POLL = [S.waitDatabase, S.checkDatabase, S.databaseFailedOver];
const CACHE_POLL = [S.waitCache, S.checkCache, S.cacheFailedOver];
const PROBE = [S.probe, S.healthy];
const NEXT_PROBE = [S.waitProbe, S.probe, S.healthy];

beforeAll(async () => {
  quietPowertools();
  quietEmptyMetricsWarnings();
  // Imported after Powertools is quiet: it reads its settings when the shared logger is created.
  ({ createHandler } = await import('../../functions/failover-drill/create-handler.js'));
});

afterAll(() => {
  jest.restoreAllMocks();
  account.restore();
});

describe('the failover drill', () => {
  it('fails over the database and the cache, waits for a healthy application, and reports the phases against their targets', async () => {
    // Prepare
    scenario();

    // Act
    const run = await drill();

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual([
      ...PRECONDITIONS,
      S.failOverDatabase, ...DATABASE_POLL, ...DATABASE_POLL, ...DATABASE_POLL,
      S.failOverCache, ...CACHE_POLL, ...CACHE_POLL,
      ...PROBE, ...NEXT_PROBE, ...NEXT_PROBE,
      S.releaseLock, S.report, S.passed, S.succeeded,
    ]);
    expect(run.transitions).toBe(31);
    expect(rds.commandCalls(RebootDBInstanceCommand).map((call) => call.args[0].input)).toEqual([{ DBInstanceIdentifier: 'financehub-staging-db', ForceFailover: true }]);
    expect(elasticache.commandCalls(TestFailoverCommand).map((call) => call.args[0].input)).toEqual([{ ReplicationGroupId: 'financehub-staging-redis', NodeGroupId: '0001' }]);
    expect(fetchProbe).toHaveBeenCalledWith('https://origin.staging.financehub.com/api/health', expect.objectContaining({ method: 'GET' }));
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual([
      expect.stringMatching(new RegExp(`^drills/failover-drill/.+-${EXECUTION}\\.json$`)),
      expect.stringMatching(new RegExp(`^drills/failover-drill/.+-${EXECUTION}\\.html$`)),
    ]);
    const [result] = published();
    expect(result).toMatchObject({ workflow: 'failover-drill', environment: 'staging', outcome: 'succeeded', severity: 'info', requestedBy: 'schedule' });
    expect(result?.measurements).toEqual([
      { name: 'Database failover', value: 45, unit: 's', target: 120, passed: true },
      { name: 'Cache failover', value: 30, unit: 's', target: 60, passed: true },
      { name: 'Time to healthy application', value: 95, unit: 's', target: 300, passed: true },
    ]);
    expect(result?.actionsTaken).toEqual(
      expect.arrayContaining([
        'Rebooted financehub-staging-db with failover (from us-east-1a to us-east-1b)',
        'Tested failover of financehub-staging-redis (primary financehub-staging-redis-001 -> financehub-staging-redis-002)',
      ]),
    );
    expect(result?.howToUndo).toContain('aws rds reboot-db-instance --region us-east-1 --db-instance-identifier financehub-staging-db --force-failover');
    expect(result?.reportUrl).toMatch(/^s3:\/\/financehub-staging-backups-111111111111\/drills\/failover-drill\/.+\.html$/);
  });

  it('reports a passing drill with missed targets as failed, at warning, when the database took too long', async () => {
    // Prepare
    scenario({ databasePolls: 9 });

    // Act
    const run = await drill();

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
    expect(run.path.slice(-4)).toEqual([S.releaseLock, S.report, S.passed, S.failed]);
    expect(published()[0]).toMatchObject({ outcome: 'failed', severity: 'warning', summary: expect.stringContaining('Database failover 150 s (target 120 s)') });
  });

  it('stops before acting in production without a recorded approval, and says who tried', async () => {
    // Prepare
    scenario({ environment: 'production' });

    // Act
    const run = await drill(productionUnapproved, 'production');

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'ApprovalRefused' });
    expect(run.path).toEqual([G.verify, G.refused]);
    nothingFailedOver();
    expect(published()[0]).toMatchObject({
      environment: 'production',
      outcome: 'failed',
      severity: 'critical',
      requestedBy: productionUnapproved.requestedBy,
      summary: expect.stringContaining('Nothing was changed.'),
    });
  });

  it('runs in production when a second person approved this exact input', async () => {
    // Prepare
    scenario({ environment: 'production' });

    // Act
    const run = await drill(approve(productionApproved), 'production');

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path.slice(0, 2)).toEqual([G.verify, S.preconditions]);
    expect(rds.commandCalls(RebootDBInstanceCommand)[0]?.args[0].input).toEqual({ DBInstanceIdentifier: 'financehub-production-db', ForceFailover: true });
    expect(published()[0]).toMatchObject({ environment: 'production', outcome: 'succeeded', requestedBy: productionApproved.requestedBy });
    expect(approvals.item(APPROVALS, 'approval#q1-drill')?.usedBy?.S).toMatch(new RegExp(`:${EXECUTION}$`));
  });

  it.each([
    ['the database is single-AZ', { multiAz: false }, 'Database Multi-AZ and available'],
    ['the cache has no replica', { replicas: 0 }, 'Cache automatic failover with a replica'],
    ['an alarm is in ALARM', { alarming: [{ AlarmName: 'financehub-staging-worker-high-memory', StateValue: 'ALARM' as const }] }, 'in ALARM: financehub-staging-worker-high-memory'],
    ['it is inside the maintenance window', { startAt: Date.parse('2027-01-17T03:20:00Z') }, 'inside the maintenance window sun:03:00-sun:04:00'],
    ['the maintenance window starts before the drill could end', { startAt: Date.parse('2027-01-17T02:30:00Z') }, 'starts in 30 min'],
  ])('does nothing and reports each precondition when %s', async (_case, options, reported) => {
    // Prepare
    scenario(options);

    // Act
    const run = await drill();

    // Assess
    expect(run.path).toEqual([...PRECONDITIONS, S.releaseLock, S.report, S.passed, S.skipped]);
    nothingFailedOver();
    const [result] = published();
    expect(result).toMatchObject({ outcome: 'skipped', severity: 'warning' });
    expect(result?.summary).toContain(reported);
    expect(result?.actionsTaken[0]).toBe('Checked 6 preconditions');
  });

  it('does nothing while a restore drill holds the drill lock, names it, and leaves its lock held', async () => {
    // Prepare
    scenario({ lockHeldBy: { execution: RESTORE_DRILL, drill: 'restore-drill' } });

    // Act
    const run = await drill();

    // Assess
    expect(run.path).toEqual([...PRECONDITIONS, S.releaseLock, S.report, S.passed, S.skipped]);
    nothingFailedOver();
    const [result] = published();
    expect(result).toMatchObject({ outcome: 'skipped', severity: 'warning' });
    expect(result?.summary).toContain(`No other drill running (another drill is running: ${RESTORE_DRILL} (restore-drill) holds the drill lock until 2027-01-13T15:00:00.000Z)`);
    expect(result?.actionsTaken).toContain(`The drill lock is held by ${RESTORE_DRILL}, not by this drill: left as it is.`);
    expect(approvals.item(LOCK_TABLE, DRILL_LOCK_KEY)?.owner?.S).toBe(RESTORE_DRILL);
  });

  it('holds the drill lock while it fails things over and releases it before it reports', async () => {
    // Prepare
    scenario();
    const owners: (string | undefined)[] = [];
    rds.on(RebootDBInstanceCommand).callsFake(async () => {
      owners.push(approvals.item(LOCK_TABLE, DRILL_LOCK_KEY)?.owner?.S);
      throw new InvalidDBInstanceStateFault({ message: 'DB instance is not in available state', $metadata: { httpStatusCode: 400 } });
    });

    // Act
    const run = await drill();

    // Assess
    expect(owners).toEqual([`arn:aws:states:us-east-1:111111111111:execution:financehub-staging-failover-drill:${EXECUTION}`]);
    expect(run.path.slice(-4)).toEqual([S.releaseLock, S.report, S.passed, S.failed]);
    expect(approvals.item(LOCK_TABLE, DRILL_LOCK_KEY)).toBeUndefined();
    expect(published()[0]?.actionsTaken).toContain('The drill lock is released.');
  });

  it('stops during the database failover when the error-rate alarm stays in ALARM too long, and tells on-call where things stand', async () => {
    // Prepare
    scenario({ databasePolls: Number.POSITIVE_INFINITY, errorRateAlarmMinutes: 6 });

    // Act
    const run = await drill();

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
    expect(run.path).toEqual([...PRECONDITIONS, S.failOverDatabase, ...DATABASE_POLL, S.releaseLock, S.report, S.passed, S.failed]);
    expect(elasticache.commandCalls(TestFailoverCommand)).toHaveLength(0);
    const [result] = published();
    expect(result).toMatchObject({ outcome: 'failed', severity: 'critical' });
    expect(result?.summary).toContain('STOPPED during the database failover: error rate too high for too long: financehub-staging-backend-high-error-rate (in ALARM for 6 min)');
    expect(result?.summary).toContain('Database financehub-staging-db: rebooting in us-east-1a (was us-east-1a; failover NOT confirmed)');
    expect(result?.summary).toContain('Cache financehub-staging-redis: not touched');
  });

  it('lets a short error-rate alarm pass: the failover is expected to cost a few errors', async () => {
    // Prepare
    scenario({ errorRateAlarmMinutes: 2 });

    // Act
    const run = await drill();

    // Assess
    expect(run.status).toBe('SUCCEEDED');
  });

  it('stops when the database is not available in the other zone within its cap', async () => {
    // Prepare
    scenario({ databasePolls: Number.POSITIVE_INFINITY });

    // Act
    const run = await drill();

    // Assess
    // A check every 15 s on the simulated clock, for the 15-minute cap.
    const polls = run.path.filter((state) => state === S.checkDatabase).length;
    expect(polls).toBe(60);
    expect(run.path.slice(-5)).toEqual([S.databaseFailedOver, S.releaseLock, S.report, S.passed, S.failed]);
    expect(elasticache.commandCalls(TestFailoverCommand)).toHaveLength(0);
    expect(published()[0]?.summary).toContain('the database was not available in another zone within 15 min');
  });

  it('stops when the cache has no new primary within its cap, after the database failed over', async () => {
    // Prepare
    scenario({ cachePolls: Number.POSITIVE_INFINITY });

    // Act
    const run = await drill();

    // Assess
    expect(run.path).toContain(S.failOverCache);
    expect(run.path).not.toContain(S.probe);
    expect(run.path.slice(-5)).toEqual([S.cacheFailedOver, S.releaseLock, S.report, S.passed, S.failed]);
    const [result] = published();
    expect(result).toMatchObject({ outcome: 'failed', severity: 'critical' });
    expect(result?.summary).toContain('the cache had no new primary within 15 min');
    expect(result?.summary).toContain('Database financehub-staging-db: available in us-east-1b (was us-east-1a; failed over)');
  });

  it('stops when the application is not healthy within its cap, counting only successes in a row', async () => {
    // Prepare
    scenario({ health: [200, 200, 503, 200, 502] });

    // Act
    const run = await drill();

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
    const probes = run.path.filter((state) => state === S.probe).length;
    // A probe every 10 s on the simulated clock: at 0 s, 10 s, ... and the one at 600 s that reaches the cap.
    expect(probes).toBe(61);
    const [result] = published();
    expect(result?.summary).toContain('STOPPED during the application health check: the application was not healthy within 10 min (0 of 3 successes in a row)');
    expect(result?.measurements).toContainEqual(expect.objectContaining({ name: 'Time to healthy application', passed: false }));
  });

  it('reports a database that refused the failover, with nothing changed', async () => {
    // Prepare
    scenario({ rebootError: new InvalidDBInstanceStateFault({ message: 'Database instance is not in available state.', $metadata: {} }) });

    // Act
    const run = await drill();

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
    expect(run.path).toEqual([...PRECONDITIONS, S.failOverDatabase, S.releaseLock, S.report, S.passed, S.failed]);
    expect(elasticache.commandCalls(TestFailoverCommand)).toHaveLength(0);
    expect(published()[0]).toMatchObject({ outcome: 'failed', severity: 'warning', summary: expect.stringContaining('InvalidDBInstanceStateFault: Database instance is not in available state.') });
  });

  it('still publishes the result when the report cannot be stored', async () => {
    // Prepare
    scenario();
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));

    // Act
    const run = await drill();

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(published()[0]?.reportUrl).toBe('not written: Access Denied');
  });
});
