import { Match, Template } from 'aws-cdk-lib/assertions';
import { synthesizeApp } from './support/synth.js';

const app = synthesizeApp();

describe.each([
  ['staging', app.staging, '111111111111'],
  ['production', app.production, '222222222222'],
] as const)('the %s smoke test', (env, stacks, account) => {
  const template = Template.fromStack(stacks.ops);
  const prefix = `financehub-${env}`;

  it('starts on completed and failed ECS deployments of this environment’s cluster only', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: `${prefix}-smoke-test-deployments`,
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Deployment State Change'],
        resources: [{ prefix: `arn:aws:ecs:us-east-1:${account}:service/${prefix}/` }],
        detail: { eventName: ['SERVICE_DEPLOYMENT_COMPLETED', 'SERVICE_DEPLOYMENT_FAILED'] },
      },
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 } })],
    });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: `${prefix}-smoke-test` });
  });

  it('watches ten rounds 30 s apart and rolls back automatically only in staging (production on approval)', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: `${prefix}-smoke-test`,
      Environment: {
        Variables: Match.objectLike({
          ROUNDS: '10',
          POLL_SECONDS: '30',
          ROLLBACK: env === 'staging' ? 'automatic' : 'approval',
          HEALTH_ENDPOINTS: JSON.stringify([
            { name: 'frontend', url: `https://${env === 'staging' ? 'staging.' : ''}financehub.com/health` },
            { name: 'backend', url: `https://${env === 'staging' ? 'staging.' : ''}financehub.com/api/health` },
          ]),
        }),
      },
    });
  });

  it('reads only the four watched alarms and updates only this environment’s services', () => {
    // Prepare
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([logicalId]) => logicalId.startsWith('SmokeTestFunction'))
      .map(([, policy]) => policy)
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((s) => [s.Action].flat().some((a) => a === 'cloudwatch:DescribeAlarms' || a === 'ecs:UpdateService'));
    const alarms = statements.find((s) => [s.Action].flat().includes('cloudwatch:DescribeAlarms'));

    // Assess
    expect(statements.length).toBeGreaterThan(1);
    expect([alarms?.Resource].flat().sort()).toEqual(
      ['frontend', 'backend'].flatMap((service) => ['high-error-rate', 'high-latency'].map((kind) => `arn:aws:cloudwatch:us-east-1:${account}:alarm:${prefix}-${service}-${kind}`)).sort(),
    );
    for (const statement of statements.filter((s) => [s.Action].flat().includes('ecs:UpdateService'))) {
      expect([statement.Resource].flat().every((r) => typeof r === 'string' && r.startsWith(`arn:aws:ecs:us-east-1:${account}:service/${prefix}/`))).toBe(true);
    }
  });

  it('is started only by its ECS deployment events: no role but its start function’s may start it, the Slack ingress’s included', () => {
    // Prepare
    const [machineId] = Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).find(([, m]) => m.Properties.StateMachineName === `${prefix}-smoke-test`)!;
    const roleOf = (functionName: string) =>
      (Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.FunctionName === functionName)!.Properties.Role['Fn::GetAtt'] as [string])[0];

    // Act
    const starters = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        (policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).some(
          (s) => [s.Action].flat().some((a) => a === 'states:StartExecution' || a === 'states:*') && (JSON.stringify(s.Resource).includes(machineId) || JSON.stringify(s.Resource).includes(`${prefix}-smoke-test`)),
        ),
      )
      .flatMap((policy) => (policy.Properties.Roles as { Ref: string }[]).map((role) => role.Ref));

    // Assess
    expect(starters).toEqual([roleOf(`${prefix}-smoke-test-start`)]);
    expect(starters).not.toContain(roleOf(`${prefix}-slack-ops`));
  });
});
