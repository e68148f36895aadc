import { Match, Template } from 'aws-cdk-lib/assertions';
import { synthesizeApp } from './support/synth.js';

const app = synthesizeApp();
const environments = [
  ['staging', app.staging, '111111111111'],
  ['production', app.production, '222222222222'],
] as const;

function named(template: Template, type: string, property: string, name: string): string {
  const found = Object.entries(template.findResources(type)).find(([, r]) => r.Properties?.[property] === name);
  if (!found) throw new Error(`No ${type} with ${property} ${name}`);
  return found[0];
}

/** Ingress rules of a security group as `port from <logical id of the source group or CIDR>`. */
function ingress(template: Template, groupId: string): string[] {
  return Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
    .filter((rule) => JSON.stringify(rule.Properties.GroupId).includes(groupId))
    .map((rule) => `${rule.Properties.FromPort} from ${rule.Properties.CidrIp ?? rule.Properties.SourceSecurityGroupId['Fn::GetAtt'][0]}`)
    .sort();
}

describe.each(environments)('%s recovery in us-west-2', (env, stacks, account) => {
  const template = { dr: Template.fromStack(stacks.dr), data: Template.fromStack(stacks.data) };
  const prefix = `financehub-${env}`;
  const drKeyArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^DrKeyArnReader'), 'Parameter.Value'] };

  it('deploys the DR stack to us-west-2 and the data stack after it', () => {
    // Assess
    expect(stacks.dr.region).toBe('us-west-2');
    expect(stacks.data.region).toBe('us-east-1');
    expect(stacks.data.dependencies).toContain(stacks.dr);
  });

  it('replicates the database’s automated backups to us-west-2 with the DR key, kept 7 days there', () => {
    // Assess
    template.data.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceIdentifier: `${prefix}-db`,
      AutomaticBackupReplicationRegion: 'us-west-2',
      AutomaticBackupReplicationKmsKeyId: drKeyArn,
      AutomaticBackupReplicationRetentionPeriod: 7,
      BackupRetentionPeriod: 30,
    });
  });

  it('reads the DR key’s ARN from the SSM parameter the DR stack writes in us-west-2, allowed on that parameter only', () => {
    // Assess
    template.dr.hasResourceProperties('AWS::SSM::Parameter', {
      Name: `/${prefix}/dr/key-arn`,
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DrKey'), 'Arn'] },
    });
    const reader = Object.values(template.data.findResources('Custom::AWS')).map((r) => JSON.stringify(r.Properties.Create));
    expect(reader).toHaveLength(1);
    expect(JSON.parse(JSON.parse(reader[0] ?? '""') as string)).toMatchObject({
      service: 'SSM',
      action: 'getParameter',
      region: 'us-west-2',
      parameters: { Name: `/${prefix}/dr/key-arn` },
    });
    template.data.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{ Action: 'ssm:GetParameter', Effect: 'Allow', Resource: `arn:aws:ssm:us-west-2:${account}:parameter/${prefix}/dr/key-arn` }],
      },
    });
  });

  it('copies every daily EFS recovery point to the us-west-2 vault, kept 7 days there as here', () => {
    // Assess
    template.dr.hasResourceProperties('AWS::Backup::BackupVault', {
      BackupVaultName: `${prefix}-dr-vault`,
      EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DrKey'), 'Arn'] },
    });
    template.data.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanRule: [
          Match.objectLike({
            Lifecycle: { DeleteAfterDays: 7 },
            CopyActions: [{ DestinationBackupVaultArn: `arn:aws:backup:us-west-2:${account}:backup-vault:${prefix}-dr-vault`, Lifecycle: { DeleteAfterDays: 7 } }],
          }),
        ],
      },
    });
  });

  it('replicates every application and database secret to us-west-2 with the DR key', () => {
    // Assess
    const secrets = template.data.findResources('AWS::SecretsManager::Secret');
    const names = Object.values(secrets).map((s) => s.Properties.Name as string).sort();
    expect(names).toEqual(
      ['api-keys', 'db/app', 'db/master', 'django-secret-key', 'oauth-tokens', 'redis-auth'].map((n) => `${prefix}/${n}`).sort(),
    );
    for (const name of names) {
      template.data.hasResourceProperties('AWS::SecretsManager::Secret', { Name: name, ReplicaRegions: [{ Region: 'us-west-2', KmsKeyId: drKeyArn }] });
    }
  });

  it('has the pilot-light VPC 10.1.0.0/16 with the document’s subnet layout in us-west-2a and us-west-2b', () => {
    // Assess
    template.dr.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.1.0.0/16' });
    const subnets = Object.values(template.dr.findResources('AWS::EC2::Subnet')).map((s) => [s.Properties.CidrBlock, s.Properties.AvailabilityZone]);
    expect(subnets.sort()).toEqual(
      [
        ['10.1.1.0/24', 'us-west-2a'],
        ['10.1.2.0/24', 'us-west-2b'],
        ['10.1.10.0/24', 'us-west-2a'],
        ['10.1.11.0/24', 'us-west-2b'],
        ['10.1.20.0/24', 'us-west-2a'],
        ['10.1.21.0/24', 'us-west-2b'],
      ].sort(),
    );
    template.dr.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    template.dr.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL' });
  });

  it('runs nothing by default: no NAT gateway, instance, service or database; the recovery cluster and the backend task definition stand empty', () => {
    // Assess
    for (const type of ['AWS::EC2::NatGateway', 'AWS::EC2::Instance', 'AWS::ECS::Service', 'AWS::RDS::DBInstance']) {
      template.dr.resourceCountIs(type, 0);
    }
    template.dr.hasResourceProperties('AWS::ECS::Cluster', { ClusterName: `${prefix}-dr` });
    template.dr.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: `${prefix}-dr-backend`,
      ContainerDefinitions: [Match.objectLike({ Name: 'backend' })],
    });
  });

  it('has a database subnet group over the two DR database subnets', () => {
    // Assess
    template.dr.hasResourceProperties('AWS::RDS::DBSubnetGroup', {
      DBSubnetGroupName: `${prefix}-dr-database`,
      SubnetIds: [{ Ref: Match.stringLikeRegexp('databaseSubnet1') }, { Ref: Match.stringLikeRegexp('databaseSubnet2') }],
    });
  });

  it('lets the restored database accept 5432 only from the recovered services and the DR ops functions', () => {
    // Prepare
    const database = named(template.dr, 'AWS::EC2::SecurityGroup', 'GroupName', `${prefix}-dr-database`);
    const services = named(template.dr, 'AWS::EC2::SecurityGroup', 'GroupName', `${prefix}-dr-services`);
    const ops = named(template.dr, 'AWS::EC2::SecurityGroup', 'GroupName', `${prefix}-dr-ops-functions`);
    const fileSystem = named(template.dr, 'AWS::EC2::SecurityGroup', 'GroupName', `${prefix}-dr-file-system`);

    // Assess
    expect(ingress(template.dr, database)).toEqual([`5432 from ${ops}`, `5432 from ${services}`].sort());
    expect(ingress(template.dr, services)).toEqual([`8000 from ${ops}`]);
    expect(ingress(template.dr, fileSystem)).toEqual([`2049 from ${services}`]);
  });

  it('has the endpoints a recovered task needs without NAT: ECR, logs, Secrets Manager and the S3 gateway', () => {
    // Assess
    const services = Object.values(template.dr.findResources('AWS::EC2::VPCEndpoint')).map((e) => JSON.stringify(e.Properties.ServiceName));
    for (const name of ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager']) {
      expect(services).toContain(JSON.stringify(`com.amazonaws.us-west-2.${name}`));
    }
    expect(services.some((s) => s.includes('.s3'))).toBe(true);
    expect(services).toHaveLength(5);
    template.dr.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.us-west-2.secretsmanager', PrivateDnsEnabled: true, VpcEndpointType: 'Interface' });
  });

  it('keeps DR reports in a private, KMS-encrypted, versioned bucket in us-west-2', () => {
    // Assess
    template.dr.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: `${prefix}-dr-reports-${account}`,
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DrKey'), 'Arn'] } } }),
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
  });
});
