import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export type NagPack = 'AwsSolutions' | 'NIST.800.53.R5' | 'PCI.DSS.321';

/**
 * Acknowledges cdk-nag findings on a construct (and everything below it), one reason for several rule ids.
 * A rule id without a pack prefix is expanded to the named packs, e.g. `S3BucketReplicationEnabled` to the NIST
 * and PCI rules of that name.
 */
export function acknowledge(scope: IConstruct, reason: string, ruleIds: readonly string[], packs: readonly NagPack[] = ['NIST.800.53.R5', 'PCI.DSS.321']): void {
  const ids = ruleIds.flatMap((id) => (/^(AwsSolutions|NIST\.800\.53\.R5|PCI\.DSS\.321)-/.test(id) ? [id] : packs.map((pack) => `${pack}-${id}`)));
  Validations.of(scope).acknowledge(...ids.map((id) => ({ id, reason })));
}
