import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { EnvironmentName } from '../../contracts/environments.js';
import { APPROVAL_GATE_STATES as G } from '../../infra/constructs/approval-gate.js';
import { ROLLBACK_STATES as S } from '../../infra/workflows/rollback.js';
import { SimulatedAccount, publishedResults } from '../../rehearsal/simulated/account.js';
import { type RollbackWorld, rollbackWorld } from '../../rehearsal/scenarios/rollback.js';
import type { SimulatedDynamoDb } from '../../rehearsal/simulated/dynamodb.js';
import type { SimulatedRelease } from '../../rehearsal/simulated/release.js';
import { type DeployedHandler, type WorkflowRun, functionEnvironment, inProcess, loadStateMachine, quietEmptyMetricsWarnings, quietPowertools, runWorkflow } from './support/workflow.js';

const TABLE = 'financehub-production-slack-approvals';
const ROSTER = { teamId: 'T0FINHUB1', channels: ['C0OPS0001'], operators: ['U0ALICE'], approvers: ['U0BOB'], commands: {}, awsIdentities: {} };
/** What `/ops rollback production backend smoke test failed` starts for U0ALICE once U0BOB approved (the approval binds it). */
const APPROVED = { environment: 'production', service: 'backend', reason: 'smoke test failed', requestedBy: 'U0ALICE', approvedBy: 'U0BOB' };
const TD = (environment: EnvironmentName, revision: number) =>
  `arn:aws:ecs:us-east-1:${environment === 'staging' ? '111111111111' : '222222222222'}:task-definition/financehub-${environment}-backend:${revision}`;

const account = new SimulatedAccount();
let table: SimulatedDynamoDb;
let release: SimulatedRelease;
let record: RollbackWorld['approvals']['record'];
const handlers: Partial<Record<EnvironmentName, { rollback: DeployedHandler; verify?: DeployedHandler }>> = {};

beforeAll(async () => {
  quietPowertools();
  quietEmptyMetricsWarnings();
  const { createHandler: rollback } = await import('../../functions/rollback/create-handler.js');
  const { createHandler: verify } = await import('../../functions/verify-approval/create-handler.js');
  handlers.staging = { rollback: rollback({ environment: functionEnvironment('staging', 'rollback') }) };
  handlers.production = { rollback: rollback({ environment: functionEnvironment('production', 'rollback') }), verify: verify({ environment: functionEnvironment('production', 'verify-approval') }) };
});
afterAll(() => account.restore());

function scenario(environment: EnvironmentName): void {
  account.reset();
  ({ release, approvals: { dynamodb: table, record } } = rollbackWorld(account, environment, { roster: ROSTER }));
}

/** An approval record as the approval path writes it; a test may write one the path never would. */
function recordApproval(options: { id?: string; input?: Record<string, unknown>; requestedBy?: string; approvedBy?: string } = {}): string {
  return record({ workflow: 'rollback', id: options.id ?? 'f00dfeed12345678', input: options.input ?? APPROVED, requestedBy: options.requestedBy ?? 'U0ALICE', approvedBy: options.approvedBy ?? 'U0BOB' });
}

async function rollback(environment: EnvironmentName, input: Record<string, unknown>, executionName = 'slack-f00dfeed12345678'): Promise<WorkflowRun> {
  const built = handlers[environment];
  if (!built) throw new Error('handlers not built');
  return runWorkflow({
    definition: loadStateMachine(environment, 'rollback'),
    input,
    executionName,
    lambdas: { rollback: inProcess(built.rollback, 'rollback'), ...(built.verify ? { 'verify-approval': inProcess(built.verify, 'verify-approval') } : {}) },
  });
}

const updates = () => account.calls().filter((call) => call.command === 'UpdateService');

