import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { acknowledge } from '../nag/acknowledge.js';
import { repositoryName } from '../stacks/registry-stack.js';
import { OpsFunction } from './ops-function.js';
import type { PilotLightNetwork } from './pilot-light-network.js';

export interface DrRecoveryComputeProps {
  readonly config: EnvironmentConfig;
  readonly network: PilotLightNetwork;
  /** The DR key: secret replicas, restored file systems, logs. */
  readonly drKey: kms.IKey;
  /** Image tag the primary services run, replicated to this region's registry. */
  readonly imageTag: string;
}

/** Physical names the dr-simulation workflow in the primary region refers to (it cannot import this stack's tokens). */
export function drRecoveryNames(config: EnvironmentConfig) {
  return {
    cluster: `${config.prefix}-dr`,
    taskFamily: `${config.prefix}-dr-backend`,
    containerName: 'backend',
    agentFunction: `${config.prefix}-dr-simulation-agent`,
    restoreRole: `${config.prefix}-dr-restore`,
    taskExecutionRole: `${config.prefix}-dr-backend-execution`,
    taskRole: `${config.prefix}-dr-backend-task`,
    /** SSM parameter (DR region) with the ids CloudFormation generates: subnets, security groups, key, agent. */
    parameter: `/${config.prefix}/dr/simulation`,
  };
}

/**
 * What a recovery in the DR region runs on, deployed and reviewed ahead rather than created by a workflow at 3 AM:
 * an ECS cluster and the backend's task definition (the replicated image, the replicated secrets; the database host
 * given when a task starts), the role AWS Backup restores EFS copies with, and the DR agent (in the DR VPC: the
 * health probe and verification SQL reach only private addresses there). None of it costs anything until a task runs.
 */
export class DrRecoveryCompute extends Construct {
  public readonly cluster: ecs.Cluster;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly agent: OpsFunction;
  public readonly restoreRole: iam.Role;

