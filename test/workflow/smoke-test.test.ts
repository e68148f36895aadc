import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { EnvironmentName } from '../../contracts/environments.js';
import { SMOKE_TEST_STATES as S } from '../../infra/workflows/smoke-test.js';
import { deploymentEvent, smokeTestScenarios } from '../../rehearsal/scenarios/smoke-test.js';
import { type SimulatedReleaseOptions, simulateRelease } from '../../rehearsal/simulated/release.js';
import { SimulatedAccount, publishedResults } from '../../rehearsal/simulated/account.js';
import { type WorkflowRun, functionEnvironment, inProcess, loadStateMachine, quietEmptyMetricsWarnings, quietPowertools, runWorkflow } from './support/workflow.js';

const account = new SimulatedAccount();
let createHandler: typeof import('../../functions/smoke-test/create-handler.js').createHandler;
beforeAll(async () => {
  quietPowertools();
  quietEmptyMetricsWarnings();
  ({ createHandler } = await import('../../functions/smoke-test/create-handler.js'));
});
beforeEach(() => account.mock(SNSClient).on(PublishCommand).resolves({ MessageId: 'm-1' }));
afterEach(() => account.reset());
afterAll(() => account.restore());

async function smokeTest(environment: EnvironmentName, options: SimulatedReleaseOptions | 'other-environment' = {}): Promise<{ run: WorkflowRun; current: () => string | undefined }> {
  const release = options === 'other-environment' ? undefined : simulateRelease(account, environment, options);
  const handler = createHandler({ environment: functionEnvironment(environment, 'smoke-test'), clients: release ? { fetch: release.fetch } : {} });
  const input = options === 'other-environment' ? deploymentEvent(environment === 'staging' ? 'production' : 'staging') : deploymentEvent(environment);
  const run = await runWorkflow({
    definition: loadStateMachine(environment, 'smoke-test'),
    input,
    executionName: 'backend-ecs-svc-4711000000000000042',
    lambdas: { 'smoke-test': inProcess(handler, 'smoke-test') },
  });
  return { run, current: () => release?.current() };
}

const updates = () => account.calls().filter((call) => call.command === 'UpdateService').map((call) => call.input);
const rounds = (run: WorkflowRun) => run.path.filter((state) => state === S.check).length;

describe.each(['staging', 'production'] as const)('the smoke test in %s', (environment) => {
  const TD = (revision: number) => `arn:aws:ecs:us-east-1:${environment === 'staging' ? '111111111111' : '222222222222'}:task-definition/financehub-${environment}-backend:${revision}`;

  it('passes a healthy release after ten clean rounds and changes nothing', async () => {
    // Act
    const { run, current } = await smokeTest(environment);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path.slice(0, 5)).toEqual([S.read, S.ours, S.completed, S.start, S.check]);
    expect(run.path.slice(-4)).toEqual([S.verdict, S.report, S.passed, S.succeeded]);
    expect(rounds(run)).toBe(10);
    expect(updates()).toEqual([]);
    expect(current()).toBe(TD(8));
    const [result] = publishedResults(account);
    expect(result).toMatchObject({ workflow: 'smoke-test', environment, outcome: 'succeeded', requestedBy: 'alice' });
    expect(result?.summary).toContain('backend 3f9c2d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e');
    expect(result?.howToUndo).toContain(`To roll back to ${TD(7)}`);
    expect(result?.howToUndo).toContain(environment === 'staging' ? 'fhops rollback backend --env staging' : '/ops rollback production backend <reason>');
  });

  it(`fails a release whose health check keeps failing and ${environment === 'staging' ? 'rolls it back' : 'says how to ask for the two-person rollback, changing nothing'}`, async () => {
    // Act
    const { run, current } = await smokeTest(environment, { backendHealth: [503] });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('SmokeTestFailed');
    expect(rounds(run)).toBe(3);
    const [result] = publishedResults(account);
    expect(result?.summary).toContain('3 rounds in a row failed: https://');
    const rolledBack = environment === 'staging';
    expect(run.path.includes(S.rollingBack)).toBe(rolledBack);
    expect(updates()).toEqual(rolledBack ? [{ cluster: 'financehub-staging', service: 'financehub-staging-backend', taskDefinition: TD(7) }] : []);
    expect(current()).toBe(rolledBack ? TD(7) : TD(8));
    expect(result?.summary).toContain(rolledBack ? `Rolled back to ${TD(7)}.` : 'Not rolled back: a rollback in production needs two people');
    expect(result?.howToUndo).toContain(rolledBack ? 'release a new commit' : `ask with \`/ops rollback production backend <reason>\` in the production ops channel; once a second person approves, the rollback workflow rolls back`);
  });

  it('fails a release at once when its error-rate alarm goes off', async () => {
    // Act
    const { run } = await smokeTest(environment, { alarmFromRound: { kind: 'high-error-rate', round: 2 } });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(rounds(run)).toBe(2);
    expect(publishedResults(account)[0]?.summary).toContain(`alarm financehub-${environment}-backend-high-error-rate is in ALARM`);
    expect(updates()).toHaveLength(environment === 'staging' ? 1 : 0);
  });

  it('ignores a deployment event of the other environment’s cluster: nothing probed or changed, one line to on-call', async () => {
    // Act
    const { run } = await smokeTest(environment, 'other-environment');

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual([S.read, S.ours, S.report, S.passed, S.ignored]);
    expect(account.calls().map((call) => call.command)).toEqual(['Publish']);
    const other = environment === 'staging' ? 'production' : 'staging';
    expect(publishedResults(account)[0]).toMatchObject({ outcome: 'skipped', severity: 'info' });
    expect(publishedResults(account)[0]?.summary).toContain(`financehub-${other}-backend is not a service of ${environment}'s cluster financehub-${environment}`);
  });

  it('reports a rollback ECS refuses, and fails with the release still running', async () => {
    // Prepare: the previous definition was deregistered since.
    const release = simulateRelease(account, environment, { backendHealth: [503] });
    account.mock(ECSClient).on(UpdateServiceCommand).rejects(Object.assign(new Error('TaskDefinition is inactive'), { name: 'ClientException' }));
    const handler = createHandler({ environment: functionEnvironment(environment, 'smoke-test'), clients: { fetch: release.fetch } });

    // Act
    const run = await runWorkflow({ definition: loadStateMachine(environment, 'smoke-test'), input: deploymentEvent(environment), lambdas: { 'smoke-test': inProcess(handler, 'smoke-test') } });

    // Assess
    expect(run.status).toBe('FAILED');
    const [result] = publishedResults(account);
    expect(release.current()).toBe(TD(8));
    expect(result?.summary).toContain(
      environment === 'staging' ? `The rollback to ${TD(7)} failed (ClientException: TaskDefinition is inactive); financehub-staging-backend runs ${TD(8)} (read after the failure)` : 'Not rolled back',
    );
  });
});

describe('the rehearsal scenarios of the smoke test', () => {
  it('are the healthy release, the failing health check, the error-rate spike and the other environment’s event', () => {
    // Assess
    expect(smokeTestScenarios.map((s) => [s.name, s.expect])).toEqual([
      ['healthy', 'SUCCEEDED'],
      ['failing-health-check', 'FAILED'],
      ['error-rate-spike', 'FAILED'],
      ['other-environment', 'SUCCEEDED'],
    ]);
  });
});
