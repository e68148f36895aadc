import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface EnvironmentKeyProps {
  /** Alias without the `alias/` prefix, e.g. `financehub-production-logs`. */
  readonly alias: string;
  readonly description: string;
  /** AWS service principals (e.g. `logs`, `sns`, `events`) that encrypt with this key on the account's behalf. */
  readonly servicePrincipals?: readonly string[];
  /**
   * @default kept on delete, since data encrypted with a deleted key is lost; removed when the stack's first create
   * fails, when nothing was encrypted with it yet (RETAIN_ON_UPDATE_OR_DELETE).
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** A customer managed KMS key with yearly rotation, usable by the named AWS services of this account and region. */
export class EnvironmentKey extends Construct {
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: EnvironmentKeyProps) {
    super(scope, id);
    const { account, region } = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      alias: props.alias,
      description: props.description,
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    for (const service of props.servicePrincipals ?? []) {
      const principal = service === 'logs' ? `logs.${region}.amazonaws.com` : `${service}.amazonaws.com`;
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `Allow${service.replace(/[^A-Za-z0-9]/g, '')}`,
          principals: [new iam.ServicePrincipal(principal)],
          actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
          resources: ['*'],
          conditions:
            service === 'logs'
              ? { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${region}:${account}:log-group:*` } }
              : { StringEquals: { 'aws:SourceAccount': account } },
        }),
      );
    }
  }
}