  constructor(scope: Construct, id: string, props: DrRecoveryComputeProps) {
    super(scope, id);
    const { config, network, drKey } = props;
    const names = drRecoveryNames(config);
    const { account, region } = Stack.of(this);
    const backend = config.services.backend;

    this.cluster = new ecs.Cluster(this, 'Cluster', { clusterName: names.cluster, vpc: network.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });

    const logGroup = new logs.LogGroup(this, 'BackendLogs', {
      logGroupName: `/ecs/${names.taskFamily}`,
      retention: config.observability.logRetentionDays as logs.RetentionDays,
      encryptionKey: drKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const executionRole = new iam.Role(this, 'BackendExecutionRole', {
      roleName: names.taskExecutionRole,
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': account } } }),
      description: `${names.taskFamily}: pulls the replicated image, writes its logs, reads the replicated secrets`,
    });
    const taskRole = new iam.Role(this, 'BackendTaskRole', {
      roleName: names.taskRole,
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': account } } }),
      description: `${names.taskFamily}: the recovered backend (no AWS access beyond its logs)`,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'BackendTask', {
      family: names.taskFamily,
      cpu: backend.cpu,
      memoryLimitMiB: backend.memoryMiB,
      executionRole,
      taskRole,
    });
    // The replicas keep the primary secrets' names (and their versions, so the stages of a rotation).
    const replica = (secretId: string, name: string) => secretsmanager.Secret.fromSecretNameV2(this, secretId, `${config.prefix}/${name}`);
    const application = replica('ApplicationSecret', 'db/app');
    const fromSecret = (secret: secretsmanager.ISecret, field?: string) => ecs.Secret.fromSecretsManager(secret, field);
    this.taskDefinition.addContainer('app', {
      containerName: names.containerName,
      image: ecs.ContainerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(this, 'BackendRepository', repositoryName(config, 'backend')), props.imageTag),
      essential: true,
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'backend' }),
      // DATABASE_HOST and DATABASE_PORT are given when a task starts: the restored instance exists only then.
      environment: { ENVIRONMENT: config.name, DR_REGION: region, ...backend.environment },
      secrets: {
        DATABASE_NAME: fromSecret(application, 'dbname'),
        DATABASE_USER: fromSecret(application, 'username'),
        DATABASE_PASSWORD: fromSecret(application, 'password'),
        DJANGO_SECRET_KEYS: fromSecret(replica('DjangoSecretKey', 'django-secret-key')),
        API_KEYS: fromSecret(replica('ApiKeys', 'api-keys')),
        OAUTH_TOKENS: fromSecret(replica('OAuthTokens', 'oauth-tokens')),
      },
      portMappings: [{ containerPort: backend.containerPort ?? 8000 }],
      readonlyRootFilesystem: false,
    });
    executionRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [drKey.keyArn], conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } } }),
    );

    this.restoreRole = new iam.Role(this, 'RestoreRole', {
      roleName: names.restoreRole,
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': account } } }),
      description: `${config.prefix}: AWS Backup restores EFS copies of the DR vault into new encrypted file systems`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSBackupServiceRolePolicyForRestores')],
    });
    this.restoreRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [drKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': [`elasticfilesystem.${region}.amazonaws.com`, `backup.${region}.amazonaws.com`] } },
      }),
    );

    this.agent = new OpsFunction(this, 'Agent', {
      config,
      functionName: 'dr-simulation-agent',
      handlerFile: 'dr-simulation/agent-handler.ts',
      description: 'DR simulation agent in the DR VPC: probes the recovered backend and runs the verification SQL on the restored database',
      vpc: network.vpc,
      vpcSubnets: { subnetGroupName: 'private' },
      securityGroups: [network.securityGroups.opsFunctions],
      encryptionKey: drKey,
      // Counting rows of the critical tables can take minutes.
      timeout: Duration.minutes(5),
      memorySize: 512,
      reservedConcurrentExecutions: 2,
      environment: {
        MASTER_SECRET_ID: `${config.prefix}/db/master`,
        DATABASE_NAME: config.database.databaseName,
        DRILL_SCHEMA: 'public',
        CRITICAL_TABLES: config.recovery.drillCriticalTables.join(','),
        PROBE_TIMEOUT_SECONDS: String(config.healthProbe.timeoutSeconds),
      },
    });
    this.agent.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [`arn:aws:secretsmanager:${region}:${account}:secret:${config.prefix}/db/master-??????`],
      }),
    );
    this.agent.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [drKey.keyArn], conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } } }),
    );

    new ssm.StringParameter(this, 'Parameter', {
      parameterName: names.parameter,
      description: `${config.prefix}: ids of the DR pieces the dr-simulation workflow uses (read in the primary region)`,
      stringValue: Stack.of(this).toJsonString({
        subnetIds: network.vpc.selectSubnets({ subnetGroupName: 'private' }).subnetIds,
        databaseSecurityGroupId: network.securityGroups.database.securityGroupId,
        servicesSecurityGroupId: network.securityGroups.services.securityGroupId,
        restoreRoleArn: this.restoreRole.roleArn,
        drKeyArn: drKey.keyArn,
        agentFunctionArn: this.agent.functionArn,
      }),
    });
    this.acknowledgeFindings();
  }

  private acknowledgeFindings(): void {
    acknowledge(this.restoreRole, 'AWSBackupServiceRolePolicyForRestores is the documented policy of the role AWS Backup restores with.', [
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores]',
    ]);
    acknowledge(this.taskDefinition, 'Only non-secret configuration is in environment variables; credentials come from the replicated secrets.', ['AwsSolutions-ECS2']);
    const executionRole = this.taskDefinition.executionRole;
    if (executionRole) {
      acknowledge(executionRole, 'ECR GetAuthorizationToken has no resource-level permissions.', ['AwsSolutions-IAM5[Resource::*]']);
    }
  }
}
