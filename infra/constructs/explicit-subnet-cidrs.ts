import type * as ec2 from 'aws-cdk-lib/aws-ec2';

export interface ExplicitSubnetCidrsProps {
  readonly vpcCidr: string;
  /** Availability zones in the order the CIDR lists follow. */
  readonly availabilityZones: readonly string[];
  /** Subnet group name -> one CIDR per availability zone. */
  readonly subnetCidrs: Readonly<Record<string, readonly string[]>>;
}

/**
 * Gives each subnet the CIDR the architecture document names (the default allocator packs subnets in order,
 * which would put the private tier at 10.0.2.0/24 instead of 10.0.10.0/24).
 */
export class ExplicitSubnetCidrs implements ec2.IIpAddresses {
  constructor(private readonly props: ExplicitSubnetCidrsProps) {}

  allocateVpcCidr(): ec2.VpcIpamOptions {
    return { cidrBlock: this.props.vpcCidr };
  }

  allocateSubnetsCidr(input: ec2.AllocateCidrRequest): ec2.SubnetIpamOptions {
    return {
      allocatedSubnets: input.requestedSubnets.map((subnet) => {
        const cidrs = this.props.subnetCidrs[subnet.configuration.name];
        const cidr = cidrs?.[this.props.availabilityZones.indexOf(subnet.availabilityZone)];
        if (!cidr) {
          throw new Error(`No CIDR configured for subnet group ${subnet.configuration.name} in ${subnet.availabilityZone}`);
        }
        return { cidr };
      }),
    };
  }
}
