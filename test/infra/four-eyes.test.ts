import { Match, Template } from 'aws-cdk-lib/assertions';
import { WORKFLOWS } from '../../contracts/workflows.js';
import { AUDIT_TAMPER_ACTIONS } from '../../infra/constructs/audit-trail.js';
import { synthesizeApp } from './support/synth.js';

const app = synthesizeApp();

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
  readonly Principal?: unknown;
}

/** Every identity-policy statement of the role a function runs as. */
function roleStatements(template: Template, functionName: string): Statement[] {
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.FunctionName === functionName);
  if (!fn) throw new Error(`no function ${functionName}`);
  const [roleId] = fn.Properties.Role['Fn::GetAtt'] as [string];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (statements: readonly Statement[]) => statements.flatMap((s) => [s.Action].flat());

describe.each([
  ['staging', app.staging, 30],
  ['production', app.production, 365],
] as const)('%s four eyes and audit trail', (env, stacks, retentionDays) => {
  const template = Template.fromStack(stacks.ops);
  const prefix = `financehub-${env}`;

  it(`keeps audit entries under Object Lock in compliance mode for ${retentionDays} days`, () => {
    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: `${prefix}-audit-${stacks.config.account}`,
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: retentionDays } } },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
    });
  });

  it('refuses deletes, retention changes and overwrites of audit entries to every principal', () => {
    // Prepare
    const [policy] = Object.values(template.findResources('AWS::S3::BucketPolicy')).filter((p) => JSON.stringify(p).includes('AuditTrail'));

    // Act
    const denies = (policy?.Properties.PolicyDocument.Statement as Statement[]).filter((s) => s.Effect === 'Deny' && s.Principal !== undefined);

    // Assess
    expect(denies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Principal: { AWS: '*' }, Action: [...AUDIT_TAMPER_ACTIONS].sort() }),
        expect.objectContaining({ Principal: { AWS: '*' }, Action: 's3:PutObject', Condition: { Null: { 's3:if-none-match': 'true' } } }),
      ]),
    );
    const tamper = denies.find((s) => JSON.stringify(s.Action) === JSON.stringify([...AUDIT_TAMPER_ACTIONS].sort()));
    expect(tamper?.Condition).toBeUndefined();
  });

  it('lets the Slack ingress only add audit entries, never read or delete them', () => {
    // Act
    const onAudit = roleStatements(template, `${prefix}-slack-ops`).filter((s) => JSON.stringify(s.Resource).includes('AuditTrail'));

    // Assess
    expect(actionsOf(onAudit)).toEqual(['s3:PutObject']);
  });

  it('keeps the state machines’ execution logs a year in production', () => {
    // Assess
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup')).filter((g) => String(g.Properties.LogGroupName).startsWith('/aws/vendedlogs/states/'));
    expect(groups.length).toBeGreaterThanOrEqual(6);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(retentionDays);
  });

  it('gives the internet-facing Slack ingress single-item access to its table and the signing secret alone', () => {
    // Prepare
    const statements = roleStatements(template, `${prefix}-slack-ops`);

    // Act
    const dynamodb = actionsOf(statements).filter((action) => action.startsWith('dynamodb:'));
    const secrets = statements.filter((s) => actionsOf([s]).includes('secretsmanager:GetSecretValue'));

    // Assess
    expect(dynamodb.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(secrets).toHaveLength(1);
    expect(JSON.stringify(secrets[0]?.Resource)).toContain('SlackSigningSecret');
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: `${prefix}/slack-signing` });
  });

  it('lets the scaling override register bounds only on this environment’s three services', () => {
    // Act
    const registers = roleStatements(template, `${prefix}-scaling-override`).filter((s) => actionsOf([s]).includes('application-autoscaling:RegisterScalableTarget'));

    // Assess
    expect(registers).toEqual([
      expect.objectContaining({
        Action: 'application-autoscaling:RegisterScalableTarget',
        Resource: `arn:aws:application-autoscaling:us-east-1:${stacks.config.account}:scalable-target/*`,
        Condition: { StringEquals: { 'aws:ResourceTag/financehub:scalable-service': [`${prefix}-frontend`, `${prefix}-backend`, `${prefix}-worker`] } },
      }),
    ]);
    const compute = Template.fromStack(stacks.compute);
    for (const service of ['frontend', 'backend', 'worker']) {
      compute.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        ResourceId: `service/${prefix}/${prefix}-${service}`,
        Tags: Match.arrayWith([{ Key: 'financehub:scalable-service', Value: `${prefix}-${service}` }]),
      });
    }
  });

  it('lets an operator’s fhops write approval requests only under its own AWS user id, and no approval, secret or audit entry', () => {
    // Prepare
    const [policy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { ManagedPolicyName: `${prefix}-ops-cli` } }));

    // Act
    const statements = policy?.Properties.PolicyDocument.Statement as Statement[];

    // Assess
    const onTable = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')));
    expect(onTable).toEqual([
      expect.objectContaining({ Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['request#${aws:userid}#*'] } } }),
    ]);
    expect(actionsOf(statements).filter((a) => a.startsWith('secretsmanager:') || a === 's3:PutObject' || a.startsWith('dynamodb:Update') || a.startsWith('dynamodb:Delete'))).toEqual([]);
    const starts = statements.filter((s) => actionsOf([s]).includes('states:StartExecution')).flatMap((s) => [s.Resource].flat());
    const fourEyes = stacks.config.fourEyes.workflows.map((workflow) => `:stateMachine:${prefix}-${workflow}`);
    expect(JSON.stringify(starts)).toContain(`:stateMachine:${prefix}-backup-verification`);
    for (const machine of fourEyes) expect(JSON.stringify(starts)).not.toContain(`${machine}"`);
  });

  it('puts requests made from the CLI to the ops channel from the table’s stream, by a function that reads the webhooks and adds audit entries', () => {
    // Prepare
    const statements = roleStatements(template, `${prefix}-announce-request`);

    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: `${prefix}-slack-approvals`, StreamSpecification: { StreamViewType: 'NEW_IMAGE' } });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      StartingPosition: 'TRIM_HORIZON',
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { NewImage: { id: { S: [{ prefix: 'request#' }] }, origin: { S: [{ prefix: 'cli:' }] } } } }) }] },
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    const secrets = statements.filter((s) => actionsOf([s]).includes('secretsmanager:GetSecretValue'));
    expect(secrets).toHaveLength(1);
    expect(JSON.stringify(secrets[0]?.Resource)).toContain('SlackSecret');
    expect(actionsOf(statements.filter((s) => JSON.stringify(s.Resource).includes('AuditTrail')))).toEqual(['s3:PutObject']);
    expect(actionsOf(statements).filter((a) => a.startsWith('states:') || a.startsWith('dynamodb:Put') || a.startsWith('dynamodb:Update'))).toEqual([]);
  });

  it('records the start and the end of every ops workflow execution in the audit trail', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: `${prefix}-audit-executions`,
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: WORKFLOWS.map((workflow) => `arn:aws:states:us-east-1:${stacks.config.account}:stateMachine:${prefix}-${workflow}`),
        },
      },
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 } })],
    });
    expect(actionsOf(roleStatements(template, `${prefix}-audit-executions`).filter((s) => JSON.stringify(s.Resource).includes('AuditTrailEntries')))).toEqual(['s3:PutObject']);
  });

  it('grants nothing to an AWS service principal without aws:SourceAccount or aws:SourceArn in the network, data, observability and ops stacks', () => {
    // Prepare
    const unconditioned: string[] = [];
    for (const stack of [stacks.network, stacks.data, stacks.observability, stacks.ops]) {
      const stackTemplate = Template.fromStack(stack);
      for (const [id, resource] of Object.entries(stackTemplate.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>)) {
        const properties = resource.Properties ?? {};
        if (resource.Type === 'AWS::Lambda::Permission' && properties.Principal !== '*' && !properties.SourceAccount && !properties.SourceArn) {
          unconditioned.push(`${stack.stackName}/${id}: ${String(properties.Principal)}`);
        }
        const document = (resource.Type === 'AWS::KMS::Key' ? properties.KeyPolicy : resource.Type.endsWith('Policy') ? properties.PolicyDocument : undefined) as
          | { Statement: Statement[] }
          | undefined;
        for (const statement of document?.Statement ?? []) {
          const service = (statement.Principal as { Service?: unknown } | undefined)?.Service;
          if (statement.Effect === 'Allow' && service && !statement.Condition) unconditioned.push(`${stack.stackName}/${id}: ${JSON.stringify(service)}`);
        }
      }
    }

    // Assess
    expect(unconditioned).toEqual([]);
  });
});
