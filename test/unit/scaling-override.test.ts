import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeExecutionCommand, ExecutionDoesNotExist, ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import applyRequest from '../../events/scaling-override-apply.json';
import revertRequest from '../../events/scaling-override-revert.json';
import { environmentConfig } from '../../infra/config.js';
import { type OverrideClients, type OverrideSettings, currentCapacity, replaceEarlierOverrides } from '../../functions/scaling-override/override.js';
import { overrideResult } from '../../functions/scaling-override/report.js';
import { InvalidOverride, type OverrideLimits, type OverrideRequest, parseOverrideRequest } from '../../functions/scaling-override/request.js';

const autoscaling = mockClient(ApplicationAutoScalingClient);
const sfn = mockClient(SFNClient);
const config = environmentConfig('staging');
const limits: OverrideLimits = { environment: 'staging', services: config.services, maxDurationMinutes: config.remediation.maxOverrideMinutes };
const settings: OverrideSettings = {
  clusterName: 'financehub-staging',
  servicePrefix: 'financehub-staging-',
  stateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:financehub-staging-scaling-override',
};
const clients = (): OverrideClients => ({ autoscaling: new ApplicationAutoScalingClient({}), sfn: new SFNClient({}), now: () => new Date('2026-11-24T10:00:00Z') });
const OWN = `${settings.stateMachineArn.replace(':stateMachine:', ':execution:')}:own`;

beforeEach(() => {
  autoscaling.reset();
  sfn.reset();
});

describe('an override request', () => {
  it('is accepted with the baseline it will revert to, ignoring fields it does not use', () => {
    // Act
    const request = parseOverrideRequest({ ...applyRequest, approvedBy: 'bob', source: 'slack' }, limits);

    // Assess
    expect(request).toEqual({
      action: 'apply',
      service: 'backend',
      min: 4,
      max: 16,
      durationMinutes: 60,
      reason: 'month-end batch run',
      requestedBy: applyRequest.requestedBy,
      approvedBy: 'bob',
      baseline: { min: 2, max: 10 },
    });
  });

  it('accepts a revert request without numbers', () => {
    // Act
    const request = parseOverrideRequest(revertRequest, limits);

    // Assess
    expect(request).toEqual({ action: 'revert', service: 'backend', reason: 'batch run finished early', requestedBy: revertRequest.requestedBy, baseline: { min: 2, max: 10 } });
  });

  it.each([
    ['max at the worker ceiling', { service: 'worker', min: 1, max: 10 }],
    ['the longest duration', { durationMinutes: 1440 }],
    ['min equal to max', { min: 6, max: 6 }],
  ])('accepts %s', (_case, change) => {
    // Act
    const request = parseOverrideRequest({ ...applyRequest, ...change }, limits);

    // Assess
    expect(request.action).toBe('apply');
  });

  it.each([
    ['min below 1', { min: 0 }, 'min must be at least 1'],
    ['a negative max', { max: -3 }, 'max must be at least 1'],
    ['max above the worker ceiling', { service: 'worker', min: 2, max: 11 }, 'max must be at most 10 for worker'],
    ['an unknown service', { service: 'database' }, 'service must be one of frontend, backend, worker'],
    ['min above max', { min: 9, max: 5 }, 'min (9) must not exceed max (5)'],
    ['a duration over the ceiling', { durationMinutes: 2000 }, 'durationMinutes must be at most 1440'],
    ['a zero duration', { durationMinutes: 0 }, 'durationMinutes must be at least 1'],
    ['a count given as text', { max: '12' }, 'max must be a whole number'],
    ['no requester', { requestedBy: undefined }, 'requestedBy (who asks) is required'],
    ['an unknown action', { action: 'pause' }, 'action must be apply or revert'],
  ])('is refused for %s, naming the problem', (_case, change, message) => {
    // Act
    const parsing = () => parseOverrideRequest({ ...applyRequest, ...change }, limits);

    // Assess
    expect(parsing).toThrow(InvalidOverride);
    expect(parsing).toThrow(message);
  });

  it('names every problem at once', () => {
    // Act
    const parsing = () => parseOverrideRequest({ service: 'backend', min: 0, max: 1.5, durationMinutes: 9999, requestedBy: 'alice' }, limits);

    // Assess
    expect(parsing).toThrow(
      'Invalid scaling override: min must be at least 1; max must be a whole number; durationMinutes must be at most 1440; reason (why) is required. Nothing was changed.',
    );
  });
});

