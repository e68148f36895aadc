import { Match, Template } from 'aws-cdk-lib/assertions';
import { synthesizeApp } from './support/synth.js';

const app = synthesizeApp();

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

describe.each([
  ['staging', app.staging],
  ['production', app.production],
] as const)('%s secret rotation', (env, stacks) => {
  const template = Template.fromStack(stacks.ops);
  const prefix = `financehub-${env}`;
  const fn = (name: string) => Object.entries(template.findResources('AWS::Lambda::Function')).find(([, f]) => f.Properties.FunctionName === `${prefix}-${name}`);
  const statementsOf = (name: string): Statement[] => {
    const [roleId] = fn(name)![1].Properties.Role['Fn::GetAtt'] as [string];
    return Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  };
  const rotateId = () => fn('rotate-db-credentials')![0];

  it('rotates the application user and the master credentials every 30 days with the database rotation function', () => {
    // Act
    const schedules = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule')).map((r) => r.Properties);

    // Assess
    const database = schedules.filter((s) => JSON.stringify(s.RotationLambdaARN).includes(rotateId()));
    expect(database).toHaveLength(2);
    for (const schedule of database) expect(schedule.RotationRules).toEqual({ ScheduleExpression: 'rate(30 days)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: `${prefix}-rotate-db-credentials`,
      Environment: { Variables: Match.objectLike({ MASTER_SECRET_ARN: Match.anyValue() }) },
    });
  });

  it('lets the database rotation function write only the two database secrets', () => {
    // Act
    const writes = statementsOf('rotate-db-credentials').filter((s) => [s.Action].flat().includes('secretsmanager:PutSecretValue'));

    // Assess
    expect(writes).toHaveLength(1);
    const resources = [writes[0]?.Resource].flat();
    expect(resources).toHaveLength(2);
    expect(JSON.stringify(resources)).not.toContain('*');
  });

  it('rotates the Redis AUTH token every 30 days with a function that may change only this environment’s replication group', () => {
    // Prepare
    const [cacheFnId] = fn('rotate-redis-auth')!;

    // Act
    const schedules = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule')).filter((r) => JSON.stringify(r.Properties.RotationLambdaARN).includes(cacheFnId));
    const cacheStatements = statementsOf('rotate-redis-auth').filter((s) => [s.Action].flat().some((a) => a.startsWith('elasticache:')));

    // Assess
    expect(schedules).toHaveLength(1);
    expect(schedules[0]?.Properties.RotationRules).toEqual({ ScheduleExpression: 'rate(30 days)' });
    expect(cacheStatements).toEqual([
      expect.objectContaining({
        Action: ['elasticache:DescribeReplicationGroups', 'elasticache:ModifyReplicationGroup'],
        Resource: `arn:aws:elasticache:us-east-1:${stacks.config.account}:replicationgroup:${prefix}-redis`,
      }),
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: `${prefix}-rotate-redis-auth`,
      Timeout: 900,
      Environment: { Variables: Match.objectLike({ REPLICATION_GROUP_ID: `${prefix}-redis`, TOKEN_LENGTH: '64' }) },
    });
  });

  it('lets the Redis rotation function read and write only the Redis AUTH secret', () => {
    // Act
    const writes = statementsOf('rotate-redis-auth').filter((s) => [s.Action].flat().includes('secretsmanager:PutSecretValue'));

    // Assess
    expect(writes).toHaveLength(1);
    expect([writes[0]?.Resource].flat()).toHaveLength(1);
  });

  it('rotates the Django keys every 30 days and keeps a replaced key for the two-week session age', () => {
    // Prepare
    const [djangoFnId] = fn('rotate-django-secret-key')!;

    // Act
    const schedules = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule')).filter((r) => JSON.stringify(r.Properties.RotationLambdaARN).includes(djangoFnId));

    // Assess
    expect(schedules).toHaveLength(1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: `${prefix}-rotate-django-secret-key`,
      Environment: { Variables: Match.objectLike({ SESSION_MAX_AGE_SECONDS: String(14 * 86_400), KEY_LENGTH: '64' }) },
    });
    expect(statementsOf('rotate-django-secret-key').some((s) => [s.Action].flat().some((a) => a.startsWith('elasticache:')))).toBe(false);
  });

  it('raises an alarm of its own when any rotation function fails a step', () => {
    // Assess
    for (const name of ['rotate-db-credentials', 'rotate-redis-auth', 'rotate-django-secret-key']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: `${prefix}-${name}-errors`, Threshold: 0 });
    }
  });

  it('reports the outcome of rotations of the database, Redis and Django secrets', () => {
    // Act
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter((r) => r.Properties.EventPattern?.source?.[0] === 'aws.secretsmanager');

    // Assess
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties.EventPattern.detail.additionalEventData.SecretId).toHaveLength(4);
  });
});
