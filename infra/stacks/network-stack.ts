import { Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { EnvironmentKey } from '../constructs/environment-key.js';
import { tieredVpc } from '../constructs/tiered-vpc.js';
import { acknowledge } from '../nag/acknowledge.js';

export interface NetworkStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

export interface NetworkSecurityGroups {
  /** The internet-facing load balancer: 80 and 443 from anywhere. */
  readonly alb: ec2.ISecurityGroup;
  /** The Fargate services: their container ports from the load balancer only. */
  readonly services: ec2.ISecurityGroup;
  /** PostgreSQL: 5432 from the services and the ops functions only. */
  readonly database: ec2.ISecurityGroup;
  /** Redis: 6379 from the services and the ops functions only. */
  readonly cache: ec2.ISecurityGroup;
  /** EFS mount targets: NFS from the services only. */
  readonly fileSystem: ec2.ISecurityGroup;
  /** Ops Lambdas in the VPC: HTTPS out, and the database and cache ports to those groups. */
  readonly opsFunctions: ec2.ISecurityGroup;
  /** Temporary restore-drill instances: 5432 from the ops functions only. */
  readonly drillDatabase: ec2.ISecurityGroup;
}

const HTTPS = ec2.Port.tcp(443);

/** One environment's VPC: the document's subnets, security groups, NACLs, flow logs and endpoints. */
export class NetworkStack extends Stack {
  public readonly vpc: ec2.Vpc;
  public readonly securityGroups: NetworkSecurityGroups;
  /** Encrypts every log group, queue and topic of the environment (CloudWatch Logs may use it). */
  public readonly logsKey: kms.IKey;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { config } = props;
    const net = config.network;

    this.logsKey = new EnvironmentKey(this, 'LogsKey', {
      alias: `${config.prefix}-logs`,
      description: `${config.prefix}: log groups, queues and notification topics`,
      servicePrincipals: ['logs', 'sns', 'events', 'cloudwatch', 'sqs', 'states', 'events.rds', 'delivery.logs'],
    }).key;

    this.vpc = tieredVpc(this, {
      vpcName: config.prefix,
      ...net,
      flowLogGroupName: `/vpc/${config.prefix}/flow-logs`,
      logsKey: this.logsKey,
      publicSubnetsReason: 'Public subnets hold only the internet-facing load balancer and the NAT gateways, which need the route to the internet gateway.',
    });
    this.securityGroups = this.createSecurityGroups(config);
    this.createNetworkAcls(config);
    this.createEndpoints(config);
  }

  private createSecurityGroups(config: EnvironmentConfig): NetworkSecurityGroups {
    const group = (id: string, name: string, description: string) =>
      new ec2.SecurityGroup(this, id, { vpc: this.vpc, securityGroupName: `${config.prefix}-${name}`, description, allowAllOutbound: false });
    const alb = group('Alb', 'alb', 'Internet-facing load balancer: 80 and 443 from anywhere');
    const services = group('Services', 'services', 'Fargate services: container ports from the load balancer only');
    const database = group('Database', 'database', 'RDS PostgreSQL: 5432 from services and ops functions only');
    const cache = group('Cache', 'cache', 'ElastiCache Redis: 6379 from services and ops functions only');
    const fileSystem = group('FileSystem', 'file-system', 'EFS mount targets: NFS from services only');
    const opsFunctions = group('OpsFunctions', 'ops-functions', 'Ops Lambdas: HTTPS out, database and cache ports to their groups');
    const drillDatabase = group('DrillDatabase', 'drill-database', 'Restore-drill instances: 5432 from ops functions only');

    const dbPort = ec2.Port.tcp(config.database.port);
    const cachePort = ec2.Port.tcp(config.cache.port);
    const nfs = ec2.Port.tcp(2049);

    alb.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP from anywhere (redirected to HTTPS)');
    alb.addIngressRule(ec2.Peer.anyIpv4(), HTTPS, 'HTTPS from anywhere');
    for (const service of Object.values(config.services)) {
      if (service.containerPort === undefined) continue;
      const port = ec2.Port.tcp(service.containerPort);
      alb.addEgressRule(services, port, `to the service on ${service.containerPort}`);
      services.addIngressRule(alb, port, `from the load balancer on ${service.containerPort}`);
    }

    services.addEgressRule(ec2.Peer.anyIpv4(), HTTPS, 'AWS APIs, ECR and third-party APIs over TLS');
    services.addEgressRule(database, dbPort, 'PostgreSQL');
    services.addEgressRule(cache, cachePort, 'Redis');
    services.addEgressRule(fileSystem, nfs, 'EFS');
    database.addIngressRule(services, dbPort, 'from the services');
    cache.addIngressRule(services, cachePort, 'from the services');
    fileSystem.addIngressRule(services, nfs, 'from the services');

    opsFunctions.addEgressRule(ec2.Peer.anyIpv4(), HTTPS, 'AWS APIs, Slack and the health endpoint over TLS');
    opsFunctions.addEgressRule(database, dbPort, 'rotation and verification SQL');
    opsFunctions.addEgressRule(drillDatabase, dbPort, 'restore-drill verification SQL');
    opsFunctions.addEgressRule(cache, cachePort, 'cache checks');
    database.addIngressRule(opsFunctions, dbPort, 'from the ops functions');
    cache.addIngressRule(opsFunctions, cachePort, 'from the ops functions');
    drillDatabase.addIngressRule(opsFunctions, dbPort, 'from the ops functions');

    acknowledge(alb, 'The internet-facing load balancer must accept 80 (redirected) and 443 from any address; WAF filters the traffic.', [
      'AwsSolutions-EC23',
    ]);
    return { alb, services, database, cache, fileSystem, opsFunctions, drillDatabase };
  }

  /** Stateless filters per tier, a second layer under the security groups (the document's "NACLs"). */
  private createNetworkAcls(config: EnvironmentConfig): void {
    const net = config.network;
    const anywhere = '0.0.0.0/0';
    const ephemeral = ec2.AclTraffic.tcpPortRange(1024, 65535);
    const tcp = (port: number) => ec2.AclTraffic.tcpPort(port);
    type Rule = { cidr: string; traffic: ec2.AclTraffic; direction: ec2.TrafficDirection };
    const acl = (id: string, subnetGroupName: string, rules: Rule[]) => {
      const nacl = new ec2.NetworkAcl(this, id, {
        vpc: this.vpc,
        networkAclName: `${config.prefix}-${subnetGroupName}`,
        subnetSelection: { subnetGroupName },
      });
      acknowledge(nacl, 'The architecture document asks for NACLs as a second, stateless layer under the security groups.', ['AwsSolutions-VPC3']);
      rules.forEach((rule, index) =>
        nacl.addEntry(`${rule.direction === ec2.TrafficDirection.INGRESS ? 'In' : 'Out'}${index}`, {
          ruleNumber: 100 + index * 10,
          cidr: ec2.AclCidr.ipv4(rule.cidr),
          traffic: rule.traffic,
          direction: rule.direction,
          ruleAction: ec2.Action.ALLOW,
        }),
      );
    };
    const IN = ec2.TrafficDirection.INGRESS;
    const OUT = ec2.TrafficDirection.EGRESS;
    const each = (cidrs: readonly string[], traffic: ec2.AclTraffic, direction: ec2.TrafficDirection): Rule[] =>
      cidrs.map((cidr) => ({ cidr, traffic, direction }));
    const containerPorts = Object.values(config.services).flatMap((s) => (s.containerPort ? [s.containerPort] : []));
    const dataPorts = [config.database.port, config.cache.port];

    acl('PublicAcl', 'public', [
      { cidr: anywhere, traffic: tcp(80), direction: IN },
      { cidr: anywhere, traffic: tcp(443), direction: IN },
      { cidr: anywhere, traffic: ephemeral, direction: IN },
      { cidr: anywhere, traffic: ec2.AclTraffic.allTraffic(), direction: OUT },
    ]);
    acl('PrivateAcl', 'private', [
      ...containerPorts.flatMap((port) => each(net.publicSubnetCidrs, tcp(port), IN)),
      ...each(net.privateSubnetCidrs, tcp(443), IN),
      ...each(net.privateSubnetCidrs, tcp(2049), IN),
      { cidr: anywhere, traffic: ephemeral, direction: IN },
      { cidr: anywhere, traffic: ec2.AclTraffic.allTraffic(), direction: OUT },
    ]);
    acl('DatabaseAcl', 'database', [
      ...dataPorts.flatMap((port) => each([...net.privateSubnetCidrs, ...net.databaseSubnetCidrs], tcp(port), IN)),
      ...each(net.databaseSubnetCidrs, ephemeral, IN),
      ...each([...net.privateSubnetCidrs, ...net.databaseSubnetCidrs], ephemeral, OUT),
      ...dataPorts.flatMap((port) => each(net.databaseSubnetCidrs, tcp(port), OUT)),
    ]);
  }

  private createEndpoints(config: EnvironmentConfig): void {
    const endpoints = new ec2.SecurityGroup(this, 'Endpoints', {
      vpc: this.vpc,
      securityGroupName: `${config.prefix}-endpoints`,
      description: 'Interface VPC endpoints: HTTPS from the services and the ops functions',
      allowAllOutbound: false,
    });
    endpoints.addIngressRule(this.securityGroups.services, HTTPS, 'from the services');
    endpoints.addIngressRule(this.securityGroups.opsFunctions, HTTPS, 'from the ops functions');
    const privateSubnets = { subnetGroupName: 'private' };
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    this.vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    for (const name of config.network.interfaceEndpoints) {
      this.vpc.addInterfaceEndpoint(`${name}Endpoint`, {
        service: new ec2.InterfaceVpcEndpointAwsService(name),
        subnets: privateSubnets,
        securityGroups: [endpoints],
        privateDnsEnabled: true,
        open: false,
      });
    }
  }
}
