import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/**
 * A secret of another stack, referenced by ARN. Granting on the original secret would put the reader's role into
 * the owning stack's key policy (a dependency cycle); a reader gets `kms:Decrypt` through
 * `grantSecretsKeyDecrypt` instead, limited to calls made by Secrets Manager.
 */
export function shareSecret(scope: Construct, id: string, secret: secretsmanager.ISecret): secretsmanager.ISecret {
  return secretsmanager.Secret.fromSecretCompleteArn(scope, id, secret.secretArn);
}

export function grantSecretsKeyDecrypt(grantee: iam.IGrantable, key: kms.IKey): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(key).region}.amazonaws.com` } },
    }),
  );
}
