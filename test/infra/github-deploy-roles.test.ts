import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { SERVICES } from '../../contracts/environments.js';
import { synthesizeApp } from './support/synth.js';

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

const app = synthesizeApp();
const environments = [
  ['staging', app.staging],
  ['production', app.production],
] as const;
const OIDC = 'token.actions.githubusercontent.com';

/** A role's trust and every statement of the inline policies attached to it, by role name. */
function rolesOf(template: Template): Map<string, { trust: Statement[]; statements: Statement[]; managed: unknown }> {
  const roles = template.findResources('AWS::IAM::Role');
  const policies = Object.values(template.findResources('AWS::IAM::Policy'));
  const byName = new Map<string, { trust: Statement[]; statements: Statement[]; managed: unknown }>();
  for (const [logicalId, role] of Object.entries(roles)) {
    const name = role.Properties.RoleName;
    if (typeof name !== 'string') continue;
    const statements = policies
      .filter((policy) => (policy.Properties.Roles as { Ref?: string }[]).some((ref) => ref.Ref === logicalId))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
    byName.set(name, { trust: role.Properties.AssumeRolePolicyDocument.Statement, statements, managed: role.Properties.ManagedPolicyArns });
  }
  return byName;
}

const actions = (statements: Statement[]) => statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
const resourcesOf = (statement: Statement | undefined) => (Array.isArray(statement?.Resource) ? statement.Resource : [statement?.Resource]);
const statementWith = (statements: Statement[], action: string) => statements.find((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action));

describe.each(environments)('GitHub deploy roles in %s', (env, stacks) => {
  const template = Template.fromStack(stacks.ops);
  const roles = rolesOf(template);
  const prefix = `financehub-${env}`;
  const account = stacks.config.account;
  const githubRoles = [...roles.keys()].filter((name) => name.startsWith(`${prefix}-github-`)).sort();
  const expectedRoles = [
    `${prefix}-github-cdk-deploy`,
    `${prefix}-github-cdk-diff`,
    ...SERVICES.map((service) => `${prefix}-github-deploy-${service}`),
    ...(env === 'staging' ? SERVICES.map((service) => `${prefix}-github-promote-${service}`) : []),
  ].sort();

  it('registers GitHub as the account’s OIDC provider for the STS audience, once', () => {
    // Assess
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    template.hasResourceProperties('AWS::IAM::OIDCProvider', { Url: `https://${OIDC}`, ClientIdList: ['sts.amazonaws.com'] });
    for (const other of [stacks.network, stacks.data, stacks.edge, stacks.compute, stacks.observability, stacks.dr]) {
      Template.fromStack(other).resourceCountIs('AWS::IAM::OIDCProvider', 0);
    }
  });

  it('has one role per job kind, and only staging lets production’s jobs pull images', () => {
    // Assess
    expect(githubRoles).toEqual(expectedRoles);
  });

  it.each<[string, string, string]>([
    ['cdk-deploy', 'financehub-ops', `environment:${env}`],
    ['cdk-diff', 'financehub-ops', 'pull_request'],
    ...SERVICES.map((service): [string, string, string] => [`deploy-${service}`, `financehub-${service}`, `environment:${env}`]),
  ])('lets only one GitHub job assume %s: %s in %s', (kind, repository, where) => {
    // Prepare
    const trust = roles.get(`${prefix}-github-${kind}`)?.trust;

    // Assess
    expect(trust).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: expect.anything() },
        Condition: { StringEquals: { [`${OIDC}:aud`]: 'sts.amazonaws.com', [`${OIDC}:sub`]: `repo:financehub/${repository}:${where}` } },
      },
    ]);
  });

  it('gives no GitHub role a managed policy, and none any action on every resource but the few without resource-level permissions', () => {
    for (const name of githubRoles) {
      // Prepare
      const role = roles.get(name);
      const everywhere = (role?.statements ?? []).filter((s) => s.Resource === '*');

      // Assess
      expect(role?.managed).toBeUndefined();
      expect(role?.statements.every((s) => s.Effect === 'Allow')).toBe(true);
      expect(actions(everywhere).filter((a) => !['ecr:GetAuthorizationToken', 'ecs:RegisterTaskDefinition', 'ecs:DescribeTaskDefinition'].includes(a))).toEqual([]);
    }
  });

  it('lets the infrastructure deploy assume only the CDK bootstrap roles, and the diff only their lookup roles', () => {
    // Prepare
    const deploy = roles.get(`${prefix}-github-cdk-deploy`)?.statements ?? [];
    const diff = roles.get(`${prefix}-github-cdk-diff`)?.statements ?? [];
    const bootstrap = (kinds: string[]) =>
      ['us-east-1', 'us-west-2'].flatMap((region) => kinds.map((kind) => `arn:aws:iam::${account}:role/cdk-hnb659fds-${kind}-role-${account}-${region}`)).sort();

    // Assess
    expect(actions(deploy)).toEqual(['sts:AssumeRole', 'sts:TagSession']);
    expect((resourcesOf(deploy[0]) as string[]).sort()).toEqual(bootstrap(['deploy', 'file-publishing', 'image-publishing', 'lookup']));
    expect(actions(diff)).toEqual(['sts:AssumeRole', 'sts:TagSession']);
    expect((resourcesOf(diff[0]) as string[]).sort()).toEqual(bootstrap(['lookup']));
  });

  it.each(SERVICES)('lets the %s deploy push its own image, pass its own task roles and update its own service only', (service) => {
    // Prepare
    const statements = roles.get(`${prefix}-github-deploy-${service}`)?.statements ?? [];
    const push = statementWith(statements, 'ecr:PutImage');
    const passRole = statementWith(statements, 'iam:PassRole');
    const update = statementWith(statements, 'ecs:UpdateService');
    const tag = statementWith(statements, 'ecs:TagResource');
    const verdict = statementWith(statements, 'states:DescribeExecution');
    const repositoryArn = JSON.stringify(resourcesOf(push));

    // Assess
    expect(actions(statements)).toEqual(
      [
        'ecr:GetAuthorizationToken',
        'ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage', 'ecr:BatchGetImage', 'ecr:DescribeImages',
        'ecs:RegisterTaskDefinition', 'ecs:DescribeTaskDefinition', 'ecs:TagResource', 'iam:PassRole', 'ecs:DescribeServices', 'ecs:UpdateService',
        'states:DescribeExecution',
      ].sort(),
    );
    expect(resourcesOf(push)).toHaveLength(1);
    expect(repositoryArn).toContain(`:ecr:us-east-1:${account}:repository/${prefix}/${service}"`);
    expect(resourcesOf(update)).toEqual([`arn:aws:ecs:us-east-1:${account}:service/${prefix}/${prefix}-${service}`]);
    expect(resourcesOf(tag)).toEqual([`arn:aws:ecs:us-east-1:${account}:task-definition/${prefix}-${service}:*`]);
    expect(tag?.Condition).toEqual({ StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } });
    expect(resourcesOf(passRole)).toHaveLength(2);
    expect(JSON.stringify(resourcesOf(passRole)).match(new RegExp(`${service}Task`, 'gi'))?.length).toBe(2);
    expect(passRole?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    expect(resourcesOf(verdict)).toEqual([`arn:aws:states:us-east-1:${account}:execution:${prefix}-smoke-test:${service}-*`]);
  });

  it('holds every credential as long as the longest deploy job runs, and no longer than the configured two hours', () => {
    // Assess
    for (const role of Object.values(template.findResources('AWS::IAM::Role')).filter((r) => String(r.Properties.RoleName).startsWith(`${prefix}-github-`))) {
      expect(role.Properties.MaxSessionDuration).toBe(7200);
    }
  });
});

