import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { deploymentContextFrom } from '../../infra/config.js';
import { buildEnvironments, buildRegistries } from '../../infra/financehub.js';
import { synthesizeApp } from './support/synth.js';

const app = synthesizeApp();
const environments = [
  ['staging', app.staging],
  ['production', app.production],
] as const;
const realSettings = { stagingAccount: '123456789012', productionAccount: '210987654321', hostedZoneId: 'Z05512345ABCDEFGHIJK', slackWorkspaceId: 'T01FINHUB', slackStagingCriticalChannel: 'C01STAGECRIT', slackProductionCriticalChannel: 'C01PRODCRIT' };

describe.each(environments)('%s registry', (env, stacks) => {
  const template = Template.fromStack(stacks.registry);

  it('holds the three immutable, scanned repositories CI pushes to', () => {
    // Assess
    template.resourceCountIs('AWS::ECR::Repository', 3);
    for (const service of ['frontend', 'backend', 'worker']) {
      template.hasResourceProperties('AWS::ECR::Repository', {
        RepositoryName: `financehub-${env}/${service}`,
        ImageTagMutability: 'IMMUTABLE',
        ImageScanningConfiguration: { ScanOnPush: true },
      });
    }
  });

  it('replicates every repository of the environment to us-west-2 in the same account', () => {
    // Assess
    template.hasResourceProperties('AWS::ECR::ReplicationConfiguration', {
      ReplicationConfiguration: {
        Rules: [
          {
            Destinations: [{ Region: 'us-west-2', RegistryId: stacks.config.account }],
            RepositoryFilters: [{ Filter: `financehub-${env}/`, FilterType: 'PREFIX_MATCH' }],
          },
        ],
      },
    });
  });

  it('keeps the repositories on delete but frees their names when the first create fails', () => {
    // Assess
    template.allResources('AWS::ECR::Repository', { DeletionPolicy: 'RetainExceptOnCreate' });
  });

  it('depends on nothing, so it deploys before any service', () => {
    // Assess
    expect(stacks.registry.dependencies).toEqual([]);
  });
});

describe('DNS across the two accounts', () => {
  it('gives staging its own zone, delegated from production through production’s delegation role', () => {
    // Prepare
    const staging = Template.fromStack(app.staging.dns);

    // Assess
    staging.hasResourceProperties('AWS::Route53::HostedZone', { Name: 'staging.financehub.com.' });
    staging.hasResourceProperties('Custom::CrossAccountZoneDelegation', {
      AssumeRoleArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:role/financehub-production-dns-delegation']] },
      ParentZoneId: 'Z0000000000000FINHUB',
      DelegatedZoneName: 'staging.financehub.com',
    });
    expect(app.staging.dns.dependencies).toContain(app.production.dns);
  });

  it('lets only the staging account write only the staging NS record in production’s zone', () => {
    // Prepare
    const production = Template.fromStack(app.production.dns);

    // Assess
    production.resourceCountIs('AWS::Route53::HostedZone', 0);
    production.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'financehub-production-dns-delegation',
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { AWS: Match.objectLike({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:root']] }) } })] },
    });
    production.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'route53:ChangeResourceRecordSets',
            Condition: {
              'ForAllValues:StringEquals': {
                'route53:ChangeResourceRecordSetsRecordTypes': ['NS'],
                'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'DELETE'],
                'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['staging.financehub.com'],
              },
            },
          }),
        ]),
      },
    });
  });

  it('writes staging’s records in staging’s zone, never in production’s', () => {
    // Prepare
    const edge = JSON.stringify(Template.fromStack(app.staging.edge).toJSON());

    // Assess
    expect(edge).not.toContain('Z0000000000000FINHUB');
    expect(edge).toContain('FinanceHub-staging-Dns');
  });
});

describe('a synth for real accounts', () => {
  it('builds every stack in its own account and looks nothing up', () => {
    // Prepare
    const real = new App({ context: { 'aws:cdk:bundling-stacks': [] } });

    // Act
    const stacks = buildEnvironments(real, deploymentContextFrom({ ...realSettings, imageTag: '3f9c2e1' }));
    const assembly = real.synth();

    // Assess
    expect(assembly.manifest.missing ?? []).toEqual([]);
    expect(stacks.map((s) => [s.config.name, s.compute.account, s.dr.region])).toEqual([
      ['staging', '123456789012', 'us-west-2'],
      ['production', '210987654321', 'us-west-2'],
    ]);
    expect(JSON.stringify(Template.fromStack(stacks[1]!.compute).toJSON())).toContain('/financehub-production/backend:3f9c2e1');
  });

  it('builds only the repositories in the registry phase', () => {
    // Prepare
    const registryPhase = new App({ context: { ...realSettings, phase: 'registry' } });

    // Act
    buildRegistries(registryPhase);
    const assembly = registryPhase.synth();

    // Assess
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(['FinanceHub-production-Registry', 'FinanceHub-staging-Registry']);
  });
});
