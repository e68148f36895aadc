import { jest } from '@jest/globals';
import { ApplicationAutoScalingClient, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type AlarmRemediationWorldOptions, alarmRemediationWorld } from '../../rehearsal/scenarios/alarm-remediation.js';
import { SimulatedAccount, publishedResults, scriptedHealthEndpoint } from '../../rehearsal/simulated/account.js';
import highCpu from '../../events/alarm-high-cpu.json';
import highErrorRate from '../../events/alarm-high-error-rate.json';
import highLatency from '../../events/alarm-high-latency.json';
import highMemory from '../../events/alarm-high-memory.json';
import deploymentFailed from '../../events/remediation-ecs-deployment-failed.json';
import rdsFailover from '../../events/remediation-rds-failover.json';
import type { createHandler as CreateHandler } from '../../functions/alarm-remediation/create-handler.js';
import type { ProbeFetch } from '../../functions/lib/health-probe.js';
import type { OpsResult } from '../../contracts/ops-result.js';
import { ALARM_REMEDIATION_STATES as S } from '../../infra/workflows/alarm-remediation.js';
import { type DeployedHandler, type WorkflowRun, functionEnvironment, inProcess, loadStateMachine, quietEmptyMetricsWarnings, quietPowertools, runWorkflow } from './support/workflow.js';

const KILL_SWITCH = '/financehub-staging/remediation/kill-switch';
const DRY_RUN = '/financehub-staging/remediation/dry-run';
const OVERRIDE_MACHINE = 'arn:aws:states:us-east-1:111111111111:stateMachine:financehub-staging-scaling-override';
const TASK_DEFINITION = 'arn:aws:ecs:us-east-1:111111111111:task-definition/financehub-staging-backend';

const account = new SimulatedAccount();
const dynamodb = account.mock(DynamoDBClient);
const ecs = account.mock(ECSClient);
const autoscaling = account.mock(ApplicationAutoScalingClient);
const sfn = account.mock(SFNClient);
let createHandler: typeof CreateHandler;
let handler: DeployedHandler;
/** The health endpoint the remediation probes: scripted per scenario. */
const fetchProbe = jest.fn<ProbeFetch>();
let clock = Date.now();

/** The remediation's world in staging (as the rehearsal scripts it) and the health endpoint the remediation probes. */
function scenario(options: Omit<AlarmRemediationWorldOptions, 'stepFunctions'> & { readonly health?: readonly number[] } = {}): void {
  account.reset();
  clock = Date.now();
  alarmRemediationWorld(account, 'staging', options);
  // Each probe comes 10 s after the previous one.
  fetchProbe.mockClear().mockImplementation(
    scriptedHealthEndpoint(options.health ?? [200], () => {
      clock += 10_000;
    }),
  );
}

async function remediate(event: { id: string }, extra: Record<string, unknown> = {}, lambda?: (event: unknown) => Promise<unknown>): Promise<WorkflowRun> {
  return runWorkflow({
    definition: loadStateMachine('staging', 'alarm-remediation'),
    input: { event, ...extra },
    executionName: `event-${event.id}`,
    lambdas: { 'alarm-remediation': lambda ?? inProcess(handler, 'alarm-remediation') },
  });
}

function published(): OpsResult[] {
  return publishedResults(account);
}

const claimed = () => dynamodb.commandCalls(PutItemCommand).map((call) => call.args[0].input.Item?.pk?.S);
const released = () => dynamodb.commandCalls(DeleteItemCommand).map((call) => call.args[0].input.Key?.pk?.S);
const changesMade = () => ({
  startedOverrides: sfn.commandCalls(StartExecutionCommand).length,
  registeredTargets: autoscaling.commandCalls(RegisterScalableTargetCommand).length,
  serviceUpdates: ecs.commandCalls(UpdateServiceCommand).length,
  guardrailWrites: dynamodb.commandCalls(PutItemCommand).length,
});
const NO_CHANGES = { startedOverrides: 0, registeredTargets: 0, serviceUpdates: 0, guardrailWrites: 0 };

