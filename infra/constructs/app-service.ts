import { Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwactions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as efs from 'aws-cdk-lib/aws-efs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { AutoscalingConfig, EnvironmentConfig, ServiceConfig } from '../config.js';
import type { ServiceName } from '../../contracts/environments.js';

export interface SharedVolume {
  readonly fileSystem: efs.IFileSystem;
  readonly accessPoint: efs.IAccessPoint;
  readonly containerPath: string;
}

export interface AppServiceProps {
  readonly config: EnvironmentConfig;
  readonly name: ServiceName;
  readonly cluster: ecs.ICluster;
  readonly repository: ecr.IRepository;
  /** Immutable tag of the image to run (the repositories refuse to move a tag). */
  readonly imageTag: string;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly logsKey: kms.IKey;
  /** Registers the tasks here when set (frontend, backend). @default no load balancer (worker) */
  readonly targetGroup?: elbv2.IApplicationTargetGroup;
  /** Injected by ECS from Secrets Manager at start; never plain environment variables. */
  readonly secrets?: Record<string, ecs.Secret>;
  /** Plain, non-secret configuration. */
  readonly environment?: Record<string, string>;
  /** Container health check command. @default none (load-balanced services are checked by their target group) */
  readonly healthCheckCommand?: string[];
  /** EFS mounted into the container. @default none */
  readonly volume?: SharedVolume;
}

/** Tag naming the environment's service a scalable target belongs to: `<prefix>-<service>`. */
export const SCALABLE_SERVICE_TAG = 'financehub:scalable-service';

/**
 * One FinanceHub service on Fargate: its task with the application container and an X-Ray daemon, logs in
 * `/ecs/<name>`, the deployment circuit breaker, and autoscaling: target tracking on CPU plus the document's
 * step rules (out above 70% for 2 minutes, in below 30% for 5 minutes).
 */
export class AppService extends Construct {
  public readonly service: ecs.FargateService;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly scalableTarget: appscaling.ScalableTarget;

  constructor(scope: Construct, id: string, props: AppServiceProps) {
    super(scope, id);
    const { config, name } = props;
    const spec: ServiceConfig = config.services[name];

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/ecs/${name}`,
      retention: config.observability.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.logsKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      family: `${config.prefix}-${name}`,
      cpu: spec.cpu,
      memoryLimitMiB: spec.memoryMiB,
    });
    const container = this.taskDefinition.addContainer('app', {
      containerName: name,
      image: ecs.ContainerImage.fromEcrRepository(props.repository, props.imageTag),
      essential: true,
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: name }),
      environment: {
        ENVIRONMENT: config.name,
        AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
        ...spec.environment,
        ...props.environment,
      },
      secrets: props.secrets,
      portMappings: spec.containerPort ? [{ containerPort: spec.containerPort }] : [],
      healthCheck: props.healthCheckCommand
        ? { command: props.healthCheckCommand, interval: Duration.seconds(30), timeout: Duration.seconds(5), retries: 3, startPeriod: Duration.seconds(60) }
        : undefined,
      readonlyRootFilesystem: false,
    });
    this.taskDefinition.addContainer('xray', {
      containerName: 'xray-daemon',
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/xray/aws-xray-daemon:3.3.14'),
      essential: false,
      cpu: 32,
      memoryReservationMiB: 64,
      portMappings: [{ containerPort: 2000, protocol: ecs.Protocol.UDP }],
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'xray' }),
    });
    // X-Ray has no resource-level permissions for writing segments.
    this.taskDefinition.addToTaskRolePolicy(
      new iam.PolicyStatement({
        actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
        resources: ['*'],
      }),
    );
    if (props.volume) {
      const { fileSystem, accessPoint, containerPath } = props.volume;
      this.taskDefinition.addVolume({
        name: 'shared',
        efsVolumeConfiguration: {
          fileSystemId: fileSystem.fileSystemId,
          transitEncryption: 'ENABLED',
          authorizationConfig: { accessPointId: accessPoint.accessPointId, iam: 'ENABLED' },
        },
      });
      container.addMountPoints({ sourceVolume: 'shared', containerPath, readOnly: false });
      this.taskDefinition.addToTaskRolePolicy(
        new iam.PolicyStatement({
          actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
          resources: [fileSystem.fileSystemArn],
          conditions: { StringEquals: { 'elasticfilesystem:AccessPointArn': accessPoint.accessPointArn } },
        }),
      );
    }

    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: `${config.prefix}-${name}`,
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: spec.minCapacity,
      securityGroups: [props.securityGroup],
      vpcSubnets: { subnetGroupName: 'private' },
      assignPublicIp: false,
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: props.targetGroup ? Duration.seconds(60) : undefined,
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
    });
    if (props.targetGroup) {
      props.targetGroup.addTarget(this.service.loadBalancerTarget({ containerName: name, containerPort: spec.containerPort }));
    }

    this.scalableTarget = new appscaling.ScalableTarget(this, 'Scaling', {
      serviceNamespace: appscaling.ServiceNamespace.ECS,
      scalableDimension: 'ecs:service:DesiredCount',
      // Deterministic, as the scaling-override workflow addresses it: service/<cluster>/<service>.
      resourceId: `service/${config.prefix}/${config.prefix}-${name}`,
      minCapacity: spec.minCapacity,
      maxCapacity: spec.maxCapacity,
    });
    this.scalableTarget.node.addDependency(this.service);
    // The scaling override may change only targets carrying this tag (Application Auto Scaling ABAC).
    Tags.of(this.scalableTarget).add(SCALABLE_SERVICE_TAG, `${config.prefix}-${name}`);
    this.addScaling(config, name, config.autoscaling);
  }

  private addScaling(config: EnvironmentConfig, name: ServiceName, rules: AutoscalingConfig): void {
    this.scalableTarget.scaleToTrackMetric('TargetCpu', {
      policyName: `${config.prefix}-${name}-target-cpu`,
      predefinedMetric: appscaling.PredefinedMetric.ECS_SERVICE_AVERAGE_CPU_UTILIZATION,
      targetValue: rules.targetCpuPercent,
    });
    const cpu = this.service.metricCpuUtilization({ period: Duration.minutes(1), statistic: 'Average' });
    const step = (id: string, threshold: number, minutes: number, outward: boolean) => {
      const action = new appscaling.StepScalingAction(this, id, {
        scalingTarget: this.scalableTarget,
        policyName: `${config.prefix}-${name}-${outward ? 'step-out' : 'step-in'}`,
        adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        cooldown: Duration.minutes(outward ? 2 : 5),
        metricAggregationType: appscaling.MetricAggregationType.AVERAGE,
      });
      action.addAdjustment(outward ? { lowerBound: 0, adjustment: 1 } : { upperBound: 0, adjustment: -1 });
      const alarm = new cloudwatch.Alarm(this, `${id}Alarm`, {
        alarmName: `${config.prefix}-${name}-${outward ? 'scale-out' : 'scale-in'}`,
        alarmDescription: `${name}: CPU ${outward ? 'above' : 'below'} ${threshold}% for ${minutes} minutes: ${outward ? 'add' : 'remove'} a task`,
        metric: cpu,
        threshold,
        evaluationPeriods: minutes,
        datapointsToAlarm: minutes,
        comparisonOperator: outward
          ? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
          : cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new cwactions.ApplicationScalingAction(action));
    };
    step('StepOut', rules.scaleOutCpuPercent, rules.scaleOutAfterMinutes, true);
    step('StepIn', rules.scaleInCpuPercent, rules.scaleInAfterMinutes, false);
  }
}
