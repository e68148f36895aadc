import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwactions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as xray from 'aws-cdk-lib/aws-xray';
import type { Construct } from 'constructs';
import { type EnvironmentConfig } from '../config.js';
import { SERVICES, type ServiceName } from '../../contracts/environments.js';
import { acknowledge } from '../nag/acknowledge.js';
import type { ComputeStack } from './compute-stack.js';
import type { DataStack } from './data-stack.js';
import type { EdgeStack } from './edge-stack.js';
import type { NetworkStack } from './network-stack.js';

export interface ObservabilityStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly edge: EdgeStack;
  readonly compute: ComputeStack;
}

export type AlarmKind = 'high-cpu' | 'high-memory' | 'high-error-rate' | 'high-latency';

/** Alarm names the remediation workflow reads: `<prefix>-<service>-<kind>`. */
export function alarmName(config: EnvironmentConfig, service: ServiceName, kind: AlarmKind): string {
  return `${config.prefix}-${service}-${kind}`;
}

/** Alarms, events, dashboards and tracing of one environment, all reporting to one notification topic. */
export class ObservabilityStack extends Stack {
  public readonly notificationTopic: sns.Topic;
  public readonly topicKey: kms.IKey;
  public readonly alarms: cloudwatch.Alarm[] = [];
  public readonly dashboards: cloudwatch.Dashboard[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { config, data, edge, compute } = props;
    this.topicKey = props.network.logsKey;

    this.notificationTopic = new sns.Topic(this, 'Notifications', {
      topicName: `${config.prefix}-notifications`,
      displayName: `FinanceHub ${config.name} operations`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    this.notificationTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'RdsEventsPublish',
        principals: [new iam.ServicePrincipal('events.rds.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.notificationTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': config.account } },
      }),
    );

    this.createServiceAlarms(config, compute, edge);
    this.createEventNotifications(config, data, compute);
    this.createDashboards(config, data, edge, compute);