const START = [S.read, S.switches, S.killSwitch, S.runbook];
const ACT = [S.actionNeeded, S.dryRun, S.lock, S.lockTaken, S.whichAction];
const END = [S.release, S.report, S.outcome, S.done];

beforeAll(async () => {
  quietPowertools();
  quietEmptyMetricsWarnings();
  // Imported after Powertools is quiet: it reads its settings when the shared logger is created.
  ({ createHandler } = await import('../../functions/alarm-remediation/create-handler.js'));
  handler = createHandler({ environment: functionEnvironment('staging', 'alarm-remediation'), clients: { fetch: fetchProbe, now: () => new Date(clock) } });
});

afterAll(() => {
  jest.restoreAllMocks();
  account.restore();
});

describe('the alarm remediation', () => {
  it('raises the max of a service at its max capacity with a scaling override, within the guardrails', async () => {
    // Prepare
    scenario({ desired: 10, max: 10 });

    // Act
    const run = await remediate(highCpu);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual([...START, S.planScaleOut, ...ACT, S.startOverride, ...END]);
    expect(run.transitions).toBe(15);
    const [start] = sfn.commandCalls(StartExecutionCommand);
    expect(start?.args[0].input).toMatchObject({ stateMachineArn: OVERRIDE_MACHINE, name: `remediation-${highCpu.id}` });
    expect(JSON.parse(start?.args[0].input.input ?? '{}')).toEqual({
      environment: 'staging',
      service: 'backend',
      min: 2,
      max: 12,
      durationMinutes: 60,
      reason: 'financehub-staging-backend-high-cpu: CPU high with 10 tasks at max capacity 10',
      requestedBy: 'alarm-remediation',
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: expect.stringMatching(/^arn:aws:states:us-east-1:111111111111:execution:financehub-staging-alarm-remediation:/),
    });
    expect(claimed()).toEqual(['lock#backend', 'cooldown#high-cpu#backend']);
    expect(dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'financehub-staging-remediation-guardrails',
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR #owner = :owner',
      Item: expect.objectContaining({ owner: { S: `event-${highCpu.id}` } }),
    });
    expect(released()).toEqual(['lock#backend']);
    expect(autoscaling.commandCalls(RegisterScalableTargetCommand)).toHaveLength(0);
    const [result] = published();
    expect(result).toMatchObject({ workflow: 'alarm-remediation', outcome: 'succeeded', severity: 'warning' });
    expect(result?.summary).toContain('Automatically started a scaling override raising the max capacity of backend from 10 to 12 for 60 min');
    expect(result?.howToUndo).toContain('`fhops scale-revert staging backend` or `/ops scale-revert staging backend`');
  });

  it('says the lock is still held, until when and how to release it, when releasing it is denied', async () => {
    // Prepare
    scenario({ desired: 10, max: 10 });
    dynamodb.on(DeleteItemCommand).rejects(Object.assign(new Error('not authorized to perform dynamodb:DeleteItem'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));

    // Act
    const run = await remediate(highCpu);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual([...START, S.planScaleOut, ...ACT, S.startOverride, ...END]);
    const [result] = published();
    expect(result?.summary).toContain('The lock on backend could NOT be released (AccessDeniedException: not authorized to perform dynamodb:DeleteItem): no other remediation of backend runs until it expires at');
    expect(result?.summary).not.toContain('is released');
    expect(result?.howToUndo).toContain(`aws dynamodb delete-item --region us-east-1 --table-name financehub-staging-remediation-guardrails --key '{"pk":{"S":"lock#backend"}}'`);
  });

  it.each([
    ['autoscaling still has room', { desired: 4, max: 10 }, 'autoscaling still has room: 4 tasks of max 10'],
    ['the max is already at the override ceiling', { desired: 20, max: 20 }, 'already at the override ceiling (max 20, ceiling 20)'],
  ])('reports high CPU and changes nothing when %s', async (_case, options, reason) => {
    // Prepare
    scenario(options);

    // Act
    const run = await remediate(highCpu);

    // Assess
    expect(run.path).toEqual([...START, S.planScaleOut, S.actionNeeded, S.report, S.outcome, S.done]);
    expect(changesMade()).toEqual(NO_CHANGES);
    expect(published()[0]).toMatchObject({ outcome: 'succeeded', severity: 'warning', summary: expect.stringContaining(`No action: ${reason}`) });
  });

  it('restarts a service whose memory stays high, with a new deployment of the same task definition', async () => {
    // Prepare
    scenario();
    ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id: 'ecs-svc/2', status: 'PRIMARY' }] } });

    // Act
    const run = await remediate(highMemory);

    // Assess
    expect(run.path).toEqual([...START, S.planRestart, ...ACT, S.restart, ...END]);
    expect(ecs.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input)).toEqual([{ cluster: 'financehub-staging', service: 'financehub-staging-worker', forceNewDeployment: true }]);
    expect(claimed()).toEqual(['lock#worker', 'cooldown#high-memory#worker']);
    expect(published()[0]?.summary).toContain('Automatically started a rolling restart of worker (deployment ecs-svc/2)');
  });

  it('does not restart on top of a deployment that is already rolling', async () => {
    // Prepare
    scenario({ rolling: true });

    // Act
    const run = await remediate(highMemory);

    // Assess
    expect(run.path).toEqual([...START, S.planRestart, S.actionNeeded, S.report, S.outcome, S.done]);
    expect(changesMade()).toEqual(NO_CHANGES);
  });

  it('rolls back a deployment followed by a high error rate, where config allows (staging)', async () => {
    // Prepare
    scenario({ deployment: { minutesAgo: 10 } });

    // Act
    const run = await remediate(highErrorRate);

    // Assess
    expect(run.path).toEqual([...START, S.inspectDeployment, ...ACT, S.rollBack, ...END]);
    expect(ecs.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: 'financehub-staging', service: 'financehub-staging-backend', taskDefinition: `${TASK_DEFINITION}:7` },
    ]);
    const [result] = published();
    expect(result?.summary).toContain(`Automatically rolled backend back from ${TASK_DEFINITION}:8 to ${TASK_DEFINITION}:7`);
    expect(result?.summary).toContain('circuit breaker MONITORING_COMPLETE (0 of 3 failures)');
    expect(result?.howToUndo).toContain(`aws ecs update-service --region us-east-1 --cluster financehub-staging --service financehub-staging-backend --task-definition ${TASK_DEFINITION}:8`);
  });

  it('reports the deployment and its circuit breaker but does not roll back where config forbids it (production)', async () => {
    // Prepare
    scenario({ deployment: { minutesAgo: 10 } });
    const production = createHandler({
      environment: { ...functionEnvironment('staging', 'alarm-remediation'), ENVIRONMENT: 'production', ALLOW_AUTOMATIC_ROLLBACK: 'false' },
      clients: { fetch: fetchProbe, now: () => new Date(clock) },
    });

    // Act
    const run = await remediate(highErrorRate, {}, inProcess(production, 'alarm-remediation'));

    // Assess
    expect(run.path).toEqual([...START, S.inspectDeployment, S.actionNeeded, S.report, S.outcome, S.done]);
    expect(changesMade()).toEqual(NO_CHANGES);
    expect(published()[0]?.summary).toContain(`a rollback to ${TASK_DEFINITION}:7 is not automatic in production: a person decides (circuit breaker MONITORING_COMPLETE (0 of 3 failures))`);
    expect(functionEnvironment('production', 'alarm-remediation').ALLOW_AUTOMATIC_ROLLBACK).toBe('false');
  });

  it('does not blame a deployment that finished long before the error rate rose', async () => {
    // Prepare
    scenario({ deployment: { minutesAgo: 180 } });

    // Act
    const run = await remediate(highErrorRate);

    // Assess
    expect(changesMade()).toEqual(NO_CHANGES);
    expect(run.path).toContain(S.inspectDeployment);
    expect(published()[0]?.summary).toContain('the last deployment finished 180 min ago (more than 30): not a deployment problem');
  });

  it('reports a failed deployment the circuit breaker already rolled back, and does nothing more', async () => {
    // Prepare
    scenario({ deployment: { minutesAgo: 1, status: 'ROLLBACK_SUCCESSFUL', circuitBreaker: { status: 'TRIGGERED', failureCount: 3, threshold: 3 }, rolledBack: true } });

    // Act
    const run = await remediate(deploymentFailed);

    // Assess
    expect(run.path).toEqual([...START, S.inspectDeployment, S.actionNeeded, S.report, S.outcome, S.done]);
    expect(changesMade()).toEqual(NO_CHANGES);
    expect(published()[0]?.summary).toContain('the deployment was already rolled back (ROLLBACK_SUCCESSFUL; circuit breaker TRIGGERED (3 of 3 failures))');
  });

  it('verifies the application after a database failover until it answers three times in a row', async () => {
    // Prepare
    scenario({ health: [503, 200, 200, 200] });

    // Act
    const run = await remediate(rdsFailover);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual([
      ...START, S.planHealth, ...ACT,
      S.probe, S.healthy, S.waitProbe, S.probe, S.healthy, S.waitProbe, S.probe, S.healthy, S.waitProbe, S.probe, S.healthy,
      ...END,
    ]);
    expect(run.transitions).toBe(25);
    expect(fetchProbe).toHaveBeenCalledTimes(4);
    expect(claimed()).toEqual(['lock#financehub-staging-db', 'cooldown#rds-failover#financehub-staging-db']);
    expect(published()[0]).toMatchObject({ outcome: 'succeeded', severity: 'info', summary: expect.stringContaining('The application is healthy: 3 successes in a row from https://origin.staging.financehub.com/api/health') });
  });

  it('reports an application still unhealthy after a database failover as critical', async () => {
    // Prepare
    scenario({ health: [503] });

    // Act
    const run = await remediate(rdsFailover);

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'RemediationFailed' });
    expect(run.path.filter((state) => state === S.probe)).toHaveLength(60);
    expect(run.path.slice(-5)).toEqual([S.healthy, S.release, S.report, S.outcome, S.failed]);
    expect(released()).toEqual(['lock#financehub-staging-db']);
    expect(published()[0]).toMatchObject({ outcome: 'failed', severity: 'critical', summary: expect.stringContaining('The application is NOT healthy: not healthy within 10 min') });
  });

  it('notifies with the alarm context and the runbook link for an alarm without an automatic runbook', async () => {
    // Prepare
    scenario();

    // Act
    const run = await remediate(highLatency);

    // Assess
    expect(run.path).toEqual([...START, S.report, S.outcome, S.done]);
    expect(run.transitions).toBe(7);
    expect(changesMade()).toEqual(NO_CHANGES);
    expect(published()[0]?.summary).toBe(
      `financehub-staging-frontend-high-latency (high-latency): ALARM: ${highLatency.detail.state.reason.replace(/\.$/, '')}. No automatic action for high-latency. Runbook: docs/runbooks/alarm-remediation.md#high-latency`,
    );
  });

  it.each([
    ['high CPU', highCpu],
    ['high memory', highMemory],
    ['high error rate', highErrorRate],
    ['a failed deployment', deploymentFailed],
    ['a database failover', rdsFailover],
  ])('only reports %s while the kill switch is on', async (_case, event) => {
    // Prepare
    scenario({ killSwitch: 'on', desired: 10, max: 10 });

    // Act
    const run = await remediate(event);

    // Assess
    expect(run.path).toEqual([S.read, S.switches, S.killSwitch, S.report, S.outcome, S.done]);
    expect(account.calls().map((call) => `${call.service}:${call.command}`)).toEqual(['SSM:GetParameters', 'SNS:Publish']);
    expect(fetchProbe).not.toHaveBeenCalled();
    expect(published()[0]).toMatchObject({ outcome: 'skipped', severity: 'warning', summary: expect.stringContaining(`Automatic remediation is PAUSED (${KILL_SWITCH} is on)`) });
  });

  it.each([
    ['the dry-run parameter is on', { dryRun: 'on' }, {}, `${DRY_RUN} is on`],
    ['the input asks for it', {}, { dryRun: true }, 'the execution input asks for it'],
  ])('plans but changes nothing when %s', async (_case, options, extra, source) => {
    // Prepare
    scenario({ ...options, desired: 10, max: 10 });

    // Act
    const run = await remediate(highCpu, extra);

    // Assess
    expect(run.path).toEqual([...START, S.planScaleOut, S.actionNeeded, S.dryRun, S.report, S.outcome, S.done]);
    expect(changesMade()).toEqual(NO_CHANGES);
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(1);
    expect(published()[0]).toMatchObject({
      outcome: 'skipped',
      severity: 'info',
      summary: expect.stringMatching(new RegExp(`^DRY RUN \\(${source}\\): .+ Would raise the max capacity of backend from 10 to 12 for 60 min`)),
    });
  });

  it('does not act twice within the cooldown of the same alarm and service, and releases the lock it took', async () => {
    // Prepare
    scenario({ held: ['cooldown#high-memory#worker'] });

    // Act
    const run = await remediate(highMemory);

    // Assess
    expect(run.path).toEqual([...START, S.planRestart, S.actionNeeded, S.dryRun, S.lock, S.lockTaken, S.report, S.outcome, S.done]);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(released()).toEqual(['lock#worker']);
    expect(published()[0]).toMatchObject({ outcome: 'skipped', summary: expect.stringContaining('high-memory on worker was already acted on by event-earlier; cooldown until') });
  });

  it('does not act while another remediation of the same service runs', async () => {
    // Prepare
    scenario({ held: ['lock#worker'] });

    // Act
    const run = await remediate(highMemory);

    // Assess
    expect(run.path).toEqual([...START, S.planRestart, S.actionNeeded, S.dryRun, S.lock, S.lockTaken, S.report, S.outcome, S.done]);
    expect(claimed()).toEqual(['lock#worker']);
    expect(released()).toEqual([]);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(published()[0]?.summary).toContain('another remediation of worker is running (event-earlier');
  });

  it('releases the lock and reports critical when the action fails', async () => {
    // Prepare
    scenario({ updateError: Object.assign(new Error('User is not authorized to perform ecs:UpdateService'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }) });

    // Act
    const run = await remediate(highMemory);

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'RemediationFailed' });
    expect(run.path).toEqual([...START, S.planRestart, ...ACT, S.restart, S.release, S.report, S.outcome, S.failed]);
    expect(released()).toEqual(['lock#worker']);
    expect(published()[0]).toMatchObject({ outcome: 'failed', severity: 'critical', summary: expect.stringContaining('FAILED trying to start a rolling restart of worker: AccessDeniedException') });
  });

  it('takes an override already started for this event as done (a retried start)', async () => {
    // Prepare
    scenario({ desired: 10, max: 10, startedOverrides: [`remediation-${highCpu.id}`] });

    // Act
    const run = await remediate(highCpu);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual([...START, S.planScaleOut, ...ACT, S.startOverride, S.overrideAlreadyStarted, ...END]);
    expect(published()[0]?.summary).toContain(`already started: arn:aws:states:us-east-1:111111111111:execution:financehub-staging-scaling-override:remediation-${highCpu.id}`);
  });

  it('reports an input it cannot read and changes nothing', async () => {
    // Prepare
    scenario();

    // Act
    const run = await runWorkflow({ definition: loadStateMachine('staging', 'alarm-remediation'), input: { alarm: 'backend is slow' }, lambdas: { 'alarm-remediation': inProcess(handler, 'alarm-remediation') } });

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'RemediationFailed' });
    expect(run.path).toEqual([S.read, S.report, S.outcome, S.failed]);
    expect(account.calls().map((call) => `${call.service}:${call.command}`)).toEqual(['SNS:Publish']);
    expect(published()[0]?.summary).toContain('Remediation could not read its event: InvalidRemediationEvent');
  });
});