describe('the rollback workflow in staging', () => {
  it('rolls the backend back to the release its latest deployment replaced, read back from ECS, with no approval', async () => {
    // Prepare
    scenario('staging');

    // Act
    const run = await rollback('staging', { environment: 'staging', service: 'backend', reason: 'bad release', requestedBy: 'ana' });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual([S.read, S.decide, S.rollBack, S.report, S.outcome, S.succeeded]);
    expect(updates().map((call) => call.input)).toEqual([{ cluster: 'financehub-staging', service: 'financehub-staging-backend', taskDefinition: TD('staging', 7) }]);
    expect(release.current()).toBe(TD('staging', 7));
    const [result] = publishedResults(account);
    expect(result).toMatchObject({ workflow: 'rollback', outcome: 'succeeded', requestedBy: 'ana' });
    expect(result?.summary).toContain(`Rolled back financehub-staging-backend (requested by ana: bad release): it now runs ${TD('staging', 7)}`);
    expect(result?.howToUndo).toContain(`The release rolled back was ${TD('staging', 8)}`);
  });

  it('rejects a request for another environment, naming the field, and changes nothing', async () => {
    // Prepare
    scenario('staging');

    // Act
    const run = await rollback('staging', { environment: 'production', service: 'backend', requestedBy: 'ana' });

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'NotRolledBack' });
    expect(updates()).toEqual([]);
    expect(publishedResults(account)[0]?.summary).toBe(
      "Rollback not started: InvalidRollback: environment: this is staging's rollback workflow, not production's. Nothing was changed.",
    );
  });

  it('says what runs, read after the failure, when ECS refuses the rollback', async () => {
    // Prepare
    scenario('staging');
    account.mock(ECSClient).on(UpdateServiceCommand).rejects(Object.assign(new Error('TaskDefinition is inactive'), { name: 'ClientException' }));

    // Act
    const run = await rollback('staging', { environment: 'staging', service: 'backend', requestedBy: 'ana' });

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'RollbackFailed' });
    expect(publishedResults(account)[0]).toMatchObject({ severity: 'critical' });
    expect(publishedResults(account)[0]?.summary).toContain(`It runs ${TD('staging', 8)} (read after the failure).`);
  });
});

describe('the rollback workflow in production: two people', () => {
  it('rolls back on an approval recorded by the approval path for this exact input, and uses it', async () => {
    // Prepare
    scenario('production');
    const approvalId = recordApproval();

    // Act
    const run = await rollback('production', { ...APPROVED, approvalId });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path.slice(0, 2)).toEqual([G.verify, S.read]);
    expect(release.current()).toBe(TD('production', 7));
    expect(table.item(TABLE, `approval#${approvalId}`)?.usedBy?.S).toMatch(/:execution:financehub-production-rollback:slack-f00dfeed12345678$/);
    expect(publishedResults(account)[0]?.summary).toContain('requested by U0ALICE, approved by U0BOB: smoke test failed');
  });

  it.each([
    ['a forged approvedBy with no approval record', () => APPROVED, /no approval: .*approvedBy .{1,2}U0BOB.{1,2} in the input is not one/],
    ['an approval id nobody recorded', () => ({ ...APPROVED, approvalId: 'made-up' }), /approval made-up does not exist/],
    ['a self-approval written straight into the table', () => ({ ...APPROVED, approvedBy: 'U0ALICE', approvalId: recordApproval({ input: { ...APPROVED, approvedBy: 'U0ALICE' }, approvedBy: 'U0ALICE' }) }), /U0ALICE approved their own request/],
    ['an approval of another service', () => ({ ...APPROVED, service: 'frontend', approvalId: recordApproval() }), /the input differs from what U0BOB approved/],
    ['an approver removed from the roster since', () => ({ ...APPROVED, approvalId: recordApproval({ approvedBy: 'U0MALLORY', input: { ...APPROVED, approvedBy: 'U0MALLORY' } }), approvedBy: 'U0MALLORY' }), /U0MALLORY is no longer an approver/],
  ])('starts nothing on %s: refused in its first state, nothing read or changed, a critical result', async (_case, input, reason) => {
    // Prepare
    scenario('production');

    // Act
    const run = await rollback('production', input());

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'ApprovalRefused' });
    expect(run.cause).toMatch(reason);
    expect(run.path).toEqual([G.verify, G.refused]);
    expect(account.calls().filter((call) => call.service === 'ECS')).toEqual([]);
    expect(release.current()).toBe(TD('production', 8));
    expect(publishedResults(account)).toEqual([expect.objectContaining({ workflow: 'rollback', outcome: 'failed', severity: 'critical' })]);
    expect(publishedResults(account)[0]?.summary).toContain('Nothing was changed.');
  });

  it('refuses a second execution with an approval already used', async () => {
    // Prepare
    scenario('production');
    const approvalId = recordApproval();
    await rollback('production', { ...APPROVED, approvalId }, 'slack-first');
    const used = table.item(TABLE, `approval#${approvalId}`);
    scenario('production');
    if (used) table.seed(TABLE, used);

    // Act
    const run = await rollback('production', { ...APPROVED, approvalId }, 'cli-alice-again');

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'ApprovalRefused' });
    expect(run.cause).toMatch(/already used by .*:slack-first/);
    expect(updates()).toEqual([]);
  });
});
