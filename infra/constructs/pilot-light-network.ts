import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { tieredVpc } from './tiered-vpc.js';

export interface PilotLightNetworkProps {
  readonly config: EnvironmentConfig;
  /** Encrypts the flow-log group. */
  readonly logsKey: kms.IKey;
}

export interface PilotLightSecurityGroups {
  /** A recovered service task: its container port from the DR ops functions (and a load balancer in a real failover). */
  readonly services: ec2.ISecurityGroup;
  /** The restored database: PostgreSQL from the recovered services and the DR ops functions only. */
  readonly database: ec2.ISecurityGroup;
  /** Mount targets of a restored file system: NFS from the recovered services only. */
  readonly fileSystem: ec2.ISecurityGroup;
  /** DR ops functions in the VPC: HTTPS to the endpoints, SQL to the restored database, HTTP to the recovered service. */
  readonly opsFunctions: ec2.ISecurityGroup;
}

const HTTPS = ec2.Port.tcp(443);

/**
 * The DR region's pilot light: the document's three subnet tiers on their own address range, security groups,
 * a database subnet group and the endpoints a recovered task needs. No NAT gateway and no compute: the annual
 * simulation (and a real failover) starts what it needs and removes it again.
 */
export class PilotLightNetwork extends Construct {
  public readonly vpc: ec2.Vpc;
  public readonly securityGroups: PilotLightSecurityGroups;
  public readonly databaseSubnetGroup: rds.SubnetGroup;

  constructor(scope: Construct, id: string, props: PilotLightNetworkProps) {
    super(scope, id);
    const { config } = props;
    const net = config.dr.network;

    // Isolated while pilot light (no NAT): a real failover adds NAT gateways (docs/runbooks/region-failover.md).
    this.vpc = tieredVpc(this, {
      vpcName: `${config.prefix}-dr`,
      ...net,
      natGateways: 0,
      flowLogGroupName: `/vpc/${config.prefix}-dr/flow-logs`,
      flowLogRetentionDays: config.network.flowLogRetentionDays,
      logsKey: props.logsKey,
      publicSubnetsReason: 'Public DR subnets are empty until a real failover puts the internet-facing load balancer there, which needs the route to the internet gateway.',
    });

    this.securityGroups = this.createSecurityGroups(config);
    this.databaseSubnetGroup = new rds.SubnetGroup(this, 'DatabaseSubnets', {
      subnetGroupName: `${config.prefix}-dr-database`,
      description: `${config.prefix}: database subnets of the DR region`,
      vpc: this.vpc,
      vpcSubnets: { subnetGroupName: 'database' },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.createEndpoints(config);
  }

  private createSecurityGroups(config: EnvironmentConfig): PilotLightSecurityGroups {
    const group = (id: string, name: string, description: string) =>
      new ec2.SecurityGroup(this, id, { vpc: this.vpc, securityGroupName: `${config.prefix}-dr-${name}`, description, allowAllOutbound: false });
    const services = group('Services', 'services', 'Recovered services: the backend port from the DR ops functions only');
    const database = group('Database', 'database', 'Restored RDS PostgreSQL: 5432 from recovered services and DR ops functions only');
    const fileSystem = group('FileSystem', 'file-system', 'Restored EFS mount targets: NFS from recovered services only');
    const opsFunctions = group('OpsFunctions', 'ops-functions', 'DR ops functions: HTTPS to endpoints, SQL and health probes inside the VPC');

    const backendPort = ec2.Port.tcp(config.services.backend.containerPort ?? 8000);
    const dbPort = ec2.Port.tcp(config.database.port);
    const nfs = ec2.Port.tcp(2049);
    const vpcCidr = ec2.Peer.ipv4(config.dr.network.vpcCidr);

    services.addEgressRule(vpcCidr, HTTPS, 'ECR, logs and secrets through the VPC endpoints');
    // The S3 gateway endpoint carries image layers; its prefix list is region-specific, so HTTPS anywhere with no NAT.
    services.addEgressRule(ec2.Peer.anyIpv4(), HTTPS, 'image layers through the S3 gateway endpoint (no NAT: nothing else is routable)');
    services.addEgressRule(database, dbPort, 'PostgreSQL');
    services.addEgressRule(fileSystem, nfs, 'EFS');
    services.addIngressRule(opsFunctions, backendPort, 'health probes from the DR ops functions');
    database.addIngressRule(services, dbPort, 'from the recovered services');
    database.addIngressRule(opsFunctions, dbPort, 'verification SQL from the DR ops functions');
    fileSystem.addIngressRule(services, nfs, 'from the recovered services');
    opsFunctions.addEgressRule(vpcCidr, HTTPS, 'secrets through the VPC endpoint');
    opsFunctions.addEgressRule(database, dbPort, 'verification SQL');
    opsFunctions.addEgressRule(services, backendPort, 'health probes');
    return { services, database, fileSystem, opsFunctions };
  }

  private createEndpoints(config: EnvironmentConfig): void {
    const endpoints = new ec2.SecurityGroup(this, 'Endpoints', {
      vpc: this.vpc,
      securityGroupName: `${config.prefix}-dr-endpoints`,
      description: 'DR interface endpoints: HTTPS from the recovered services and the DR ops functions',
      allowAllOutbound: false,
    });
    endpoints.addIngressRule(this.securityGroups.services, HTTPS, 'from the recovered services');
    endpoints.addIngressRule(this.securityGroups.opsFunctions, HTTPS, 'from the DR ops functions');
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    for (const name of config.dr.network.interfaceEndpoints) {
      this.vpc.addInterfaceEndpoint(`${name.replace(/\./g, '')}Endpoint`, {
        service: new ec2.InterfaceVpcEndpointAwsService(name),
        subnets: { subnetGroupName: 'private' },
        securityGroups: [endpoints],
        privateDnsEnabled: true,
        open: false,
      });
    }
  }
}
