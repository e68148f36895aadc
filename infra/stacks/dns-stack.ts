import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { acknowledge } from '../nag/acknowledge.js';

export interface DnsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/**
 * The hosted zone an environment owns, where its records and ACM validations are written. Production imports
 * the apex zone (it exists with the domain) and holds the role staging assumes to write one NS record:
 * the delegation of `staging.<apex>`. Staging creates its own zone and writes that delegation through the role.
 * Nothing is looked up: zone ids, names and accounts come from the deployment context.
 */
export class DnsStack extends Stack {
  public readonly zone: route53.IHostedZone;

  constructor(scope: Construct, id: string, props: DnsStackProps) {
    super(scope, id, props);
    const { config } = props;
    const dns = config.dns;

    if (config.name === 'production') {
      this.zone = route53.HostedZone.fromHostedZoneAttributes(this, 'ApexZone', { hostedZoneId: dns.apexHostedZoneId, zoneName: dns.apexDomain });
      const delegation = new iam.Role(this, 'DelegationRole', {
        roleName: dns.delegationRoleName,
        description: `Lets the staging account ${dns.stagingAccount} write the NS delegation of ${dns.stagingZoneName} in ${dns.apexDomain}, nothing else`,
        assumedBy: new iam.AccountPrincipal(dns.stagingAccount),
        maxSessionDuration: Duration.hours(1),
      });
      this.zone.grantDelegation(delegation, { delegatedZoneNames: [dns.stagingZoneName] });
      acknowledge(delegation, 'route53:ListHostedZonesByName has no resource-level permissions; the record writes are limited to the staging NS record.', [
        'AwsSolutions-IAM5[Resource::*]',
      ]);
      return;
    }

    const zone = new route53.PublicHostedZone(this, 'Zone', {
      zoneName: dns.stagingZoneName,
      comment: `${config.prefix}: delegated from ${dns.apexDomain} in account ${dns.productionAccount}`,
    });
    this.zone = zone;
    const delegationRole = iam.Role.fromRoleArn(
      this,
      'ProductionDelegationRole',
      `arn:${this.partition}:iam::${dns.productionAccount}:role/${dns.delegationRoleName}`,
      { mutable: false },
    );
    new route53.CrossAccountZoneDelegationRecord(this, 'Delegation', {
      delegatedZone: zone,
      parentHostedZoneId: dns.apexHostedZoneId,
      delegationRole,
      ttl: Duration.hours(1),
    });
  }
}
