import { Stack, type StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { type EnvironmentConfig } from '../config.js';
import { SERVICES, type ServiceName } from '../../contracts/environments.js';
import { AppService } from '../constructs/app-service.js';
import { grantSecretsKeyDecrypt, shareSecret } from '../constructs/shared-secret.js';
import { acknowledge } from '../nag/acknowledge.js';
import type { DataStack } from './data-stack.js';
import type { EdgeStack } from './edge-stack.js';
import type { NetworkStack } from './network-stack.js';
import { type RegistryStack, repositoryName } from './registry-stack.js';

export interface ComputeStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly edge: EdgeStack;
  readonly registry: RegistryStack;
  /** The immutable tag every service runs; it must exist in the registry before this stack deploys. */
  readonly imageTag: string;
}

/** The ECS Fargate cluster with the frontend, backend and worker services, running images of the registry stack. */
export class ComputeStack extends Stack {
  public readonly cluster: ecs.Cluster;
  public readonly services: Record<ServiceName, ecs.FargateService>;
  public readonly appServices: Record<ServiceName, AppService>;
  public readonly repositories: Record<ServiceName, ecr.IRepository>;

  constructor(scope: Construct, id: string, props: ComputeStackProps) {
    super(scope, id, props);
    const { config, network, data, edge } = props;

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: config.prefix,
      vpc: network.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
    });
    // The registry deploys first and images are pushed before this stack: referred to by name, no export to pin.
    this.addStackDependency(props.registry, 'a service starts only with an image already pushed to its repository');
    this.repositories = Object.fromEntries(
      SERVICES.map((name) => [name, ecr.Repository.fromRepositoryName(this, `${name}Repository`, repositoryName(config, name))]),
    ) as Record<ServiceName, ecr.IRepository>;

    const fromSecret = (secret: secretsmanager.ISecret, field?: string) => ecs.Secret.fromSecretsManager(secret, field);
    const [apiKeys, oauthTokens] = data.applicationSecrets.map((secret, i) => shareSecret(this, `AppSecret${i}`, secret));
    if (!apiKeys || !oauthTokens) throw new Error('DataStack must provide the API keys and OAuth tokens secrets');
    const djangoSecretKey = shareSecret(this, 'AppSecret2', data.djangoKeysSecret);
    const applicationSecret = shareSecret(this, 'DatabaseSecret', data.applicationSecret);
    const cacheAuthSecret = shareSecret(this, 'CacheAuthSecret', data.cacheAuthSecret);
    const appSecrets = {
      DATABASE_HOST: fromSecret(applicationSecret, 'host'),
      DATABASE_PORT: fromSecret(applicationSecret, 'port'),
      DATABASE_NAME: fromSecret(applicationSecret, 'dbname'),
      DATABASE_USER: fromSecret(applicationSecret, 'username'),
      DATABASE_PASSWORD: fromSecret(applicationSecret, 'password'),
      REDIS_AUTH_TOKEN: fromSecret(cacheAuthSecret),
      // The keys document: SECRET_KEY = keys["current"]; SECRET_KEY_FALLBACKS = [f["key"] for f in keys["fallbacks"]].
      DJANGO_SECRET_KEYS: fromSecret(djangoSecretKey),
      API_KEYS: fromSecret(apiKeys),
      OAUTH_TOKENS: fromSecret(oauthTokens),
    };
    const appEnvironment = {
      DATABASE_READ_HOST: data.readReplica.dbInstanceEndpointAddress,
      REDIS_HOST: data.cacheReplicationGroup.attrPrimaryEndPointAddress,
      REDIS_PORT: String(config.cache.port),
      REDIS_TLS: 'true',
      UPLOADS_BUCKET: data.buckets.uploads.bucketName,
      UPLOAD_MAX_BYTES: String(config.storage.uploadMaxBytes),
      STATIC_BUCKET: edge.staticBucket.bucketName,
      AWS_XRAY_SAMPLING_RATE: String(config.observability.xraySamplingRate),
    };
    const common = {
      config,
      imageTag: props.imageTag,
      cluster: this.cluster,
      securityGroup: network.securityGroups.services,
      logsKey: network.logsKey,
    };

    const frontend = new AppService(this, 'Frontend', {
      ...common,
      name: 'frontend',
      repository: this.repositories.frontend,
      targetGroup: edge.targetGroups.frontend,
      environment: { API_BASE_URL: `https://${edge.apiDomainName}`, NEXT_TELEMETRY_DISABLED: '1' },
    });
    const backend = new AppService(this, 'Backend', {
      ...common,
      name: 'backend',
      repository: this.repositories.backend,
      targetGroup: edge.targetGroups.backend,
      secrets: appSecrets,
      environment: appEnvironment,
    });
    const worker = new AppService(this, 'Worker', {
      ...common,
      name: 'worker',
      repository: this.repositories.worker,
      secrets: appSecrets,
      environment: { ...appEnvironment, SHARED_FILES_PATH: config.storage.efsMountPath },
      healthCheckCommand: ['CMD-SHELL', 'python -m financehub.healthcheck worker || exit 1'],
      volume: { fileSystem: data.fileSystem, accessPoint: data.fileSystemAccessPoint, containerPath: config.storage.efsMountPath },
    });
    const uploadsArn = `arn:aws:s3:::${config.prefix}-uploads-${config.account}`;
    for (const app of [backend, worker]) {
      grantSecretsKeyDecrypt(app.taskDefinition.obtainExecutionRole(), data.encryptionKey);
      const role = app.taskDefinition.taskRole;
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:GetObjectTagging'], resources: [`${uploadsArn}/*`] }));
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [uploadsArn] }));
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [data.encryptionKey.keyArn] }));
      acknowledge(app.taskDefinition, 'The application reads, writes and deletes user uploads by key anywhere in its uploads bucket.', [
        `AwsSolutions-IAM5[Resource::${uploadsArn}/*]`,
      ]);
    }
    this.appServices = { frontend, backend, worker };
    this.services = { frontend: frontend.service, backend: backend.service, worker: worker.service };

    this.acknowledgeComputeFindings();
  }

  private acknowledgeComputeFindings(): void {
    for (const app of Object.values(this.appServices)) {
      acknowledge(app.taskDefinition, 'Only non-secret configuration (hosts, ports, bucket names, sampling rate) is in environment variables; credentials come from Secrets Manager.', [
        'AwsSolutions-ECS2',
      ]);
      acknowledge(app.taskDefinition, 'X-Ray segment writes and ECR GetAuthorizationToken have no resource-level permissions.', ['AwsSolutions-IAM5[Resource::*]']);
    }
  }
}
