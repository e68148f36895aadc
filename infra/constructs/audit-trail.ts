import { Annotations, type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { acknowledge } from '../nag/acknowledge.js';
import { WORKFLOWS } from '../../contracts/workflows.js';
import { stateMachineName } from '../../functions/lib/workflows.js';
import { OpsFunction } from './ops-function.js';
import { SecureBucket } from './secure-bucket.js';

export interface AuditTrailProps {
  readonly config: EnvironmentConfig;
  /** Encrypts the entries. */
  readonly encryptionKey: kms.IKey;
  /** Name of the bucket its own server access logs go to (the data stack's, which grants this bucket by name). */
  readonly accessLogsBucketName: string;
  /** Where the function recording every workflow start and result runs. */
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Encrypts that function's log group and dead-letter queue. */
  readonly logsKey: kms.IKey;
}

/** The audit bucket's name, deterministic so the access-log bucket can grant it without a reference back. */
export function auditBucketName(config: EnvironmentConfig): string {
  return `${config.prefix}-audit-${config.account}`;
}

/** Actions that would remove, hide or shorten an entry: refused to every principal by the bucket policy. */
export const AUDIT_TAMPER_ACTIONS = ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectRetention', 's3:PutObjectLegalHold', 's3:BypassGovernanceRetention'] as const;

/** Bucket settings that govern future entries: only a CloudFormation deployment (the reviewed config) may change them. */
export const AUDIT_SETTINGS_ACTIONS = ['s3:PutBucketObjectLockConfiguration', 's3:PutLifecycleConfiguration', 's3:PutBucketVersioning'] as const;

/**
 * The audit trail of one environment: JSON lines of every command, approval, denial, refusal, workflow start and
 * result, in a bucket with Object Lock in compliance mode (nobody, root included, can delete or shorten an entry
 * before its retention ends), a policy that refuses deletes, retention changes and overwrites to every principal,
 * and writers that may only add new objects under `audit/`.
 */
export class AuditTrail extends Construct {
  public readonly bucket: s3.Bucket;
  private readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    const { config } = props;
    this.encryptionKey = props.encryptionKey;
    this.bucket = new SecureBucket(this, 'Entries', {
      bucketName: auditBucketName(config),
      encryptionKey: props.encryptionKey,
      serverAccessLogsBucket: s3.Bucket.fromBucketName(this, 'AccessLogs', props.accessLogsBucketName),
      objectLockRetention: s3.ObjectLockRetention.compliance(Duration.days(config.audit.retentionDays)),
      // Once retention has passed, old versions may go; a lifecycle rule cannot touch a locked version before that.
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(config.audit.retentionDays + 1), expiration: Duration.days(config.audit.retentionDays + 1) }],
    }).bucket;
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'NoOneChangesTheTrail',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...AUDIT_TAMPER_ACTIONS],
        resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EntriesAreNeverOverwritten',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { Null: { 's3:if-none-match': 'true' } },
      }),
    );
    const { account, region } = Stack.of(this);
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyDeploymentsChangeTheSettings',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...AUDIT_SETTINGS_ACTIONS],
        resources: [this.bucket.bucketArn],
        conditions: { ArnNotLike: { 'aws:PrincipalArn': `arn:aws:iam::${account}:role/cdk-*-cfn-exec-role-${account}-${region}` } },
      }),
    );
    Annotations.of(this.bucket).acknowledgeWarning(
      '@aws-cdk/aws-s3:accessLogsPolicyNotAdded',
      'The data stack\'s access-log bucket grants log delivery for this bucket by its deterministic name (infra/stacks/data-stack.ts).',
    );
    this.recordExecutions(props);
    acknowledge(this.bucket, 'The audit trail stays in its region under Object Lock; replication would copy it to a bucket with other rules.', ['S3BucketReplicationEnabled']);
  }

  /** Every start and end of every ops workflow of the environment, as EventBridge reports it, becomes an entry. */
  private recordExecutions(props: AuditTrailProps): void {
    const { config } = props;
    const { account, region } = Stack.of(this);
    const recorder = new OpsFunction(this, 'Executions', {
      config,
      functionName: 'audit-executions',
      description: 'Writes every ops workflow start and result to the audit trail',
      vpc: props.vpc,
      securityGroups: [props.securityGroup],
      encryptionKey: props.logsKey,
      environment: { AUDIT_BUCKET: this.bucket.bucketName },
    });
    this.grantAppend(recorder);
    new events.Rule(this, 'ExecutionChanges', {
      ruleName: `${config.prefix}-audit-executions`,
      description: 'Start and outcome of every ops workflow execution, for the audit trail',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: WORKFLOWS.map((workflow) => `arn:aws:states:${region}:${account}:stateMachine:${stateMachineName(config.prefix, workflow)}`),
        },
      },
      targets: [new targets.LambdaFunction(recorder, { retryAttempts: 8, maxEventAge: Duration.hours(6) })],
    });
  }

  /** Lets a writer add new entries (never read, overwrite or delete them). */
  grantAppend(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('audit/*')] }));
    this.encryptionKey.grant(grantee, 'kms:GenerateDataKey');
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      const bucketId = Stack.of(this.bucket).getLogicalId(this.bucket.node.defaultChild as CfnElement);
      acknowledge(grantee.grantPrincipal, 'Every entry is a new object with a generated name under audit/; the writer may add, never read, replace or delete.', [
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/audit/*]`,
      ]);
    }
  }

  /** Lets a reader (`fhops audit`) list and read entries. */
  grantRead(grantee: iam.IGrantable): void {
    this.bucket.grantRead(grantee, 'audit/*');
  }
}