describe('replacing earlier overrides', () => {
  const request = parseOverrideRequest(applyRequest, limits);

  it('skips executions that ended since they were listed', async () => {
    // Prepare
    sfn.on(ListExecutionsCommand).resolves({
      executions: [{ executionArn: `${OWN}-older`, stateMachineArn: settings.stateMachineArn, name: 'older', status: 'RUNNING', startDate: new Date('2026-11-24T09:00:00Z') }],
    });
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution does not exist', $metadata: {} }));

    // Act
    const replaced = await replaceEarlierOverrides(clients(), settings, request, { executionArn: OWN, startedAt: '2026-11-24T10:00:00Z' });

    // Assess
    expect(replaced).toEqual([]);
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
  });

  it('of two started in the same second, lets the later name win', async () => {
    // Prepare
    const startDate = new Date('2026-11-24T10:00:00Z');
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        { executionArn: `${settings.stateMachineArn}:a-first`, stateMachineArn: settings.stateMachineArn, name: 'a-first', status: 'RUNNING', startDate },
        { executionArn: `${settings.stateMachineArn}:z-last`, stateMachineArn: settings.stateMachineArn, name: 'z-last', status: 'RUNNING', startDate },
      ],
    });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: 'x', stateMachineArn: settings.stateMachineArn, status: 'RUNNING', startDate, input: JSON.stringify({ service: 'backend' }) });
    sfn.on(StopExecutionCommand).resolves({ stopDate: startDate });

    // Act
    const replaced = await replaceEarlierOverrides(clients(), settings, request, { executionArn: `${settings.stateMachineArn}:m-middle`, startedAt: startDate.toISOString() });

    // Assess
    expect(replaced.map((r) => r.executionName)).toEqual(['a-first']);
  });
});

describe('the current bounds', () => {
  it('refuse a service without a scalable target', async () => {
    // Prepare
    autoscaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });

    // Act
    const reading = currentCapacity(clients(), settings, 'worker');

    // Assess
    await expect(reading).rejects.toThrow('service/financehub-staging/financehub-staging-worker has no scalable target');
  });
});

describe('the override messages', () => {
  const request = parseOverrideRequest({ ...applyRequest, approvedBy: 'bob' }, limits) as OverrideRequest;
  const execution = { arn: `${settings.stateMachineArn}:run`, startedAt: '2026-11-24T10:00:00.000Z' };
  const report = { ...settings, environment: 'production' as const };

  it('say who, why, until when, and how to revert early', () => {
    // Act
    const result = overrideResult(
      'applied',
      { request, current: { min: 2, max: 10, recordedAt: '2026-11-24T10:00:01.000Z' }, override: { min: 4, max: 16, appliedAt: '2026-11-24T10:00:02.000Z', revertAt: '2026-11-24T11:00:02.000Z' } },
      report,
      execution,
      new Date('2026-11-24T10:00:03Z'),
    );

    // Assess
    expect(result).toMatchObject({
      outcome: 'succeeded',
      severity: 'warning',
      summary: 'Scaling override on backend: min 2, max 10 -> min 4, max 16 until 2026-11-24T11:00:02.000Z (60 min), requested by U04ALICE (alice) via /ops, approved by bob: month-end batch run.',
      howToUndo: 'It reverts by itself at 2026-11-24T11:00:02.000Z to the baseline (min 2, max 10). To revert early: `fhops scale-revert production backend` or `/ops scale-revert production backend`.',
      durationSeconds: 3,
    });
  });

  it('call an earlier override stopped by a failed one critical: nothing reverts it any more', () => {
    // Act
    const result = overrideResult(
      'failed',
      {
        request,
        replaced: [{ executionName: 'older', executionArn: 'arn:older', min: 3, max: 12 }],
        current: { min: 3, max: 12, recordedAt: '2026-11-24T10:00:01.000Z' },
        readBack: { min: 3, max: 12 },
        failure: { Error: 'AccessDeniedException', Cause: JSON.stringify({ errorMessage: 'not authorized' }) },
      },
      report,
      execution,
      new Date('2026-11-24T10:00:03Z'),
    );

    // Assess
    expect(result.severity).toBe('critical');
    expect(result.summary).toContain('The earlier bounds (min 3, max 12) stay in force and will NOT revert by themselves.');
    expect(result.howToUndo).toContain('--min-capacity 2 --max-capacity 10');
  });
});
