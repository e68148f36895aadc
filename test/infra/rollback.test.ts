import { Template } from 'aws-cdk-lib/assertions';
import { synthesizeApp } from './support/synth.js';

const app = synthesizeApp();

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
}

describe.each([
  ['staging', app.staging],
  ['production', app.production],
] as const)('the %s rollback workflow', (env, stacks) => {
  const template = Template.fromStack(stacks.ops);
  const prefix = `financehub-${env}`;
  const account = stacks.config.account;

  it('is a state machine whose function may update only this environment’s services', () => {
    // Prepare
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.FunctionName === `${prefix}-rollback`);
    const [roleId] = fn?.Properties.Role['Fn::GetAtt'] as [string];
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);

    // Act
    const updates = statements.filter((s) => [s.Action].flat().includes('ecs:UpdateService'));
    const actions = statements.flatMap((s) => [s.Action].flat());

    // Assess
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: `${prefix}-rollback` });
    expect(updates.flatMap((s) => [s.Resource].flat())).toEqual([`arn:aws:ecs:us-east-1:${account}:service/${prefix}/${prefix}-*`]);
    expect(actions.filter((a) => a.startsWith('states:') || a.startsWith('iam:') || a === 'ecs:RegisterTaskDefinition')).toEqual([]);
  });

  it('verifies a second person’s approval in its first state in production, and only there', () => {
    // Prepare
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).find((m) => m.Properties.StateMachineName === `${prefix}-rollback`);
    const definition = JSON.stringify(machine?.Properties.DefinitionString);

    // Assess
    expect(definition).toContain(env === 'production' ? '\\"StartAt\\":\\"Verify approval\\"' : '\\"StartAt\\":\\"Read the release\\"');
  });
});
