import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag/acknowledge.js';

export interface OpsTableProps {
  /** Physical name, e.g. `financehub-production-notify-slack`. */
  readonly tableName: string;
  /** @default 'id' */
  readonly partitionKey?: string;
  /** Encrypts the items. */
  readonly encryptionKey: kms.IKey;
  /** How long items live and why that needs no backup plan: the reason of the NIST DynamoDBInBackupPlan acknowledgment. */
  readonly shortLivedBecause: string;
  /** Puts new and changed items on a stream for a function to act on. @default no stream */
  readonly stream?: dynamodb.StreamViewType;
}

/**
 * The small state an ops function keeps between invocations (approvals, flap state, locks, cooldowns): a string
 * key, on-demand capacity, items expiring by their `expiresAt` (epoch seconds), KMS encryption, point-in-time recovery.
 */
export class OpsTable extends dynamodb.Table {
  private readonly itemKey: kms.IKey;

  constructor(scope: Construct, id: string, props: OpsTableProps) {
    super(scope, id, {
      tableName: props.tableName,
      partitionKey: { name: props.partitionKey ?? 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
      stream: props.stream,
    });
    this.itemKey = props.encryptionKey;
    acknowledge(this, props.shortLivedBecause, ['NIST.800.53.R5-DynamoDBInBackupPlan']);
  }

  /** Single-item actions (`dynamodb:GetItem`, ...) and the key only through DynamoDB: narrower than grantReadWriteData. */
  grantItemActions(grantee: iam.IGrantable, ...actions: string[]): void {
    this.grantActions(grantee, actions);
  }

  /** Single-item actions on the items of one partition key only (`dynamodb:LeadingKeys`), e.g. the drill lock. */
  grantKeyActions(grantee: iam.IGrantable, key: string, ...actions: string[]): void {
    this.grantActions(grantee, actions, { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [key] } });
  }

  private grantActions(grantee: iam.IGrantable, actions: string[], conditions?: Record<string, unknown>): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [this.tableArn], conditions }));
    const writes = actions.some((action) => action !== 'dynamodb:GetItem');
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: writes ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt', 'kms:DescribeKey'],
        resources: [this.itemKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }
}
