import { Duration, RemovalPolicy, Size, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as events from 'aws-cdk-lib/aws-events';
import * as guardduty from 'aws-cdk-lib/aws-guardduty';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { CrossRegionParameter } from '../constructs/cross-region-parameter.js';
import { EnvironmentKey } from '../constructs/environment-key.js';
import { auditBucketName } from '../constructs/audit-trail.js';
import { SecureBucket } from '../constructs/secure-bucket.js';
import { acknowledge } from '../nag/acknowledge.js';
import type { DrStack } from './dr-stack.js';
import type { NetworkStack } from './network-stack.js';

export interface DataStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly network: NetworkStack;
  readonly dr: DrStack;
}

export interface DataBuckets {
  /** User uploads: private, malware-scanned. */
  readonly uploads: s3.IBucket;
  /** Backups and drill reports, replicated to the DR region. */
  readonly backups: s3.IBucket;
}

/** One environment's data: PostgreSQL with its replica, Redis, the buckets, EFS, secrets, backups. */
export class DataStack extends Stack {
  public readonly encryptionKey: kms.IKey;
  public readonly database: rds.DatabaseInstance;
  public readonly readReplica: rds.DatabaseInstanceReadReplica;
  public readonly masterSecret: secretsmanager.ISecret;
  /** The application user's credentials (RDS JSON with `masterarn`), rotated by the ops stack. */
  public readonly applicationSecret: secretsmanager.ISecret;
  /** API keys and OAuth tokens, read by the services. */
  public readonly applicationSecrets: secretsmanager.ISecret[];
  /** The secrets their owners rotate (config.secrets.ownerRotated) by name, each tagged with its `owner`. */
  public readonly ownerRotatedSecrets: Readonly<Record<string, secretsmanager.ISecret>>;
  public readonly cacheReplicationGroup: elasticache.CfnReplicationGroup;
  /** The replication group's name, known at synth (ARNs for least-privilege grants are built from it). */
  public readonly cacheReplicationGroupId: string;
  public readonly cacheAuthSecret: secretsmanager.ISecret;
  /** Django's SECRET_KEY and SECRET_KEY_FALLBACKS as one JSON document, rotated by the ops stack. */
  public readonly djangoKeysSecret: secretsmanager.ISecret;
  public readonly buckets: DataBuckets;
  public readonly accessLogsBucket: s3.IBucket;
  public readonly fileSystem: efs.FileSystem;
  public readonly fileSystemAccessPoint: efs.AccessPoint;
  public readonly backupVault: backup.BackupVault;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config, network } = props;
    this.addStackDependency(props.dr, 'the backups bucket replicates into the DR bucket');
    const production = config.name === 'production';

    this.encryptionKey = new EnvironmentKey(this, 'DataKey', {
      alias: `${config.prefix}-data`,
      description: `${config.prefix}: data at rest (RDS, Redis, S3, EFS, secrets, backups)`,
    }).key;

    // The DR region's key: RDS backup replication needs its ARN, which only the DR region knows (DrStack says why).
    const drKeyArn = new CrossRegionParameter(this, 'DrKeyArn', { region: config.drRegion, parameterName: config.dr.keyArnParameter }).value;
    const drKey = kms.Key.fromKeyArn(this, 'DrKey', drKeyArn);
    // Every secret the application or a recovery needs is replicated to the DR region with the DR key.
    const replicaRegions: secretsmanager.ReplicaRegion[] = [{ region: config.drRegion, encryptionKey: drKey }];

    const databaseSubnets = { subnetGroupName: 'database' };
    const secret = (id: string, name: string, description: string, generate?: secretsmanager.SecretStringGenerator) =>
      new secretsmanager.Secret(this, id, {
        secretName: `${config.prefix}/${name}`,
        description,
        encryptionKey: this.encryptionKey,
        generateSecretString: generate,
        replicaRegions,
      });

    // PostgreSQL: the master user only administers; the application connects as its own, rotated user.
    this.masterSecret = new rds.DatabaseSecret(this, 'MasterSecret', {
      secretName: `${config.prefix}/db/master`,
      username: config.database.masterUsername,
      encryptionKey: this.encryptionKey,
      replicaRegions,
    });
    const parameterGroup = new rds.ParameterGroup(this, 'DatabaseParameters', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_15 }),
      description: `${config.prefix}: TLS required, slow statements logged`,
      parameters: {
        'rds.force_ssl': '1',
        log_min_duration_statement: '1000',
        log_connections: '1',
        log_disconnections: '1',
      },
    });
    const monitoringRole = new iam.Role(this, 'DatabaseMonitoringRole', {
      assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonRDSEnhancedMonitoringRole')],
    });
    const databaseCommon = {
      // The document's storage for every instance, primary and replica: 500 GB SSD gp3.
      allocatedStorage: config.database.allocatedStorageGiB,
      storageType: rds.StorageType.GP3,
      instanceType: new ec2.InstanceType(config.database.instanceType.replace(/^db\./, '')),
      vpc: network.vpc,
      vpcSubnets: databaseSubnets,
      securityGroups: [network.securityGroups.database],
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: this.encryptionKey,
      monitoringInterval: Duration.seconds(60),
      monitoringRole,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      autoMinorVersionUpgrade: true,
      deletionProtection: config.database.deletionProtection,
      parameterGroup,
      preferredMaintenanceWindow: config.database.preferredMaintenanceWindow,
      removalPolicy: production ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
    };
    this.database = new rds.DatabaseInstance(this, 'Database', {
      ...databaseCommon,
      instanceIdentifier: `${config.prefix}-db`,
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_15 }),
      credentials: rds.Credentials.fromSecret(this.masterSecret),
      databaseName: config.database.databaseName,
      port: config.database.port,
      multiAz: config.database.multiAz,
      storageEncrypted: true,
      storageEncryptionKey: this.encryptionKey,
      backupRetention: Duration.days(config.database.backupRetentionDays),
      preferredBackupWindow: config.database.preferredBackupWindow,
      copyTagsToSnapshot: true,
      iamAuthentication: true,
    });
    // Automated backups (snapshots and transaction logs) replicated to the DR region: point-in-time restore there.
    const cfnDatabase = this.database.node.defaultChild as rds.CfnDBInstance;
    cfnDatabase.automaticBackupReplicationRegion = config.drRegion;
    cfnDatabase.automaticBackupReplicationKmsKeyId = drKeyArn;
    cfnDatabase.automaticBackupReplicationRetentionPeriod = config.dr.databaseBackupRetentionDays;
    // RDS exports into these names; creating them first gives them the environment's retention and KMS key.
    for (const instanceId of [`${config.prefix}-db`, `${config.prefix}-db-replica`]) {
      for (const log of ['postgresql', 'upgrade']) {
        new logs.LogGroup(this, `${instanceId}-${log}-logs`, {
          logGroupName: `/aws/rds/instance/${instanceId}/${log}`,
          retention: config.observability.logRetentionDays as logs.RetentionDays,
          encryptionKey: network.logsKey,
          removalPolicy: RemovalPolicy.DESTROY,
        });
      }
    }
    this.readReplica = new rds.DatabaseInstanceReadReplica(this, 'ReadReplica', {
      ...databaseCommon,
      instanceIdentifier: `${config.prefix}-db-replica`,
      sourceDatabaseInstance: this.database,
    });
    const applicationSecret = new rds.DatabaseSecret(this, 'ApplicationSecret', {
      secretName: `${config.prefix}/db/app`,
      username: config.database.applicationUsername,
      dbname: config.database.databaseName,
      masterSecret: this.masterSecret,
      encryptionKey: this.encryptionKey,
      replicaRegions,
    });
    this.applicationSecret = applicationSecret.attach(this.database);
    acknowledge(applicationSecret, 'Rotated every 30 days by the RotationSchedule of the ops stack (alternating users), which cdk-nag cannot see from here.', [
      'AwsSolutions-SMG4',
      'NIST.800.53.R5-SecretsManagerRotationEnabled',
    ]);
    const applicationSecrets = {
      'api-keys': secret('ApiKeys', 'api-keys', 'Third-party API keys of the application (rotated by their owner)'),
      'oauth-tokens': secret('OAuthTokens', 'oauth-tokens', 'OAuth client secrets and tokens of the application (rotated by their owner)'),
    };
    this.applicationSecrets = Object.values(applicationSecrets);
    // The application's owner-rotated secrets; the others are the ops stack's (the Slack app's).
    this.ownerRotatedSecrets = Object.fromEntries(
      config.secrets.ownerRotated.flatMap((owned) => {
        const found = (applicationSecrets as Record<string, secretsmanager.Secret>)[owned.name];
        if (!found) return [];
        // The age audit and the rotation request read who rotates it from this tag.
        Tags.of(found).add('owner', owned.owner);
        return [[owned.name, found]];
      }),
    );
    // The keys document the rotation keeps: { current, fallbacks: [{ key, retiredAt }] } (functions/rotate-django-secret-key).
    this.djangoKeysSecret = secret('DjangoSecretKey', 'django-secret-key', 'Django SECRET_KEY and SECRET_KEY_FALLBACKS', {
      secretStringTemplate: JSON.stringify({ fallbacks: [] }),
      generateStringKey: 'current',
      passwordLength: config.secrets.djangoKey.keyLength,
      excludeCharacters: '"\\\'`',
    });

    // Redis: AUTH and TLS; the token excludes the characters Redis AUTH does not accept.
    this.cacheAuthSecret = secret('CacheAuth', 'redis-auth', 'ElastiCache Redis AUTH token', {
      passwordLength: 64,
      excludePunctuation: true,
    });
    const cacheSubnets = new elasticache.CfnSubnetGroup(this, 'CacheSubnets', {
      cacheSubnetGroupName: `${config.prefix}-redis`,
      description: `${config.prefix}: database subnets`,
      subnetIds: network.vpc.selectSubnets(databaseSubnets).subnetIds,
    });
    const cacheParameters = new elasticache.CfnParameterGroup(this, 'CacheParameters', {
      cacheParameterGroupFamily: 'redis7',
      description: `${config.prefix}: ${config.cache.evictionPolicy} eviction`,
      properties: { 'maxmemory-policy': config.cache.evictionPolicy },
    });
    const cacheSlowLog = new logs.LogGroup(this, 'CacheSlowLog', {
      logGroupName: `/elasticache/${config.prefix}-redis/slow-log`,
      retention: config.observability.logRetentionDays as logs.RetentionDays,
      encryptionKey: network.logsKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.cacheReplicationGroupId = `${config.prefix}-redis`;
    this.cacheReplicationGroup = new elasticache.CfnReplicationGroup(this, 'Cache', {
      replicationGroupId: this.cacheReplicationGroupId,
      replicationGroupDescription: `${config.prefix}: sessions, query cache, rate limiting`,
      engine: 'redis',
      engineVersion: config.cache.engineVersion,
      cacheNodeType: config.cache.nodeType,
      numCacheClusters: 1 + config.cache.replicasPerNodeGroup,
      automaticFailoverEnabled: config.cache.automaticFailover,
      multiAzEnabled: true,
      port: config.cache.port,
      cacheSubnetGroupName: cacheSubnets.ref,
      cacheParameterGroupName: cacheParameters.ref,
      securityGroupIds: [network.securityGroups.cache.securityGroupId],
      atRestEncryptionEnabled: true,
      kmsKeyId: this.encryptionKey.keyArn,
      transitEncryptionEnabled: true,
      authToken: this.cacheAuthSecret.secretValue.unsafeUnwrap(),
      snapshotRetentionLimit: 15,
      snapshotWindow: '02:00-03:00',
      preferredMaintenanceWindow: config.database.preferredMaintenanceWindow.replace(/03:00-sun:04:00/, '04:00-sun:05:00'),
      autoMinorVersionUpgrade: true,
      logDeliveryConfigurations: [
        {
          destinationType: 'cloudwatch-logs',
          logFormat: 'json',
          logType: 'slow-log',
          destinationDetails: { cloudWatchLogsDetails: { logGroup: cacheSlowLog.logGroupName } },
        },
      ],
    });

    this.accessLogsBucket = new SecureBucket(this, 'AccessLogs', {
      bucketName: `${config.prefix}-access-logs-${config.account}`,
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(config.storage.backupRetentionDays) }],
    }).bucket;
    // The ops stack's audit trail logs here too; granted by its deterministic name, which needs no reference back.
    this.accessLogsBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AuditTrailAccessLogs',
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.accessLogsBucket.arnForObjects(`${auditBucketName(config)}/*`)],
        conditions: { ArnLike: { 'aws:SourceArn': `arn:aws:s3:::${auditBucketName(config)}` }, StringEquals: { 'aws:SourceAccount': config.account } },
      }),
    );
    this.buckets = {
      uploads: this.createUploadsBucket(config),
      backups: this.createBackupsBucket(config, props.dr),
    };

    this.fileSystem = new efs.FileSystem(this, 'FileSystem', {
      fileSystemName: `${config.prefix}-shared`,
      vpc: network.vpc,
      vpcSubnets: { subnetGroupName: 'private' },
      securityGroup: network.securityGroups.fileSystem,
      encrypted: true,
      kmsKey: this.encryptionKey,
      performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
      throughputMode: efs.ThroughputMode.PROVISIONED,
      provisionedThroughputPerSecond: Size.mebibytes(config.storage.efsThroughputMiBps),
      enableAutomaticBackups: false,
      allowAnonymousAccess: false,
      removalPolicy: production ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY,
    });
    this.fileSystemAccessPoint = this.fileSystem.addAccessPoint('WorkerAccessPoint', {
      path: '/financehub',
      posixUser: { uid: '1000', gid: '1000' },
      createAcl: { ownerUid: '1000', ownerGid: '1000', permissions: '750' },
    });

    this.backupVault = new backup.BackupVault(this, 'BackupVault', {
      backupVaultName: `${config.prefix}-vault`,
      encryptionKey: this.encryptionKey,
      removalPolicy: production ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY,
    });
    const plan = new backup.BackupPlan(this, 'DailyBackups', {
      backupPlanName: `${config.prefix}-daily`,
      backupVault: this.backupVault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'daily-7-days',
          scheduleExpression: events.Schedule.cron({ minute: '0', hour: '5' }),
          deleteAfter: Duration.days(config.storage.efsBackupRetentionDays),
          copyActions: [
            {
              destinationBackupVault: backup.BackupVault.fromBackupVaultArn(this, 'DrVault', props.dr.vaultArn),
              deleteAfter: Duration.days(config.dr.efsCopyRetentionDays),
            },
          ],
        }),
      ],
    });
    plan.addSelection('SharedFileSystem', { resources: [backup.BackupResource.fromEfsFileSystem(this.fileSystem)] });

    this.acknowledgeDataFindings(config, monitoringRole, plan);
  }

  private createUploadsBucket(config: EnvironmentConfig): s3.Bucket {
    const bucketName = `${config.prefix}-uploads-${config.account}`;
    const bucketArn = `arn:aws:s3:::${bucketName}`;
    const bucket = new SecureBucket(this, 'Uploads', {
      bucketName,
      encryptionKey: this.encryptionKey,
      serverAccessLogsBucket: this.accessLogsBucket,
      lifecycleRules: [{ id: 'expire-replaced-versions', noncurrentVersionExpiration: Duration.days(30) }],
    }).bucket;
    bucket.addCorsRule({
      allowedMethods: [s3.HttpMethods.POST, s3.HttpMethods.PUT],
      allowedOrigins: [`https://${config.edge.domainName}`, `https://*.${config.edge.domainName}`],
      allowedHeaders: ['*'],
      maxAge: 3000,
    });

    // GuardDuty Malware Protection for S3 scans every new object and tags it with the verdict.
    const scanRole = new iam.Role(this, 'MalwareScanRole', {
      assumedBy: new iam.ServicePrincipal('malware-protection-plan.guardduty.amazonaws.com'),
      description: 'GuardDuty Malware Protection: reads and tags uploads, manages its EventBridge rule',
    });
    scanRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['events:PutRule', 'events:DeleteRule', 'events:PutTargets', 'events:RemoveTargets', 'events:DescribeRule', 'events:ListTargetsByRule'],
        resources: [`arn:aws:events:${this.region}:${this.account}:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*`],
      }),
    );
    scanRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutBucketNotification', 's3:GetBucketNotification', 's3:GetBucketLocation', 's3:ListBucket'],
        resources: [bucketArn],
      }),
    );
    scanRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObjectTagging', 's3:GetObjectTagging', 's3:PutObjectVersionTagging', 's3:GetObjectVersionTagging'],
        resources: [`${bucketArn}/*`],
      }),
    );
    scanRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [`${bucketArn}/malware-protection-resource-validation-object`] }),
    );
    scanRole.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [this.encryptionKey.keyArn] }));
    new guardduty.CfnMalwareProtectionPlan(this, 'UploadsMalwareScan', {
      role: scanRole.roleArn,
      protectedResource: { s3Bucket: { bucketName: bucket.bucketName } },
      actions: { tagging: { status: 'ENABLED' } },
    });
    acknowledge(
      scanRole,
      'GuardDuty names the EventBridge rule it manages with this fixed prefix and a generated suffix.',
      [`AwsSolutions-IAM5[Resource::arn:aws:events:${this.region}:${this.account}:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*]`],
    );
    acknowledge(scanRole, 'Malware scanning reads and tags every object of the uploads bucket.', [`AwsSolutions-IAM5[Resource::${bucketArn}/*]`]);
    acknowledge(
      bucket,
      'Uploads are not replicated across regions before they are scanned; the application exports what it keeps into the backups bucket, which is replicated.',
      ['S3BucketReplicationEnabled'],
    );
    return bucket;
  }

  private createBackupsBucket(config: EnvironmentConfig, dr: DrStack): s3.Bucket {
    const bucketName = `${config.prefix}-backups-${config.account}`;
    const bucketArn = `arn:aws:s3:::${bucketName}`;
    const bucket = new SecureBucket(this, 'Backups', {
      bucketName,
      encryptionKey: this.encryptionKey,
      serverAccessLogsBucket: this.accessLogsBucket,
      lifecycleRules: [
        {
          id: 'one-year-retention',
          expiration: Duration.days(config.storage.backupRetentionDays),
          noncurrentVersionExpiration: Duration.days(config.storage.backupRetentionDays),
        },
      ],
    }).bucket;

    const replicaBucketArn = `arn:aws:s3:::${dr.replicaBucketName}`;
    const replication = new iam.Role(this, 'BackupsReplicationRole', {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
      description: `Replicates ${config.prefix} backups to ${config.drRegion}`,
    });
    replication.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'], resources: [bucketArn] }),
    );
    replication.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
        resources: [`${bucketArn}/*`],
      }),
    );
    replication.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
        resources: [`${replicaBucketArn}/*`],
      }),
    );
    replication.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.encryptionKey.keyArn] }));
    // The replica key is named by alias: IAM matches it with kms:ResourceAliases, since its key id is unknown here.
    replication.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [`arn:aws:kms:${config.drRegion}:${config.account}:key/*`],
        conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': `alias/${config.prefix}-backups-replica` } },
      }),
    );
    (bucket.node.defaultChild as s3.CfnBucket).replicationConfiguration = {
      role: replication.roleArn,
      rules: [
        {
          id: 'backups-to-dr-region',
          status: 'Enabled',
          priority: 1,
          filter: { prefix: '' },
          deleteMarkerReplication: { status: 'Enabled' },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
          destination: {
            bucket: replicaBucketArn,
            encryptionConfiguration: { replicaKmsKeyId: dr.replicaKeyAliasArn },
            storageClass: 'STANDARD_IA',
          },
        },
      ],
    };
    acknowledge(replication, 'Replication reads every object version of the backups bucket and writes it into the DR replica.', [
      `AwsSolutions-IAM5[Resource::${bucketArn}/*]`,
      `AwsSolutions-IAM5[Resource::${replicaBucketArn}/*]`,
    ]);
    acknowledge(replication, 'Limited by the kms:ResourceAliases condition to the DR replica key, whose id is only known in the DR region.', [
      `AwsSolutions-IAM5[Resource::arn:aws:kms:${config.drRegion}:${config.account}:key/*]`,
    ]);
    return bucket;
  }

  private acknowledgeDataFindings(config: EnvironmentConfig, monitoringRole: iam.IRole, plan: backup.BackupPlan): void {
    acknowledge(this.accessLogsBucket, 'Access logs are audit data kept one year in-region; they are not part of the recovery set.', ['S3BucketReplicationEnabled']);
    acknowledge(this.accessLogsBucket, 'S3 server access log delivery only supports SSE-S3 on the target bucket.', ['S3DefaultEncryptionKMS']);
    const portReason = `The architecture document fixes PostgreSQL on ${config.database.port}; reach is limited by the database security group.`;
    acknowledge(this.database, portReason, ['AwsSolutions-RDS11']);
    acknowledge(this.readReplica, portReason, ['AwsSolutions-RDS11']);
    acknowledge(this.readReplica, 'A read replica is single-AZ by design; the primary is Multi-AZ and the replica is re-created from it.', [
      'AwsSolutions-RDS3',
      'NIST.800.53.R5-RDSMultiAZSupport',
    ]);
    acknowledge(this.readReplica, 'PostgreSQL read replicas cannot keep automated backups; the primary\'s 30-day backups are the recovery source.', [
      'NIST.800.53.R5-RDSInBackupPlan',
    ]);
    acknowledge(this.readReplica, 'A read replica is encrypted with its source instance\'s KMS key; CloudFormation rejects StorageEncrypted on a replica.', [
      'AwsSolutions-RDS2',
      'RDSStorageEncrypted',
    ]);
    acknowledge(this.database, 'RDS automated backups (30 days, point-in-time) are the recovery source, verified daily and restored monthly by the drills.', [
      'NIST.800.53.R5-RDSInBackupPlan',
    ]);
    if (!config.database.deletionProtection) {
      for (const instance of [this.database, this.readReplica]) {
        acknowledge(instance, 'Staging is disposable by design (config.database.deletionProtection); production has deletion protection.', [
          'AwsSolutions-RDS10',
          'NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled',
        ]);
      }
    }
    acknowledge(monitoringRole, 'AmazonRDSEnhancedMonitoringRole is the documented policy for the RDS enhanced monitoring role.', [
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
    ]);
    acknowledge(plan, 'AWSBackupServiceRolePolicyForBackup is the documented policy of the AWS Backup selection role.', [
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
    ]);
    acknowledge(this.cacheReplicationGroup, `The architecture document fixes Redis on ${config.cache.port}; reach is limited by the cache security group, AUTH and TLS.`, [
      'AwsSolutions-AEC5',
    ]);
    acknowledge(this.cacheAuthSecret, 'Rotated every 30 days (ElastiCache ROTATE, restart, SET) by the RotationSchedule of the ops stack, which cdk-nag cannot see from here.', [
      'AwsSolutions-SMG4',
      'NIST.800.53.R5-SecretsManagerRotationEnabled',
    ]);
    acknowledge(this.djangoKeysSecret, 'Rotated every 30 days (new key current, previous ones in SECRET_KEY_FALLBACKS) by the RotationSchedule of the ops stack, which cdk-nag cannot see from here.', [
      'AwsSolutions-SMG4',
      'NIST.800.53.R5-SecretsManagerRotationEnabled',
    ]);
    for (const appSecret of this.applicationSecrets) {
      const rotated = Object.values(this.ownerRotatedSecrets).includes(appSecret);
      acknowledge(
        appSecret,
        rotated
          ? 'Rotated every 30 days with its owner in the loop (rotate-owner-secret) by the RotationSchedule of the ops stack, which cdk-nag cannot see from here.'
          : 'Third-party credentials rotated at their issuer by hand; the daily secret-age audit reports any older than 30 days.',
        ['AwsSolutions-SMG4', 'NIST.800.53.R5-SecretsManagerRotationEnabled'],
      );
    }
    acknowledge(this.masterSecret, 'Rotated every 30 days (single user) by the RotationSchedule of the ops stack, which cdk-nag cannot see from here.', [
      'AwsSolutions-SMG4',
      'NIST.800.53.R5-SecretsManagerRotationEnabled',
    ]);
  }
}
