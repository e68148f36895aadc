import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { DrRecoveryCompute } from '../constructs/dr-recovery-compute.js';
import { EnvironmentKey } from '../constructs/environment-key.js';
import { PilotLightNetwork } from '../constructs/pilot-light-network.js';
import { SecureBucket } from '../constructs/secure-bucket.js';
import { acknowledge } from '../nag/acknowledge.js';

export interface DrStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** The tag the primary services run: the recovered backend's task definition names it in the replicated registry. */
  readonly imageTag: string;
}

/**
 * What recovery needs in the DR region: the backups bucket's replica, a key for the replicated database backups,
 * EFS copies and secrets, the vault the EFS copies land in, the pilot-light network, the recovery compute (cluster,
 * backend task definition, restore role, DR agent; nothing running) and the DR reports bucket.
 *
 * The primary region refers to this stack by deterministic names and ARNs (bucket, vault, key alias) or, where AWS
 * needs a key ARN whose id is random (RDS backup replication), through the SSM parameter `config.dr.keyArnParameter`.
 * CDK's `crossRegionReferences` would do the same with a lock that blocks replacing an exported value; reading one
 * named parameter keeps the stacks independently deployable.
 */
export class DrStack extends Stack {
  public readonly replicaBucketName: string;
  public readonly replicaKeyAliasArn: string;
  public readonly replicaBucket: s3.IBucket;
  /** Encrypts replicated database backups, EFS copies, secret replicas, DR logs and reports. */
  public readonly drKey: kms.IKey;
  public readonly drKeyAlias: string;
  public readonly vault: backup.BackupVault;
  public readonly vaultArn: string;
  public readonly network: PilotLightNetwork;
  public readonly reportsBucket: s3.IBucket;
  public readonly recovery: DrRecoveryCompute;

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id, props);
    const { config } = props;
    const alias = `${config.prefix}-backups-replica`;
    this.replicaBucketName = `${config.prefix}-backups-replica-${config.account}`;
    this.replicaKeyAliasArn = `arn:aws:kms:${config.drRegion}:${config.account}:alias/${alias}`;

    const key = new EnvironmentKey(this, 'ReplicaKey', {
      alias,
      description: `${config.prefix}: backups replicated from ${config.region}`,
    }).key;
    const accessLogs = new SecureBucket(this, 'AccessLogs', {
      bucketName: `${config.prefix}-dr-access-logs-${config.account}`,
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(config.storage.backupRetentionDays) }],
    }).bucket;
    this.replicaBucket = new SecureBucket(this, 'Replica', {
      bucketName: this.replicaBucketName,
      encryptionKey: key,
      serverAccessLogsBucket: accessLogs,
      lifecycleRules: [
        {
          expiration: Duration.days(config.storage.backupRetentionDays),
          noncurrentVersionExpiration: Duration.days(config.storage.backupRetentionDays),
        },
      ],
    }).bucket;


    this.drKeyAlias = `${config.prefix}-dr`;
    this.drKey = new EnvironmentKey(this, 'DrKey', {
      alias: this.drKeyAlias,
      description: `${config.prefix}: replicated database backups, EFS copies, secret replicas, DR logs and reports in ${config.drRegion}`,
      servicePrincipals: ['logs'],
    }).key;
    new ssm.StringParameter(this, 'DrKeyArn', {
      parameterName: config.dr.keyArnParameter,
      description: `${config.prefix}: ARN of the DR key, read by the primary region (RDS backup replication needs the key ARN)`,
      stringValue: this.drKey.keyArn,
    });

    const vaultName = `${config.prefix}-dr-vault`;
    this.vaultArn = `arn:aws:backup:${config.drRegion}:${config.account}:backup-vault:${vaultName}`;
    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: vaultName,
      encryptionKey: this.drKey,
      removalPolicy: config.name === 'production' ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY,
    });

    this.network = new PilotLightNetwork(this, 'PilotLight', { config, logsKey: this.drKey });
    this.recovery = new DrRecoveryCompute(this, 'Recovery', { config, network: this.network, drKey: this.drKey, imageTag: props.imageTag });

    this.reportsBucket = new SecureBucket(this, 'Reports', {
      bucketName: `${config.prefix}-dr-reports-${config.account}`,
      encryptionKey: this.drKey,
      serverAccessLogsBucket: accessLogs,
      lifecycleRules: [{ expiration: Duration.days(config.storage.backupRetentionDays), noncurrentVersionExpiration: Duration.days(30) }],
    }).bucket;

    acknowledge(accessLogs, 'Access logs of the DR copy are audit data; the DR region is itself the replica.', ['S3BucketReplicationEnabled']);
    acknowledge(accessLogs, 'S3 server access log delivery only supports SSE-S3 on the target bucket.', ['S3DefaultEncryptionKMS']);
    acknowledge(this.replicaBucket, 'This bucket is the cross-region replica; replicating the replica adds no recovery.', ['S3BucketReplicationEnabled']);
    acknowledge(this.reportsBucket, 'DR simulation reports are evidence written in the DR region, the region that must survive; the primary keeps its own drill reports.', [
      'S3BucketReplicationEnabled',
    ]);
  }
}
