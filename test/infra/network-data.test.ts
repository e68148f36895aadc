import { Match, Template } from 'aws-cdk-lib/assertions';
import { synthesizeApp } from './support/synth.js';

const app = synthesizeApp();
const environments = [
  ['staging', app.staging],
  ['production', app.production],
] as const;

function ingressRules(template: Template, groupLogicalId: string): { port: number; from: string }[] {
  const rules: { port: number; from: string }[] = [];
  const groups = template.findResources('AWS::EC2::SecurityGroup');
  for (const rule of groups[groupLogicalId]?.Properties?.SecurityGroupIngress ?? []) {
    rules.push({ port: rule.FromPort, from: rule.CidrIp ?? JSON.stringify(rule.SourceSecurityGroupId) });
  }
  for (const resource of Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))) {
    const props = resource.Properties;
    if (JSON.stringify(props.GroupId).includes(groupLogicalId)) {
      rules.push({ port: props.FromPort, from: props.CidrIp ?? JSON.stringify(props.SourceSecurityGroupId) });
    }
  }
  return rules;
}

function logicalId(template: Template, type: string, name: string, property = 'GroupName'): string {
  const found = Object.entries(template.findResources(type)).find(([, r]) => r.Properties?.[property] === name);
  if (!found) throw new Error(`No ${type} named ${name}`);
  return found[0];
}

describe.each(environments)('%s network', (env, stacks) => {
  const template = Template.fromStack(stacks.network);
  const prefix = `financehub-${env}`;

  it('has the VPC 10.0.0.0/16 with the document’s six subnets in us-east-1a and us-east-1b', () => {
    // Assess
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet')).map((s) => [s.Properties.CidrBlock, s.Properties.AvailabilityZone]);
    expect(subnets.sort()).toEqual(
      [
        ['10.0.1.0/24', 'us-east-1a'],
        ['10.0.2.0/24', 'us-east-1b'],
        ['10.0.10.0/24', 'us-east-1a'],
        ['10.0.11.0/24', 'us-east-1b'],
        ['10.0.20.0/24', 'us-east-1a'],
        ['10.0.21.0/24', 'us-east-1b'],
      ].sort(),
    );
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
  });

  it('gives the load balancer 80 and 443 from anywhere and nothing else', () => {
    // Assess
    const rules = ingressRules(template, logicalId(template, 'AWS::EC2::SecurityGroup', `${prefix}-alb`));
    expect(rules).toEqual([
      { port: 80, from: '0.0.0.0/0' },
      { port: 443, from: '0.0.0.0/0' },
    ]);
  });

  it.each([
    ['services', [3000, 8000], ['alb']],
    ['database', [5432, 5432], ['services', 'ops-functions']],
    ['cache', [6379, 6379], ['services', 'ops-functions']],
    ['drill-database', [5432], ['ops-functions']],
    ['file-system', [2049], ['services']],
  ])('lets only the intended groups reach the %s group', (group, ports, sources) => {
    // Prepare
    const sourceIds = sources.map((source) => logicalId(template, 'AWS::EC2::SecurityGroup', `${prefix}-${source}`));

    // Act
    const rules = ingressRules(template, logicalId(template, 'AWS::EC2::SecurityGroup', `${prefix}-${group}`));

    // Assess
    expect(rules.map((rule) => rule.port).sort()).toEqual([...ports].sort());
    for (const rule of rules) {
      expect(rule.from).not.toContain('0.0.0.0/0');
      expect(sourceIds.some((id) => rule.from.includes(id))).toBe(true);
    }
  });

  it('has a network ACL per tier, the database tier open only to the private and database subnets', () => {
    // Assess
    template.resourceCountIs('AWS::EC2::NetworkAcl', 3);
    const databaseAclId = aclIdByName(template, `${prefix}-database`);
    const inbound = Object.values(template.findResources('AWS::EC2::NetworkAclEntry'))
      .map((entry) => entry.Properties)
      .filter((props) => JSON.stringify(props.NetworkAclId).includes(databaseAclId) && props.Egress !== true);
    expect(new Set(inbound.map((props) => props.CidrBlock))).toEqual(new Set(['10.0.10.0/24', '10.0.11.0/24', '10.0.20.0/24', '10.0.21.0/24']));
  });

  it('logs all VPC traffic to an encrypted log group', () => {
    // Assess
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `/vpc/${prefix}/flow-logs`, KmsKeyId: Match.anyValue() });
  });

  it('has the VPC endpoints the ops functions use, Secrets Manager among them', () => {
    // Assess
    const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((e) => JSON.stringify(e.Properties.ServiceName));
    for (const service of ['secretsmanager', 'ssm', 'sns', 'states', 'monitoring', 'logs', 's3', 'dynamodb']) {
      expect(services.some((name) => name.includes(`.${service}`))).toBe(true);
    }
  });
});

