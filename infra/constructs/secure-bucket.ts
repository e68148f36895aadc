import { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface SecureBucketProps {
  readonly bucketName: string;
  /** KMS key for default encryption. @default S3-managed keys (required where a service cannot use KMS, e.g. ALB logs) */
  readonly encryptionKey?: kms.IKey;
  /** Where server access logs go. @default none: only for the access-log bucket itself */
  readonly serverAccessLogsBucket?: s3.IBucket;
  readonly lifecycleRules?: s3.LifecycleRule[];
  /** @default true */
  readonly versioned?: boolean;
  /** @default kept on delete, removed when the stack's first create fails (RETAIN_ON_UPDATE_OR_DELETE) */
  readonly removalPolicy?: RemovalPolicy;
  /** @default BUCKET_OWNER_ENFORCED (ACLs disabled); log delivery buckets need OBJECT_WRITER */
  readonly objectOwnership?: s3.ObjectOwnership;
  /** Object Lock default retention for every new object version. @default no Object Lock */
  readonly objectLockRetention?: s3.ObjectLockRetention;
}

/** A bucket as every bucket here is: private, TLS-only, encrypted, versioned, access-logged. */
export class SecureBucket extends Construct {
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: props.encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: props.encryptionKey !== undefined,
      versioned: props.versioned ?? true,
      objectOwnership: props.objectOwnership ?? s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsBucket ? `${props.bucketName}/` : undefined,
      lifecycleRules: props.lifecycleRules,
      objectLockEnabled: props.objectLockRetention !== undefined ? true : undefined,
      objectLockDefaultRetention: props.objectLockRetention,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
  }
}
