import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import highCpu from '../../events/alarm-high-cpu.json';
import rdsFailover from '../../events/remediation-rds-failover.json';
import type { DeployedHandler } from '../../rehearsal/executor.js';
import { inProcess } from '../../rehearsal/executor.js';
import { startRemediation } from '../../functions/alarm-remediation-start/start.js';
import { TransientError } from '../../functions/lib/transient-error.js';

const sfn = mockClient(SFNClient);
const MACHINE = 'arn:aws:states:us-east-1:111111111111:stateMachine:financehub-staging-alarm-remediation';

beforeEach(() => sfn.reset());

describe('starting a remediation', () => {
  it('names the execution after the event id and passes the whole event', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${MACHINE}:x`, startDate: new Date() });

    // Act
    const started = await startRemediation(new SFNClient({}), MACHINE, highCpu);

    // Assess
    expect(started).toMatchObject({ executionName: `event-${highCpu.id}`, duplicate: false });
    const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ stateMachineArn: MACHINE, name: `event-${highCpu.id}` });
    expect(JSON.parse(input?.input ?? '{}')).toEqual({ event: highCpu });
  });

  it('starts nothing twice for a duplicate delivery of the same event', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolvesOnce({ executionArn: `${MACHINE}:x`, startDate: new Date() }).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    // Act
    const first = await startRemediation(new SFNClient({}), MACHINE, rdsFailover);
    const second = await startRemediation(new SFNClient({}), MACHINE, rdsFailover);

    // Assess
    expect(first.duplicate).toBe(false);
    expect(second).toEqual({
      executionName: `event-${rdsFailover.id}`,
      executionArn: `arn:aws:states:us-east-1:111111111111:execution:financehub-staging-alarm-remediation:event-${rdsFailover.id}`,
      duplicate: true,
    });
  });

  it('refuses something that is not an EventBridge event, starting nothing', async () => {
    // Act
    const starting = startRemediation(new SFNClient({}), MACHINE, { alarm: 'backend' });

    // Assess
    await expect(starting).rejects.toThrow('Not an EventBridge event');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('lets EventBridge retry when Step Functions throttles', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));

    // Act
    const starting = startRemediation(new SFNClient({}), MACHINE, highCpu);

    // Assess
    await expect(starting).rejects.toBeInstanceOf(TransientError);
  });

  it('is wired as a Lambda handler reading the state machine from its environment', async () => {
    // Prepare
    Object.assign(process.env, { STATE_MACHINE_ARN: MACHINE, POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_TRACE_DISABLED: 'true', POWERTOOLS_DEV: 'true' });
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${MACHINE}:x`, startDate: new Date() });
    const { handler } = (await import('../../functions/alarm-remediation-start/handler.js')) as { handler: DeployedHandler };

    // Act
    const started = await inProcess(handler, 'alarm-remediation-start')(highCpu);

    // Assess
    expect(started).toMatchObject({ executionName: `event-${highCpu.id}`, duplicate: false });
  });
});