// The NACL names are tags; look them up by the Name tag.
function aclIdByName(template: Template, name: string): string {
  const found = Object.entries(template.findResources('AWS::EC2::NetworkAcl')).find(([, r]) =>
    (r.Properties?.Tags ?? []).some((tag: { Key: string; Value: string }) => tag.Key === 'Name' && tag.Value === name),
  );
  if (!found) throw new Error(`No NACL ${name}`);
  return found[0];
}

describe('staging and production networks', () => {
  it('use two NAT gateways in production and one in staging', () => {
    // Assess
    Template.fromStack(app.production.network).resourceCountIs('AWS::EC2::NatGateway', 2);
    Template.fromStack(app.staging.network).resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  it('name their NACLs per environment', () => {
    // Assess
    expect(aclIdByName(Template.fromStack(app.staging.network), 'financehub-staging-database')).toMatch(/DatabaseAcl/);
    expect(aclIdByName(Template.fromStack(app.production.network), 'financehub-production-database')).toMatch(/DatabaseAcl/);
  });
});

describe.each(environments)('%s data', (env, stacks) => {
  const template = Template.fromStack(stacks.data);
  const prefix = `financehub-${env}`;

  it('runs PostgreSQL 15 on db.t3.large, Multi-AZ, 500 GB gp3, KMS-encrypted, 30-day backups, Sunday 03:00 maintenance', () => {
    // Assess
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceIdentifier: `${prefix}-db`,
      Engine: 'postgres',
      EngineVersion: '15',
      DBInstanceClass: 'db.t3.large',
      MultiAZ: true,
      AllocatedStorage: '500',
      StorageType: 'gp3',
      StorageEncrypted: true,
      KmsKeyId: Match.anyValue(),
      BackupRetentionPeriod: 30,
      PreferredMaintenanceWindow: 'sun:03:00-sun:04:00',
      DeletionProtection: env === 'production',
      PubliclyAccessible: false,
    });
  });

  it('has one read replica of the primary with the document’s figures: db.t3.large, 500 GB gp3, PostgreSQL 15 of its source, Sunday 03:00 UTC', () => {
    // Prepare
    const replicas = Object.values(template.findResources('AWS::RDS::DBInstance', { Properties: { SourceDBInstanceIdentifier: Match.anyValue() } }));

    // Assess
    template.resourceCountIs('AWS::RDS::DBInstance', 2);
    expect(replicas).toHaveLength(1);
    const replica = replicas[0]?.Properties;
    expect(replica).toMatchObject({
      DBInstanceIdentifier: `${prefix}-db-replica`,
      DBInstanceClass: 'db.t3.large',
      AllocatedStorage: '500',
      StorageType: 'gp3',
      PreferredMaintenanceWindow: 'sun:03:00-sun:04:00',
      PubliclyAccessible: false,
    });
    // Engine and encryption come from the source: the replica's source is the PostgreSQL 15 primary, whose parameters it shares.
    const sourceId = replica.SourceDBInstanceIdentifier['Fn::Join'][1].find((part: { Ref?: string }) => typeof part === 'object' && part !== null && part.Ref !== undefined && !part.Ref.startsWith('AWS::')).Ref;
    const source = template.findResources('AWS::RDS::DBInstance')[sourceId]?.Properties;
    expect(source).toMatchObject({ DBInstanceIdentifier: `${prefix}-db`, Engine: 'postgres', EngineVersion: '15', StorageEncrypted: true });
    expect(replica.DBParameterGroupName).toEqual(source.DBParameterGroupName);
  });

  it('requires TLS to the database', () => {
    // Assess
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: Match.objectLike({ 'rds.force_ssl': '1' }) });
  });

  it('keeps the master and application credentials in Secrets Manager, the application secret pointing at the master', () => {
    // Assess
    const appSecret = Object.values(template.findResources('AWS::SecretsManager::Secret')).find((r) => r.Properties.Name === `${prefix}/db/app`);
    const secretTemplate = JSON.stringify(appSecret?.Properties.GenerateSecretString.SecretStringTemplate);
    expect(secretTemplate).toContain('\\"username\\":\\"financehub_app\\"');
    expect(secretTemplate).toContain('\\"masterarn\\":\\"');
    expect(secretTemplate).toContain('MasterSecret');
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: `${prefix}/db/master` });
    for (const name of ['api-keys', 'oauth-tokens', 'django-secret-key']) {
      template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: `${prefix}/${name}`, KmsKeyId: Match.anyValue() });
    }
  });

  it('runs Redis 7 on cache.t3.medium, primary and replica, automatic failover, allkeys-lru, encrypted at rest and in transit', () => {
    // Assess
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      ReplicationGroupId: `${prefix}-redis`,
      Engine: 'redis',
      EngineVersion: Match.stringLikeRegexp('^7'),
      CacheNodeType: 'cache.t3.medium',
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
      AtRestEncryptionEnabled: true,
      TransitEncryptionEnabled: true,
    });
    template.hasResourceProperties('AWS::ElastiCache::ParameterGroup', { Properties: { 'maxmemory-policy': 'allkeys-lru' } });
  });

  it('replicates the backups bucket to the DR region and keeps backups one year', () => {
    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: `${prefix}-backups-111111111111`.replace('111111111111', stacks.config.account),
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 365, Status: 'Enabled' })]) },
      ReplicationConfiguration: {
        Role: Match.anyValue(),
        Rules: [
          Match.objectLike({
            Status: 'Enabled',
            Destination: Match.objectLike({
              Bucket: `arn:aws:s3:::${prefix}-backups-replica-${stacks.config.account}`,
              EncryptionConfiguration: { ReplicaKmsKeyID: `arn:aws:kms:us-west-2:${stacks.config.account}:alias/${prefix}-backups-replica` },
            }),
          }),
        ],
      },
    });
  });

  it('scans uploads for malware', () => {
    // Assess
    const uploads = logicalId(template, 'AWS::S3::Bucket', `${prefix}-uploads-${stacks.config.account}`, 'BucketName');
    template.hasResourceProperties('AWS::GuardDuty::MalwareProtectionPlan', {
      ProtectedResource: { S3Bucket: { BucketName: { Ref: uploads } } },
      Actions: { Tagging: { Status: 'ENABLED' } },
    });
  });

  it('blocks public access and denies non-TLS requests on every bucket', () => {
    // Assess
    template.allResourcesProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')).map((p) => JSON.stringify(p.Properties.PolicyDocument));
    expect(policies.length).toBe(Object.keys(template.findResources('AWS::S3::Bucket')).length);
    for (const policy of policies) expect(policy).toContain('"aws:SecureTransport":"false"');
  });

  it('has an encrypted EFS with 1 MiB/s provisioned throughput, backed up daily and kept 7 days', () => {
    // Assess
    template.hasResourceProperties('AWS::EFS::FileSystem', {
      Encrypted: true,
      ThroughputMode: 'provisioned',
      ProvisionedThroughputInMibps: 1,
    });
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: { BackupPlanRule: [Match.objectLike({ ScheduleExpression: 'cron(0 5 * * ? *)', Lifecycle: { DeleteAfterDays: 7 } })] },
    });
  });
});

describe.each(environments)('%s DR region', (env, stacks) => {
  it('keeps the encrypted, versioned backup replica in us-west-2', () => {
    // Prepare
    const template = Template.fromStack(stacks.dr);

    // Assess
    expect(stacks.dr.region).toBe('us-west-2');
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: `financehub-${env}-backups-replica-${stacks.config.account}`,
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/financehub-${env}-backups-replica` });
  });
});
