import { DescribeDBInstancesCommand, DBInstanceNotFoundFault, RDSClient } from '@aws-sdk/client-rds';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { mockClient } from 'aws-sdk-client-mock';
import { type CloudFormationTemplate, resolveStateMachine } from '../../../rehearsal/definition.js';
import { runWorkflow } from '../../../rehearsal/executor.js';

/** A small machine that uses what the project's workflows use: both Lambda styles, SDK tasks, Retry, Catch, Wait, Choice. */
function exampleTemplate(): CloudFormationTemplate {
  const app = new App();
  const stack = new Stack(app, 'Example', { env: { account: '111111111111', region: 'us-east-1' } });
  const fn = (id: string, service: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
      environment: { POWERTOOLS_SERVICE_NAME: service },
    });
  const check = new tasks.LambdaInvoke(stack, 'Check the thing', { lambdaFunction: fn('CheckFn', 'check-thing'), payloadResponseOnly: true, resultPath: '$.check' });
  check.addRetry({ errors: ['Transient'], maxAttempts: 2, interval: Duration.seconds(5) });
  const report = new tasks.LambdaInvoke(stack, 'Report', { lambdaFunction: fn('ReportFn', 'report-thing'), resultPath: '$.report' });
  const describe = new tasks.CallAwsService(stack, 'Describe the instance', {
    service: 'rds',
    action: 'describeDBInstances',
    parameters: { DbInstanceIdentifier: sfn.JsonPath.stringAt('$.instance') },
    iamResources: ['*'],
    resultSelector: { status: sfn.JsonPath.stringAt('$.DbInstances[0].DbInstanceStatus') },
    resultPath: '$.described',
  });
  const running = new tasks.CallAwsService(stack, 'Count running executions', {
    service: 'sfn',
    action: 'listExecutions',
    parameters: { StateMachineArn: sfn.JsonPath.stringAt('$$.StateMachine.Id'), StatusFilter: 'RUNNING' },
    iamResources: ['*'],
    resultSelector: { count: sfn.JsonPath.arrayLength(sfn.JsonPath.listAt('$.Executions')) },
    resultPath: '$.running',
  });
  const gone = new sfn.Pass(stack, 'Instance gone');
  describe.addCatch(gone, { errors: ['Rds.DbInstanceNotFoundException'], resultPath: '$.error' });
  check.addCatch(report, { errors: ['States.ALL'], resultPath: '$.error' });
  const wait = new sfn.Wait(stack, 'Wait a day', { time: sfn.WaitTime.duration(Duration.days(1)) });
  const definition = running
    .next(check)
    .next(wait)
    .next(describe)
    .next(new sfn.Choice(stack, 'Available?').when(sfn.Condition.stringEquals('$.described.status', 'available'), report).otherwise(new sfn.Fail(stack, 'Not available', { error: 'NotAvailable' })));
  new sfn.StateMachine(stack, 'Machine', { stateMachineName: 'example-machine', definitionBody: sfn.DefinitionBody.fromChainable(definition) });
  return Template.fromStack(stack).toJSON() as CloudFormationTemplate;
}

describe('the local executor', () => {
  const rds = mockClient(RDSClient);
  const stepFunctions = mockClient(SFNClient);
  const template = exampleTemplate();
  const machine = resolveStateMachine(template, 'example-machine');

  beforeEach(() => {
    rds.reset();
    stepFunctions.reset();
    stepFunctions.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: 'arn:x', stateMachineArn: 'arn:y', name: 'one', status: 'RUNNING', startDate: new Date() }] });
  });

  it('maps every Task back to its function or SDK action', () => {
    // Assess
    expect(machine.tasks).toEqual({
      'Count running executions': { kind: 'sdk', service: 'sfn', action: 'listExecutions' },
      'Check the thing': expect.objectContaining({ kind: 'lambda', functionName: 'check-thing', integration: 'direct', functionLogicalId: expect.stringMatching(/^CheckFn/) }),
      'Describe the instance': { kind: 'sdk', service: 'rds', action: 'describeDBInstances' },
      Report: expect.objectContaining({ kind: 'lambda', functionName: 'report-thing', integration: 'invoke' }),
    });
    expect(machine.stateMachineArn).toBe('arn:aws:states:us-east-1:111111111111:stateMachine:example-machine');
  });

  it('runs Lambda handlers in-process and SDK tasks through the mocked clients, returning the path and transitions', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'db-1', DBInstanceStatus: 'available' }] });
    let attempts = 0;
    const lambdas = {
      'check-thing': async () => {
        attempts += 1;
        if (attempts === 1) throw Object.assign(new Error('try again'), { name: 'Transient' });
        return { healthy: true };
      },
      'report-thing': async (event: unknown) => ({ reported: (event as { check: unknown }).check }),
    };

    // Act
    const run = await runWorkflow({ definition: machine, input: { instance: 'db-1' }, lambdas });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual(['Count running executions', 'Check the thing', 'Wait a day', 'Describe the instance', 'Available?', 'Report']);
    expect(run.transitions).toBe(7);
    expect(run.output).toMatchObject({
      running: { count: 1 },
      check: { healthy: true },
      described: { status: 'available' },
      report: { Payload: { reported: { healthy: true } }, StatusCode: 200 },
    });
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({ DBInstanceIdentifier: 'db-1' });
    expect(stepFunctions.commandCalls(ListExecutionsCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:example-machine',
      statusFilter: 'RUNNING',
    });
  });

  it('raises SDK exceptions under their Step Functions names, so Catch matches them', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).rejects(new DBInstanceNotFoundFault({ message: 'DBInstance db-1 not found.', $metadata: {} }));

    // Act
    const run = await runWorkflow({ definition: machine, input: { instance: 'db-1' }, lambdas: { 'check-thing': async () => ({}), 'report-thing': async () => ({}) } });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path.slice(-1)).toEqual(['Instance gone']);
    expect(run.output).toMatchObject({ error: { Error: 'Rds.DbInstanceNotFoundException', Cause: 'DBInstance db-1 not found.' } });
  });

  it('turns a handler error into a States error carrying the error type, so Catch routes it', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'creating' }] });
    const lambdas = {
      'check-thing': async () => {
        throw Object.assign(new Error('disk on fire'), { name: 'CheckFailed' });
      },
      'report-thing': async (event: unknown) => event,
    };

    // Act
    const run = await runWorkflow({ definition: machine, input: { instance: 'db-1' }, lambdas });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual(['Count running executions', 'Check the thing', 'Report']);
    expect(run.output).toMatchObject({ report: { Payload: { error: { Error: 'CheckFailed' } } } });
    const cause = JSON.parse((run.output as { error: { Cause: string } }).error.Cause) as unknown;
    expect(cause).toMatchObject({ errorType: 'CheckFailed', errorMessage: 'disk on fire' });
  });

  it('reports the Fail state error of a failed execution', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'creating' }] });

    // Act
    const run = await runWorkflow({ definition: machine, input: { instance: 'db-1' }, lambdas: { 'check-thing': async () => ({}), 'report-thing': async () => ({}) } });

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'NotAvailable' });
    expect(run.path.slice(-1)).toEqual(['Not available']);
  });
});
