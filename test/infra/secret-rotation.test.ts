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
  /** The owner-rotated secrets as the ops stack names them: the data stack's two by export, the Slack app's two by reference. */
  const OWNER_ROTATED = [
    { 'Fn::ImportValue': expect.stringContaining('ApiKeys') },
    { 'Fn::ImportValue': expect.stringContaining('OAuthTokens') },
    { Ref: expect.stringMatching(/^SlackSecret[0-9A-F]{8}$/) },
    { Ref: expect.stringMatching(/^SlackSigningSecret[0-9A-F]{8}$/) },
  ];

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

  it('raises an alarm of its own when any rotation function fails a step, and when the ingress that reports the outcome fails', () => {
    // Assess
    for (const name of ['rotate-db-credentials', 'rotate-redis-auth', 'rotate-django-secret-key', 'rotation-events']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: `${prefix}-${name}-errors`, Threshold: 0 });
    }
  });

  it('reports every outcome of the database, Redis and Django rotations, and only the success of an owner\'s rotation', () => {
    // Act
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter((r) => r.Properties.EventPattern?.source?.[0] === 'aws.secretsmanager');
    const byName = Object.fromEntries(rules.map((r) => [r.Properties.Name as string, r.Properties.EventPattern.detail]));

    // Assess
    expect(rules).toHaveLength(2);
    expect(byName[`${prefix}-db-secret-rotation`]?.additionalEventData.SecretId).toHaveLength(4);
    expect(byName[`${prefix}-rotate-owner-secret`]).toEqual({
      eventName: ['RotationSucceeded'],
      additionalEventData: { SecretId: OWNER_ROTATED },
    });
  });

  it('rotates the API keys, the OAuth tokens and the Slack bot token and signing secret every 30 days with their owner in the loop, the function told who owns what and how to check it', () => {
    // Prepare
    const [ownerFnId, ownerFn] = fn('rotate-owner-secret')!;

    // Act
    const schedules = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule')).filter((r) => JSON.stringify(r.Properties.RotationLambdaARN).includes(ownerFnId));
    const declared = JSON.stringify(ownerFn.Properties.Environment.Variables.OWNER_SECRETS);

    // Assess
    expect(schedules.map((schedule) => schedule.Properties.SecretId)).toEqual(OWNER_ROTATED);
    for (const schedule of schedules) expect(schedule.Properties).toMatchObject({ RotationRules: { ScheduleExpression: 'rate(30 days)' }, RotateImmediatelyOnUpdate: false });
    for (const expected of ['api-keys', 'oauth-tokens', '@financehub-payments', 'https://api.stripe.com/v1/balance', '\\"type\\":\\"none\\"']) expect(declared).toContain(expected);
    for (const expected of ['\\"name\\":\\"slack\\"', '\\"type\\":\\"slack-auth-test\\"', `\\"teamId\\":\\"${stacks.config.slack.workspaceId}\\"`, '\\"field\\":\\"botToken\\"', '\\"name\\":\\"slack-signing\\"']) {
      expect(declared).toContain(expected);
    }
  });

  it('lets the owner rotation function stage, read and tag only the four owner-rotated secrets, and write no value', () => {
    // Act
    const statements = statementsOf('rotate-owner-secret').filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    const actions = statements.flatMap((s) => [s.Action].flat());

    // Assess
    expect(actions).not.toContain('secretsmanager:PutSecretValue');
    expect(actions).not.toContain('secretsmanager:GetRandomPassword');
    expect(statements).toHaveLength(2);
    for (const statement of statements) {
      expect([statement.Resource].flat()).toEqual(OWNER_ROTATED);
    }
    expect(statements.find((s) => [s.Action].flat().includes('secretsmanager:TagResource'))?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['rotation-requested-at', 'rotation-requested-version'] },
    });
  });

  it('lets the owner rotation function decrypt the data and the ops keys through Secrets Manager only', () => {
    // Act
    const decrypts = statementsOf('rotate-owner-secret').filter((s) => [s.Action].flat().includes('kms:Decrypt') && JSON.stringify(s.Condition ?? {}).includes('secretsmanager'));

    // Assess
    expect(decrypts).toEqual([
      expect.objectContaining({
        Action: 'kms:Decrypt',
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } },
        Resource: [{ 'Fn::GetAtt': [expect.stringMatching(/^OpsKey/), 'Arn'] }, { 'Fn::ImportValue': expect.stringContaining('DataKey') }],
      }),
    ]);
  });

  it('restarts no service after a Slack secret rotates, and says who reads it instead', () => {
    // Act
    const [, ingress] = fn('rotation-events')!;
    const rotated = JSON.stringify(ingress.Properties.Environment.Variables.ROTATED_SECRETS);

    // Assess
    expect(rotated).toContain('\\"kind\\":\\"slack-bot-token\\",\\"services\\":[],\\"readers\\":\\"only the ops functions notify-slack, announce-request and slack-followup');
    expect(rotated).toContain('\\"kind\\":\\"slack-signing-secret\\",\\"services\\":[],\\"readers\\":\\"only slack-ops reads it');
  });

  it('lets each minted rotation function tag its own secrets with the rotation progress only', () => {
    // Act
    const tagging = ['rotate-db-credentials', 'rotate-redis-auth', 'rotate-django-secret-key'].map((name) => statementsOf(name).filter((s) => [s.Action].flat().includes('secretsmanager:TagResource')));

    // Assess
    for (const statements of tagging) {
      expect(statements).toHaveLength(1);
      expect(statements[0]?.Condition).toEqual({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['rotation-progress'] } });
    }
  });

  it('lets Secrets Manager invoke each rotation function for its own secrets only, in this account', () => {
    // Act
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter((p) => p.Properties.Principal === 'secretsmanager.amazonaws.com');

    // Assess: one per rotated secret (application user, master, Redis, Django, API keys, OAuth tokens, the two Slack secrets)
    expect(permissions).toHaveLength(8);
    for (const permission of permissions) expect(permission.Properties.SourceAccount).toBe(stacks.config.account);
    const sources: Record<string, unknown>[] = permissions.map((p) => p.Properties.SourceArn);
    expect(sources.filter((source) => JSON.stringify(source).includes('Data:ExportsOutputRef'))).toHaveLength(6);
    expect(sources.filter((source) => 'Ref' in source)).toEqual(OWNER_ROTATED.slice(2));
  });
});

describe('the third-party secrets', () => {
  it('carry the owner tag the age audit and the rotation request read', () => {
    // Act
    const template = Template.fromStack(app.staging.data);

    // Assess
    for (const [name, owner] of [['api-keys', '@financehub-payments'], ['oauth-tokens', '@financehub-platform']]) {
      template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: `financehub-staging/${name}`, Tags: Match.arrayWith([{ Key: 'owner', Value: owner }]) });
    }
  });

  it('include the Slack app\'s bot token and signing secret, tagged with their owner in the ops stack', () => {
    // Act
    const template = Template.fromStack(app.staging.ops);

    // Assess
    for (const name of ['slack', 'slack-signing']) {
      template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: `financehub-staging/${name}`, Tags: Match.arrayWith([{ Key: 'owner', Value: '@financehub-platform' }]) });
    }
  });
});
