import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag/acknowledge.js';
import { ExplicitSubnetCidrs } from './explicit-subnet-cidrs.js';

export interface TieredVpcProps {
  readonly vpcName: string;
  readonly vpcCidr: string;
  readonly availabilityZones: readonly string[];
  /** One CIDR per availability zone for each of the document's three tiers. */
  readonly publicSubnetCidrs: readonly string[];
  readonly privateSubnetCidrs: readonly string[];
  readonly databaseSubnetCidrs: readonly string[];
  /** 0 makes the private tier isolated (no route out but the VPC endpoints). */
  readonly natGateways: number;
  readonly flowLogGroupName: string;
  readonly flowLogRetentionDays: number;
  readonly logsKey: kms.IKey;
  /** Why the public subnets route to the internet gateway (the cdk-nag acknowledgment). */
  readonly publicSubnetsReason: string;
}

/**
 * The document's VPC layout: public, private and database subnets with their explicit CIDRs in each zone, the
 * default security group closed, every flow logged. Created in `scope` as `Vpc` and `FlowLogs`, so the primary
 * network keeps its logical ids.
 */
export function tieredVpc(scope: Construct, props: TieredVpcProps): ec2.Vpc {
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    vpcName: props.vpcName,
    availabilityZones: [...props.availabilityZones],
    ipAddresses: new ExplicitSubnetCidrs({
      vpcCidr: props.vpcCidr,
      availabilityZones: props.availabilityZones,
      subnetCidrs: { public: props.publicSubnetCidrs, private: props.privateSubnetCidrs, database: props.databaseSubnetCidrs },
    }),
    natGateways: props.natGateways,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
      { name: 'private', subnetType: props.natGateways > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      { name: 'database', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
    ],
    restrictDefaultSecurityGroup: true,
  });
  const flowLogGroup = new logs.LogGroup(scope, 'FlowLogs', {
    logGroupName: props.flowLogGroupName,
    retention: props.flowLogRetentionDays as logs.RetentionDays,
    encryptionKey: props.logsKey,
    removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
  });
  vpc.addFlowLog('FlowLog', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup), trafficType: ec2.FlowLogTrafficType.ALL });
  for (const subnet of vpc.publicSubnets) acknowledge(subnet, props.publicSubnetsReason, ['VPCNoUnrestrictedRouteToIGW']);
  return vpc;
}
