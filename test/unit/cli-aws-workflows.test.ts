import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { WORKFLOWS } from '../../contracts/workflows.js';
import { followExecution, listWorkflows, requestExecutionName, startWorkflow } from '../../cli/aws-workflows.js';

const sfn = mockClient(SFNClient);
const machineArn = (name: string) => `arn:aws:states:us-east-1:222222222222:stateMachine:${name}`;
const at = (second: number) => new Date(Date.UTC(2026, 10, 24, 3, 0, second));

beforeEach(() => {
  sfn.reset();
  sfn.on(ListStateMachinesCommand).resolves({
    stateMachines: [
      { name: 'financehub-production-restore-drill', stateMachineArn: machineArn('financehub-production-restore-drill'), type: 'STANDARD', creationDate: at(0) },
      { name: 'financehub-staging-restore-drill', stateMachineArn: machineArn('financehub-staging-restore-drill'), type: 'STANDARD', creationDate: at(0) },
    ],
  });
});

describe('fhops on AWS', () => {
  it('names the same request the same within its window, and any other request or window differently', () => {
    // Prepare
    const input = { environment: 'staging', requestedBy: 'ana' };
    const name = (by: string, body: unknown, at: string) => requestExecutionName(by, 'restore-drill', body, new Date(at));

    // Act
    const first = name('ana', input, '2026-12-01T20:01:00Z');

    // Assess
    expect(first).toMatch(/^cli-20261201T2000-[0-9a-f]{10}-ana$/);
    expect(name('ana', { requestedBy: 'ana', environment: 'staging' }, '2026-12-01T20:09:59Z')).toBe(first);
    expect(name('ana', input, '2026-12-01T20:10:00Z')).not.toBe(first);
    expect(name('ana', { ...input, environment: 'production' }, '2026-12-01T20:01:00Z')).not.toBe(first);
    expect(name('bob', input, '2026-12-01T20:01:00Z')).not.toBe(first);
  });

  it('starts nothing and answers already running, with the ARN, when the same request runs twice', async () => {
    // Prepare
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', executionArn: 'arn:x', stateMachineArn: 'arn:y', startDate: at(1) });

    // Act
    const started = await startWorkflow(new SFNClient({}), 'financehub-production', 'restore-drill', 'cli-ana-1', {});

    // Assess
    expect(started).toEqual({ executionArn: 'arn:aws:states:us-east-1:222222222222:execution:financehub-production-restore-drill:cli-ana-1', alreadyStarted: true, status: 'RUNNING' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('starts the environment’s own state machine, found by its name', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec', startDate: at(1) });

    // Act
    const started = await startWorkflow(new SFNClient({}), 'financehub-production', 'restore-drill', 'cli-ana-1', { environment: 'production' });

    // Assess
    expect(started).toEqual({ executionArn: 'arn:exec', alreadyStarted: false });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: machineArn('financehub-production-restore-drill'),
      name: 'cli-ana-1',
      input: '{"environment":"production"}',
    });
  });

  it('returns the existing execution when the same name was already started', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    // Act
    const started = await startWorkflow(new SFNClient({}), 'financehub-production', 'restore-drill', 'cli-ana-1', {});

    // Assess
    expect(started).toEqual({
      executionArn: 'arn:aws:states:us-east-1:222222222222:execution:financehub-production-restore-drill:cli-ana-1',
      alreadyStarted: true,
    });
  });

  it('refuses to start a workflow that is not deployed in this account', async () => {
    // Act
    const start = startWorkflow(new SFNClient({}), 'financehub-production', 'failover-drill', 'cli-x', {});

    // Assess
    await expect(start).rejects.toThrow('No state machine financehub-production-failover-drill');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('lists every workflow, with running counts for the deployed ones', async () => {
    // Prepare
    sfn.on(ListExecutionsCommand).resolves({
      executions: [{ name: 'monthly-2026-11', status: 'RUNNING', executionArn: 'arn:e', stateMachineArn: 'arn:s', startDate: at(0) }],
    });

    // Act
    const rows = await listWorkflows(new SFNClient({}), 'financehub-staging');

    // Assess
    expect(rows.map((row) => row.workflow)).toEqual([...WORKFLOWS]);
    expect(rows.find((row) => row.workflow === 'restore-drill')).toMatchObject({ running: 1, lastExecution: { name: 'monthly-2026-11' } });
    expect(rows.find((row) => row.workflow === 'scaling-override')).toEqual({ workflow: 'scaling-override', running: 0 });
  });

  it('prints each state once as the execution progresses, then returns the final status', async () => {
    // Prepare
    const first = [
      { id: 1, type: 'ExecutionStarted' as const, timestamp: at(0) },
      { id: 2, type: 'TaskStateEntered' as const, timestamp: at(1), stateEnteredEventDetails: { name: 'Restore latest backup' } },
    ];
    const second = [
      ...first,
      { id: 3, type: 'WaitStateEntered' as const, timestamp: at(5), stateEnteredEventDetails: { name: 'Wait for restored instance' } },
      { id: 4, type: 'ExecutionSucceeded' as const, timestamp: at(9), executionSucceededEventDetails: { output: '{"ok":true}' } },
    ];
    sfn.on(GetExecutionHistoryCommand).resolvesOnce({ events: first }).resolves({ events: second });
    sfn.on(DescribeExecutionCommand).resolvesOnce({ status: 'RUNNING' } as never).resolves({ status: 'SUCCEEDED' } as never);
    const lines: string[] = [];

    // Act
    const status = await followExecution(new SFNClient({}), 'arn:exec', {
      pollMs: 1,
      timeoutMs: 60_000,
      print: (line) => lines.push(line),
      sleep: async () => undefined,
      now: () => 0,
    });

    // Assess
    expect(status).toBe('SUCCEEDED');
    expect(lines).toEqual([
      '03:00:00  started',
      '03:00:01  → Restore latest backup',
      '03:00:05  → Wait for restored instance',
      '03:00:09  SUCCEEDED  {"ok":true}',
    ]);
  });

  it('stops following at the timeout and says the execution is still running', async () => {
    // Prepare
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' } as never);
    let clock = 0;

    // Act
    const status = await followExecution(new SFNClient({}), 'arn:exec', {
      pollMs: 1000,
      timeoutMs: 5000,
      print: () => undefined,
      sleep: async (ms) => {
        clock += ms;
      },
      now: () => clock,
    });

    // Assess
    expect(status).toBe('RUNNING');
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(6);
  });
});