describe('image promotion from staging', () => {
  it.each(SERVICES)('lets production’s %s job only pull that service’s image from staging', (service) => {
    // Prepare
    const role = rolesOf(Template.fromStack(app.staging.ops)).get(`financehub-staging-github-promote-${service}`);

    // Assess
    expect(role?.trust[0]?.Condition).toEqual({ StringEquals: { [`${OIDC}:aud`]: 'sts.amazonaws.com', [`${OIDC}:sub`]: `repo:financehub/financehub-${service}:environment:production` } });
    expect(actions(role?.statements ?? [])).toEqual(['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:DescribeImages', 'ecr:GetAuthorizationToken', 'ecr:GetDownloadUrlForLayer']);
    expect(JSON.stringify(resourcesOf(statementWith(role?.statements ?? [], 'ecr:BatchGetImage')))).toContain(`:ecr:us-east-1:111111111111:repository/financehub-staging/${service}"`);
  });
});

describe('the workflows and the roles', () => {
  it('name only roles the stacks create, in the environment each job deploys', () => {
    // Prepare
    const directory = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '.github', 'workflows');
    const text = ['ci.yml', 'deploy-service.yml'].map((file) => readFileSync(path.join(directory, file), 'utf8')).join('\n');
    const named = [...text.matchAll(/:role\/(financehub-(?:\$\{\{ [a-z.-]+ \}\}|[a-z0-9-])+)/g)].map((m) => m[1] ?? '');
    const expand = (name: string) =>
      (name.includes('${{ matrix.environment }}') ? ['staging', 'production'].map((env) => name.replace('${{ matrix.environment }}', env)) : [name]).flatMap((n) =>
        n.includes('${{ inputs.service }}') ? SERVICES.map((service) => n.replace('${{ inputs.service }}', service)) : [n],
      );
    const created = new Set(environments.flatMap(([, stacks]) => [...rolesOf(Template.fromStack(stacks.ops)).keys()]));

    // Assess
    expect(named.length).toBeGreaterThan(5);
    for (const name of named.flatMap(expand)) expect(created.has(name) ? name : `missing: ${name}`).toBe(name);
  });
});
