import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { EnvironmentKey } from '../constructs/environment-key.js';
import { SecureBucket } from '../constructs/secure-bucket.js';
import { acknowledge } from '../nag/acknowledge.js';

export interface DrStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/** The DR region's copy of the backups bucket: the target of cross-region replication. */
export class DrStack extends Stack {
  /** Deterministic names, so the primary region can refer to them without cross-region references. */
  public readonly replicaBucketName: string;
  public readonly replicaKeyAliasArn: string;
  public readonly replicaBucket: s3.IBucket;

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

    acknowledge(accessLogs, 'Access logs of the DR copy are audit data; the DR region is itself the replica.', ['S3BucketReplicationEnabled']);
    acknowledge(accessLogs, 'S3 server access log delivery only supports SSE-S3 on the target bucket.', ['S3DefaultEncryptionKMS']);
    acknowledge(this.replicaBucket, 'This bucket is the cross-region replica; replicating the replica adds no recovery.', ['S3BucketReplicationEnabled']);
  }
}
