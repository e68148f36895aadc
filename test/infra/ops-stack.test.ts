import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { synthesizeApp } from './support/synth.js';

const app = synthesizeApp();
const environments = [
  ['staging', app.staging],
  ['production', app.production],
] as const;

describe.each(environments)('%s ops stack', (env, stacks) => {
  const template = Template.fromStack(stacks.ops);
  const prefix = `financehub-${env}`;
  const logRetention = env === 'production' ? 365 : 30;

  it('runs every function on Node.js 22, arm64, traced, in the VPC, with a dead-letter queue and reserved concurrency', () => {
    // Assess
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => f.Properties);
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      expect(fn).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        DeadLetterConfig: { TargetArn: expect.anything() },
        VpcConfig: { SubnetIds: expect.any(Array) },
      });
      expect(fn.ReservedConcurrentExecutions).toBeGreaterThan(0);
      expect(fn.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    }
  });

  it('gives each function a KMS-encrypted log group kept a year in production', () => {
    // Assess
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/lambda/${prefix}-slack-ops`,
      RetentionInDays: logRetention,
      KmsKeyId: Match.anyValue(),
    });
  });

  it('serves the /ops command from a function URL verified by Slack’s signature, with an approvals table that expires', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: `${prefix}-slack-approvals`,
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: `/${prefix}/slack/authorization` });
  });

  it('lets the /ops function start only the workflows /ops starts, in this environment', () => {
    // Prepare
    const [roleId] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([, f]) => f.Properties.FunctionName === `${prefix}-slack-ops`)![1]
      .Properties.Role['Fn::GetAtt'] as [string];
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);

    // Act
    const starts = statements.filter((s) => [s.Action].flat().includes('states:StartExecution'));

    // Assess
    expect(starts).toHaveLength(1);
    const machine = (workflow: string) => `arn:aws:states:us-east-1:${stacks.config.account}:stateMachine:${prefix}-${workflow}`;
    expect([starts[0]?.Resource].flat().sort()).toEqual(['backup-verification', 'dr-simulation', 'failover-drill', 'restore-drill', 'rollback', 'scaling-override'].map(machine));
  });

  it('posts the outcome of executions started from Slack back to Slack', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'] }),
    });
  });

  it('starts remediation for this environment’s alarms into ALARM, but not for the autoscaling step alarms, which only inform', () => {
    // Prepare
    const wildcard = (pattern: string) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    const alarmNames = (stack: Stack) =>
      Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).map((alarm) => String(alarm.Properties.AlarmName));

    // Act
    const [rule] = Object.values(template.findResources('AWS::Events::Rule', { Properties: { Name: `${prefix}-remediation-alarms` } }));
    const pattern = rule?.Properties.EventPattern;
    const excluded = (pattern?.detail.alarmName[0]['anything-but'].wildcard ?? []) as string[];
    const starts = (name: string) => !excluded.some((p) => wildcard(p).test(name));

    // Assess
    expect(pattern).toMatchObject({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      resources: [{ prefix: `arn:aws:cloudwatch:us-east-1:${stacks.config.account}:alarm:${prefix}-` }],
      detail: { state: { value: ['ALARM'] } },
    });
    const stepAlarms = alarmNames(stacks.compute);
    expect(stepAlarms).toEqual(expect.arrayContaining([`${prefix}-backend-scale-out`, `${prefix}-backend-scale-in`, `${prefix}-worker-scale-in`]));
    for (const name of stepAlarms) expect(starts(name)).toBe(false);
    const serviceAlarms = alarmNames(stacks.observability);
    expect(serviceAlarms).toContain(`${prefix}-backend-high-cpu`);
    for (const name of serviceAlarms) expect(starts(name)).toBe(true);
  });

  it.each(['failover-drill', 'restore-drill'])('lets the %s function write and delete only the drill lock item of this environment, and list no executions', (drill) => {
    // Prepare
    const [roleId] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([, f]) => f.Properties.FunctionName === `${prefix}-${drill}`)![1]
      .Properties.Role['Fn::GetAtt'] as [string];
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown; Condition?: unknown }[]);
    const [tableId] = Object.entries(template.findResources('AWS::DynamoDB::Table')).find(([, t]) => t.Properties.TableName === `${prefix}-remediation-guardrails`)!;

    // Act
    const dynamodb = statements.filter((s) => [s.Action].flat().some((action) => action.startsWith('dynamodb:')));

    // Assess
    expect(dynamodb).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
        Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['lock#drill'] } },
      },
    ]);
    expect(statements.flatMap((s) => [s.Action].flat())).not.toContain('states:ListExecutions');
    const lambda = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.FunctionName === `${prefix}-${drill}`)!;
    expect(lambda.Properties.Environment.Variables).toMatchObject({ DRILL_LOCK_TABLE: { Ref: tableId }, DRILL_LOCK_MAX_MINUTES: expect.stringMatching(/^\d+$/) });
  });
});