    new xray.CfnSamplingRule(this, 'Sampling', {
      samplingRule: {
        ruleName: config.prefix.slice(0, 32),
        priority: 1000,
        fixedRate: config.observability.xraySamplingRate,
        reservoirSize: 1,
        serviceName: '*',
        serviceType: '*',
        host: '*',
        httpMethod: '*',
        urlPath: '*',
        resourceArn: '*',
        version: 1,
      },
    });
  }

  private createServiceAlarms(config: EnvironmentConfig, compute: ComputeStack, edge: EdgeStack): void {
    const limits = config.observability.alarms;
    const evaluation = config.observability.alarmEvaluation;
    const period = Duration.seconds(evaluation.periodSeconds);
    const notify = new cwactions.SnsAction(this.notificationTopic);
    const alarm = (service: ServiceName, kind: AlarmKind, metric: cloudwatch.IMetric, threshold: number, what: string) => {
      const created = new cloudwatch.Alarm(this, `${service}-${kind}`, {
        alarmName: alarmName(config, service, kind),
        alarmDescription: `${service} in ${config.name}: ${what} (${evaluation.datapointsToAlarm} of ${evaluation.evaluationPeriods} minutes). Runbook: docs/runbooks/alarm-remediation.md#${kind}`,
        metric,
        threshold,
        evaluationPeriods: evaluation.evaluationPeriods,
        datapointsToAlarm: evaluation.datapointsToAlarm,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      this.alarms.push(created);
    };

    for (const service of SERVICES) {
      const fargate = compute.services[service];
      alarm(service, 'high-cpu', fargate.metricCpuUtilization({ period }), limits.cpuPercent, `CPU above ${limits.cpuPercent}%`);
      alarm(service, 'high-memory', fargate.metricMemoryUtilization({ period }), limits.memoryPercent, `memory above ${limits.memoryPercent}%`);
    }
    for (const service of ['frontend', 'backend'] as const) {
      const targetGroup = edge.targetGroups[service];
      const errorRate = new cloudwatch.MathExpression({
        label: `${service} 5xx rate (%)`,
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period, statistic: 'Sum' }),
          requests: targetGroup.metrics.requestCount({ period, statistic: 'Sum' }),
        },
        period,
      });
      alarm(service, 'high-error-rate', errorRate, limits.errorRatePercent, `5xx responses above ${limits.errorRatePercent}% of requests`);
      alarm(
        service,
        'high-latency',
        targetGroup.metrics.targetResponseTime({ period, statistic: 'p95' }),
        limits.p95LatencySeconds,
        `p95 response time above ${limits.p95LatencySeconds} s`,
      );
    }
  }

  private createEventNotifications(config: EnvironmentConfig, data: DataStack, compute: ComputeStack): void {
    new rds.CfnEventSubscription(this, 'DatabaseEvents', {
      subscriptionName: `${config.prefix}-database-events`,
      snsTopicArn: this.notificationTopic.topicArn,
      sourceType: 'db-instance',
      sourceIds: [data.database.instanceIdentifier, data.readReplica.instanceIdentifier],
      eventCategories: ['availability', 'backup', 'failover', 'failure', 'low storage', 'maintenance', 'notification', 'recovery', 'restoration'],
      enabled: true,
    });
    // EventBridge publishes through a role that only this account's rules can assume, instead of a topic (and key)
    // policy open to the events service principal.
    const eventsRole = new iam.Role(this, 'EventsPublishRole', {
      description: `${config.prefix}: EventBridge rules publishing ECS events to the notification topic`,
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': config.account },
        ArnLike: { 'aws:SourceArn': `arn:aws:events:${config.region}:${config.account}:rule/${config.prefix}-*` },
      }),
    });
    const topic = new targets.SnsTopic(this.notificationTopic, { authorizeUsingRole: true, role: eventsRole });
    acknowledge(eventsRole, 'Publishing to the KMS-encrypted topic needs data keys of its one key, as the topic\'s grantPublish grants them.', [
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    ]);
    new events.Rule(this, 'EcsDeploymentFailures', {
      ruleName: `${config.prefix}-ecs-deployment-failures`,
      description: 'ECS deployments that failed (circuit breaker) in this environment',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Deployment State Change'],
        resources: SERVICES.map((service) => compute.services[service].serviceArn),
        detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
      },
      targets: [topic],
    });
    new events.Rule(this, 'EcsTaskFailures', {
      ruleName: `${config.prefix}-ecs-task-failures`,
      description: 'Tasks that failed to start or whose essential container exited',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [compute.cluster.clusterArn],
          lastStatus: ['STOPPED'],
          stopCode: ['TaskFailedToStart', 'EssentialContainerExited'],
        },
      },
      targets: [topic],
    });
  }

  private createDashboards(config: EnvironmentConfig, data: DataStack, edge: EdgeStack, compute: ComputeStack): void {
    const period = Duration.minutes(5);
    const dashboard = (slug: string, widgets: cloudwatch.IWidget[][]) => {
      const created = new cloudwatch.Dashboard(this, slug, { dashboardName: `${config.prefix}-${slug}`, widgets });
      this.dashboards.push(created);
    };
    const perService = (title: string, metric: (service: ServiceName) => cloudwatch.IMetric) =>
      new cloudwatch.GraphWidget({ title, width: 12, left: SERVICES.map(metric) });
    const lb = edge.loadBalancer.metrics;
    const db = data.database;

    dashboard('infrastructure-overview', [
      [
        perService('ECS CPU utilization (%)', (s) => compute.services[s].metricCpuUtilization({ period, label: s })),
        perService('ECS memory utilization (%)', (s) => compute.services[s].metricMemoryUtilization({ period, label: s })),
      ],
      [
        new cloudwatch.GraphWidget({ title: 'RDS CPU (%)', width: 12, left: [db.metricCPUUtilization({ period })] }),
        new cloudwatch.GraphWidget({ title: 'RDS connections', width: 12, left: [db.metricDatabaseConnections({ period })] }),
      ],
      [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms })],
    ]);
    dashboard('application-performance', [
      [
        new cloudwatch.GraphWidget({ title: 'Requests', width: 12, left: [lb.requestCount({ period, statistic: 'Sum' })] }),
        new cloudwatch.GraphWidget({
          title: 'Target response time (s)',
          width: 12,
          left: (['frontend', 'backend'] as const).flatMap((s) => [
            edge.targetGroups[s].metrics.targetResponseTime({ period, statistic: 'p50', label: `${s} p50` }),
            edge.targetGroups[s].metrics.targetResponseTime({ period, statistic: 'p95', label: `${s} p95` }),
          ]),
        }),
      ],
      [perService('Running tasks', (s) => new cloudwatch.Metric({
        namespace: 'ECS/ContainerInsights',
        metricName: 'RunningTaskCount',
        dimensionsMap: { ClusterName: compute.cluster.clusterName, ServiceName: compute.services[s].serviceName },
        period,
        label: s,
      }))],
    ]);
    dashboard('database-performance', [
      [
        new cloudwatch.GraphWidget({ title: 'Read/write latency (s)', width: 12, left: [db.metric('ReadLatency', { period }), db.metric('WriteLatency', { period })] }),
        new cloudwatch.GraphWidget({ title: 'Free storage (bytes)', width: 12, left: [db.metricFreeStorageSpace({ period })] }),
      ],
      [
        new cloudwatch.GraphWidget({ title: 'Replica lag (s)', width: 12, left: [data.readReplica.metric('ReplicaLag', { period })] }),
        new cloudwatch.GraphWidget({
          title: 'Redis CPU and memory (%)',
          width: 12,
          left: ['EngineCPUUtilization', 'DatabaseMemoryUsagePercentage'].map(
            (metricName) =>
              new cloudwatch.Metric({
                namespace: 'AWS/ElastiCache',
                metricName,
                dimensionsMap: { ReplicationGroupId: data.cacheReplicationGroup.ref },
                period,
              }),
          ),
        }),
      ],
    ]);
    dashboard('error-tracking', [
      [
        new cloudwatch.GraphWidget({
          title: '5xx responses',
          width: 12,
          left: [
            lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period, statistic: 'Sum', label: 'load balancer' }),
            ...(['frontend', 'backend'] as const).map((s) =>
              edge.targetGroups[s].metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period, statistic: 'Sum', label: s }),
            ),
          ],
        }),
        new cloudwatch.GraphWidget({
          title: 'Unhealthy targets',
          width: 12,
          left: (['frontend', 'backend'] as const).map((s) => edge.targetGroups[s].metrics.unhealthyHostCount({ period, label: s })),
        }),
      ],
      [
        new cloudwatch.LogQueryWidget({
          title: 'Recent errors (backend and worker)',
          width: 24,
          logGroupNames: ['/ecs/backend', '/ecs/worker'],
          queryLines: ['fields @timestamp, @logStream, @message', 'filter @message like /(?i)(error|exception|traceback)/', 'sort @timestamp desc', 'limit 50'],
        }),
      ],
    ]);
  }
}
