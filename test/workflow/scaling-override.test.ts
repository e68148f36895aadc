import { ApplicationAutoScalingClient, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { type ScalingOverrideWorldOptions, scalingOverrideWorld } from '../../rehearsal/scenarios/scaling-override.js';
import { SimulatedAccount, publishedResults } from '../../rehearsal/simulated/account.js';
import applyRequest from '../../events/scaling-override-apply.json';
import revertRequest from '../../events/scaling-override-revert.json';
import type { OpsResult } from '../../contracts/ops-result.js';
import { SCALING_OVERRIDE_STATES as S } from '../../infra/workflows/scaling-override.js';
import { type DeployedHandler, type WorkflowRun, functionEnvironment, inProcess, loadStateMachine, quietEmptyMetricsWarnings, quietPowertools, runWorkflow } from './support/workflow.js';

const EXECUTION = 'cli-alice-2026-11-24T10-00-00Z';
const MACHINE = 'arn:aws:states:us-east-1:111111111111:stateMachine:financehub-staging-scaling-override';
const executionArn = (name: string) => `${MACHINE.replace(':stateMachine:', ':execution:')}:${name}`;
const BACKEND = 'service/financehub-staging/financehub-staging-backend';

const account = new SimulatedAccount();
const autoscaling = account.mock(ApplicationAutoScalingClient);
const sfn = account.mock(SFNClient);
const sns = account.mock(SNSClient);
const ecs = account.mock(ECSClient);
let handler: DeployedHandler;

/** The scalable target of the backend (baseline 2..10), the overrides running now, the topic. */
function scenario(options: Omit<ScalingOverrideWorldOptions, 'stepFunctions'> = {}): void {
  account.reset();
  scalingOverrideWorld(account, 'staging', options);
}

async function override(input: unknown): Promise<WorkflowRun> {
  return runWorkflow({ definition: loadStateMachine('staging', 'scaling-override'), input, executionName: EXECUTION, lambdas: { 'scaling-override': inProcess(handler, 'scaling-override') } });
}

function published(): OpsResult[] {
  return publishedResults(account);
}

const registered = () => autoscaling.commandCalls(RegisterScalableTargetCommand).map((call) => call.args[0].input);
const bounds = (min: number, max: number) => ({ ServiceNamespace: 'ecs', ResourceId: BACKEND, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: min, MaxCapacity: max });

beforeAll(async () => {
  quietPowertools();
  quietEmptyMetricsWarnings();
  // Imported after Powertools is quiet: it reads its settings when the shared logger is created.
  const { createHandler } = await import('../../functions/scaling-override/create-handler.js');
  handler = createHandler({ environment: functionEnvironment('staging', 'scaling-override') });
});

afterAll(() => {
  account.restore();
});

describe('the scaling override', () => {
  it('records the bounds, applies the override with Application Auto Scaling, waits, and restores the baseline', async () => {
    // Prepare
    scenario();

    // Act
    const run = await override(applyRequest);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual([S.validate, S.replace, S.record, S.revertRequested, S.apply, S.reportApplied, S.wait, S.restore, S.reportEnded, S.ended]);
    expect(run.transitions).toBe(10);
    expect(registered()).toEqual([bounds(4, 16), bounds(2, 10)]);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    const [applied, ended] = published();
    expect(applied).toMatchObject({ workflow: 'scaling-override', outcome: 'succeeded', severity: 'info', requestedBy: applyRequest.requestedBy });
    expect(applied?.summary).toMatch(/^Scaling override on backend: min 2, max 10 -> min 4, max 16 until \d{4}-\d\d-\d\dT[\d:.]+Z \(60 min\), requested by U04ALICE \(alice\) via \/ops: month-end batch run\.$/);
    expect(applied?.howToUndo).toContain('To revert early: `fhops scale-revert staging backend` or `/ops scale-revert staging backend`.');
    expect(ended).toMatchObject({ outcome: 'succeeded', severity: 'info', summary: 'Scaling override on backend ended as scheduled: back to the baseline min 2, max 10 (was min 4, max 16).' });
  });

  it('replaces the older override of the same service, and only that one', async () => {
    // Prepare
    scenario({
      running: [
        { name: 'cli-bob-older-backend', service: 'backend', minutesAgo: 30 },
        { name: 'cli-bob-older-worker', service: 'worker', minutesAgo: 20 },
        { name: 'cli-carol-newer-backend', service: 'backend', minutesAgo: -1 },
      ],
    });

    // Act
    const run = await override(applyRequest);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(sfn.commandCalls(StopExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { executionArn: executionArn('cli-bob-older-backend'), error: 'OverrideReplaced', cause: expect.stringContaining(`Replaced by ${EXECUTION} (a newer override requested by U04ALICE (alice) via /ops)`) },
    ]);
    expect(sfn.commandCalls(StopExecutionCommand).length).toBeLessThan(sfn.commandCalls(DescribeExecutionCommand).length);
    const [applied] = published();
    expect(applied?.summary).toContain('It replaces the earlier override.');
    expect(applied?.actionsTaken[0]).toBe('Stopped the earlier override cli-bob-older-backend (min 3, max 12, by bob): its revert is no longer pending');
  });

  it('ends an override early on an explicit revert request: stops it and restores the baseline now', async () => {
    // Prepare
    scenario({ running: [{ name: 'cli-bob-older-backend', service: 'backend', minutesAgo: 30 }] });

    // Act
    const run = await override(revertRequest);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual([S.validate, S.replace, S.record, S.revertRequested, S.restore, S.reportEnded, S.ended]);
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(1);
    expect(registered()).toEqual([bounds(2, 10)]);
    expect(published()[0]?.summary).toBe(
      'Scaling override on backend reverted early, requested by U04ALICE (alice) via /ops: batch run finished early: back to the baseline min 2, max 10 (was min 2, max 10).',
    );
  });

  it.each([
    ['a min below 1', { min: 0 }, 'min must be at least 1'],
    ['a max above the ceiling', { max: 21 }, 'max must be at most 20 for backend'],
    ['an unknown service', { service: 'database' }, 'service must be one of frontend, backend, worker'],
    ['min above max', { min: 8, max: 6 }, 'min (8) must not exceed max (6)'],
    ['a duration over the ceiling', { durationMinutes: 1441 }, 'durationMinutes must be at most 1440'],
    ['a fractional count', { min: 2.5 }, 'min must be a whole number'],
    ['no reason', { reason: '  ' }, 'reason (why) is required'],
    ['the other environment', { environment: 'production' }, 'this is the staging scaling override; start the production one for production'],
  ])('rejects %s with a clear error and changes nothing', async (_case, change, message) => {
    // Prepare
    scenario();

    // Act
    const run = await override({ ...applyRequest, ...change });

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'InvalidOverride' });
    expect(run.cause).toContain(message);
    expect(run.cause).toContain('Nothing was changed.');
    expect(run.path).toEqual([S.validate, S.reportRejected, S.rejected]);
    expect(autoscaling.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
    expect(published()[0]).toMatchObject({ outcome: 'failed', severity: 'warning', summary: expect.stringContaining(message), actionsTaken: ['Nothing was changed'] });
  });

  it('leaves bounds someone changed since alone at the scheduled revert, and says so', async () => {
    // Prepare
    scenario({ changedBeforeRevert: { min: 4, max: 18 } });

    // Act
    const run = await override(applyRequest);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(registered()).toEqual([bounds(4, 16)]);
    expect(published()[1]).toMatchObject({ severity: 'warning', summary: expect.stringContaining('its bounds had been changed since (now min 4, max 18): left as they are') });
  });

  it('reports a failed apply without waiting: the bounds, read back, are still the baseline', async () => {
    // Prepare
    scenario({ registerErrors: { 1: Object.assign(new Error('not authorized to perform ecs:UpdateService'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }) } });

    // Act
    const run = await override(applyRequest);

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'OverrideFailed' });
    expect(run.path).toEqual([S.validate, S.replace, S.record, S.revertRequested, S.apply, S.reportFailure, S.failed]);
    expect(published()[0]).toMatchObject({
      outcome: 'failed',
      severity: 'warning',
      summary: expect.stringContaining('The bounds now read min 2, max 10 (read back from Application Auto Scaling), the baseline; no revert is pending.'),
    });
  });

  it('says the override is in force and will not revert when the apply went through behind a 5xx and its retry was refused', async () => {
    // Prepare: the bounds are registered while the caller sees a 5xx; the retry is refused.
    scenario({ registeredThenFails: 1, registerErrors: { 2: Object.assign(new Error('Rate exceeded for the account'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } }) } });

    // Act
    const run = await override(applyRequest);

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'OverrideFailed' });
    expect(run.path.at(-2)).toBe(S.reportFailure);
    expect(published()[0]).toMatchObject({
      outcome: 'failed',
      severity: 'critical',
      summary: expect.stringContaining("The bounds now read min 4, max 16 (read back from Application Auto Scaling): the override's bounds are in force and will NOT revert by themselves."),
    });
    expect(published()[0]?.summary).not.toContain('not changed');
  });

  it('reports a failed revert as critical, with the command that restores the baseline by hand', async () => {
    // Prepare
    scenario({ registerErrors: { 2: Object.assign(new Error('No scalable target registered for service namespace: ecs'), { name: 'ObjectNotFoundException', $metadata: { httpStatusCode: 400 } }) } });

    // Act
    const run = await override(applyRequest);

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'OverrideFailed' });
    expect(run.path.slice(-4)).toEqual([S.wait, S.restore, S.reportFailure, S.failed]);
    const failure = published()[1];
    expect(failure).toMatchObject({ outcome: 'failed', severity: 'critical', summary: expect.stringContaining('will NOT revert by themselves') });
    expect(failure?.howToUndo).toContain(
      `aws application-autoscaling register-scalable-target --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id ${BACKEND} --min-capacity 2 --max-capacity 10`,
    );
  });

  it('still reverts when the message announcing the override is lost', async () => {
    // Prepare
    scenario();
    sns.on(PublishCommand).rejectsOnce(Object.assign(new Error('KMS key disabled'), { name: 'KMSDisabledException', $metadata: { httpStatusCode: 400 } })).resolves({ MessageId: 'message-2' });

    // Act
    const run = await override(applyRequest);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual([S.validate, S.replace, S.record, S.revertRequested, S.apply, S.reportApplied, S.wait, S.restore, S.reportEnded, S.ended]);
    expect(registered()).toEqual([bounds(4, 16), bounds(2, 10)]);
  });
});
