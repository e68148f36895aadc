import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type EnvironmentConfig } from '../config.js';
import { SERVICES } from '../../contracts/environments.js';
import { healthProbeUrl } from '../constructs/health-probe.js';
import { RELEASE_DRILL_LOCK, bindDrillLock, drillEnding } from '../constructs/drill-lock.js';
import { OpsFunction } from '../constructs/ops-function.js';
import type { OpsTable } from '../constructs/ops-table.js';
import { OpsLambdaStep, catchTo } from '../constructs/ops-lambda-step.js';
import { OpsStateMachine } from '../constructs/ops-state-machine.js';
import { acknowledge, acknowledgeWorkflowFindings } from '../nag/acknowledge.js';
import type { ApprovalGate } from '../constructs/approval-gate.js';
import type { GatedWorkflowProps } from '../constructs/workflow-props.js';

export interface FailoverDrillProps extends GatedWorkflowProps {
  /** Encrypts the backups bucket, where the reports go. */
  readonly dataKey: kms.IKey;
  /** Holds the environment's drill lock: one drill at a time. */
  readonly lockTable: OpsTable;
}

/** Names of the states, as an operator reads them in the console and the tests assert them. */
export const FAILOVER_DRILL_STATES = {
  preconditions: 'Check preconditions',
  preconditionsMet: 'Preconditions met?',
  failOverDatabase: 'Fail over the database',
  waitDatabase: 'Wait for the database',
  checkDatabase: 'Check the database',
  databaseFailedOver: 'Database failed over?',
  failOverCache: 'Fail over the cache',
  waitCache: 'Wait for the cache',
  checkCache: 'Check the cache',
  cacheFailedOver: 'Cache failed over?',
  probe: 'Probe application health',
  releaseLock: RELEASE_DRILL_LOCK,
  healthy: 'Application healthy?',
  waitProbe: 'Wait before the next probe',
  report: 'Write drill report',
  passed: 'Drill passed?',
  succeeded: 'Drill passed',
  skipped: 'Drill skipped',
  failed: 'Drill failed',
  reportNotWritten: 'Drill result not published',
} as const;

/** The longest a drill can run at its caps (plus the report): it must end before the maintenance window. */
export function drillMaxMinutes(config: EnvironmentConfig): number {
  const drill = config.recovery.failoverDrill;
  return drill.databaseWaitCapMinutes + drill.cacheWaitCapMinutes + config.healthProbe.waitCapMinutes + 10;
}

/**
 * The quarterly failover drill: checks its preconditions, forces the database's Multi-AZ failover and the cache's
 * test failover, probes the application until healthy, stops early on its stop conditions, and reports (OpsResult to
 * the topic, JSON + HTML under `drills/` in the backups bucket). Scheduled in staging; production starts by hand
 * with an approver.
 */
export class FailoverDrill extends Construct {
  public readonly function: OpsFunction;
  public readonly stateMachine: OpsStateMachine;
  private readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: FailoverDrillProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    const drill = config.recovery.failoverDrill;
    const targets = config.recovery.failoverTargets;

    this.function = new OpsFunction(this, 'Function', {
      config,
      functionName: 'failover-drill',
      description: 'Failover drill steps: preconditions, database and cache failover, health probes, report',
      vpc: props.vpc,
      securityGroups: [props.securityGroup],
      encryptionKey: props.logsKey,
      timeout: Duration.minutes(1),
      reservedConcurrentExecutions: 2,
      environment: {
        DB_INSTANCE_ID: `${config.prefix}-db`,
        REPLICATION_GROUP_ID: `${config.prefix}-redis`,
        ALARM_PREFIX: `${config.prefix}-`,
        ERROR_RATE_ALARMS: SERVICES.filter((service) => config.services[service].containerPort !== undefined)
          .map((service) => `${config.prefix}-${service}-high-error-rate`)
          .join(','),
        ERROR_RATE_ALARM_MAX_MINUTES: String(drill.errorRateAlarmMaxMinutes),
        MAINTENANCE_WINDOW: config.database.preferredMaintenanceWindow,
        DRILL_MAX_MINUTES: String(drillMaxMinutes(config)),
        DATABASE_WAIT_CAP_MINUTES: String(drill.databaseWaitCapMinutes),
        CACHE_WAIT_CAP_MINUTES: String(drill.cacheWaitCapMinutes),
        HEALTH_URL: healthProbeUrl(config),
        HEALTH_CONSECUTIVE_SUCCESSES: String(config.healthProbe.consecutiveSuccesses),
        HEALTH_TIMEOUT_SECONDS: String(config.healthProbe.timeoutSeconds),
        HEALTH_WAIT_CAP_MINUTES: String(config.healthProbe.waitCapMinutes),
        TARGET_DATABASE_FAILOVER_SECONDS: String(targets.databaseFailoverSeconds),
        TARGET_CACHE_FAILOVER_SECONDS: String(targets.cacheFailoverSeconds),
        TARGET_APPLICATION_HEALTHY_SECONDS: String(targets.applicationHealthySeconds),
        REPORTS_BUCKET: `${config.prefix}-backups-${config.account}`,
      },
    });
    this.grant(props);
    // Every wait is capped below this; the margin covers retries and the report.
    const timeout = Duration.minutes(drillMaxMinutes(config) + 20);
    // The lock lives as long as the drill can: it never outlives the execution that took it.
    bindDrillLock(this.function, props.lockTable, timeout);

    this.stateMachine = new OpsStateMachine(this, 'StateMachine', {
      config,
      workflow: 'failover-drill',
      definition: this.definition(props.approvalGate),
      timeout,
      logsKey: props.logsKey,
    });

    if (drill.schedule) this.stateMachine.schedule(drill.schedule, 'Quarterly failover drill', { environment: config.name });
    acknowledgeWorkflowFindings(this.stateMachine, this.function);
  }

  private grant(props: FailoverDrillProps): void {
    const { config } = props;
    const at = `${config.region}:${config.account}`;
    const fn = this.function;
    // Named by the data stack's convention (not its tokens), so the policy needs no cross-stack import.
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances', 'rds:RebootDBInstance'], resources: [`arn:aws:rds:${at}:db:${config.prefix}-db`] }));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['elasticache:DescribeReplicationGroups', 'elasticache:TestFailover'],
        resources: [`arn:aws:elasticache:${at}:replicationgroup:${config.prefix}-redis`, `arn:aws:elasticache:${at}:cluster:${config.prefix}-redis-*`],
      }),
    );
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [`arn:aws:cloudwatch:${at}:alarm:${config.prefix}-*`] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [`arn:aws:s3:::${config.prefix}-backups-${config.account}/drills/failover-drill/*`] }));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey'],
        resources: [props.dataKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${config.region}.amazonaws.com` } },
      }),
    );
    fn.bindTopic(props.topic);
    if (fn.role) {
      acknowledge(fn.role, 'The replication group\'s member clusters are named <group>-001, -002 by ElastiCache; the pattern names only them.', [
        `AwsSolutions-IAM5[Resource::arn:aws:elasticache:${at}:cluster:${config.prefix}-redis-*]`,
      ]);
      acknowledge(fn.role, 'The drill reads the environment\'s alarms (the no-alarm precondition and the error-rate stop condition); every one is named <prefix>-*.', [
        `AwsSolutions-IAM5[Resource::arn:aws:cloudwatch:${at}:alarm:${config.prefix}-*]`,
      ]);
      acknowledge(fn.role, 'Drill reports are written under drills/failover-drill/ of the backups bucket, one object per report.', [
        `AwsSolutions-IAM5[Resource::arn:aws:s3:::${config.prefix}-backups-${config.account}/drills/failover-drill/*]`,
      ]);
    }
  }

  private definition(approvalGate: ApprovalGate | undefined): sfn.IChainable {
    const S = FAILOVER_DRILL_STATES;
    const drill = this.config.recovery.failoverDrill;
    const step = (stateName: string, payload: Record<string, unknown>, resultPath: string) =>
      new OpsLambdaStep(this, stateName, { lambdaFunction: this.function, payload, resultPath });
    const plan = sfn.JsonPath.objectAt('$.plan');

    // Every path releases the drill lock before it reports.
    const release = drillEnding(this, this.function, S, 'Drill');

    // Phase 3: the application, probed until N successes in a row, bounded.
    const probe = step(S.probe, { action: 'probeApplication', state: sfn.JsonPath.objectAt('$') }, '$.application');
    const waitProbe = new sfn.Wait(this, S.waitProbe, { time: sfn.WaitTime.duration(Duration.seconds(this.config.healthProbe.intervalSeconds)) });
    waitProbe.next(probe);
    probe.next(
      new sfn.Choice(this, S.healthy)
        .when(sfn.Condition.booleanEquals('$.application.healthy', true), release)
        .when(sfn.Condition.isPresent('$.application.stopReason'), release)
        .otherwise(waitProbe),
    );

    // Phase 2: the cache's test failover, waited for until a new primary is available, bounded.
    const pollInterval = sfn.WaitTime.duration(Duration.seconds(drill.pollIntervalSeconds));
    const failOverCache = step(S.failOverCache, { action: 'failOverCache', plan }, '$.cache');
    const checkCache = step(S.checkCache, { action: 'checkCache', plan, previous: sfn.JsonPath.objectAt('$.cache') }, '$.cache');
    const waitCache = new sfn.Wait(this, S.waitCache, { time: pollInterval });
    failOverCache.next(waitCache);
    waitCache.next(checkCache);
    checkCache.next(
      new sfn.Choice(this, S.cacheFailedOver)
        .when(sfn.Condition.booleanEquals('$.cache.failedOver', true), probe)
        .when(sfn.Condition.isPresent('$.cache.stopReason'), release)
        .otherwise(waitCache),
    );

    // Phase 1: the database's Multi-AZ failover, waited for until available in the other zone, bounded.
    const failOverDatabase = step(S.failOverDatabase, { action: 'failOverDatabase', plan }, '$.database');
    const checkDatabase = step(S.checkDatabase, { action: 'checkDatabase', plan, previous: sfn.JsonPath.objectAt('$.database') }, '$.database');
    const waitDatabase = new sfn.Wait(this, S.waitDatabase, { time: pollInterval });
    failOverDatabase.next(waitDatabase);
    waitDatabase.next(checkDatabase);
    checkDatabase.next(
      new sfn.Choice(this, S.databaseFailedOver)
        .when(sfn.Condition.booleanEquals('$.database.failedOver', true), failOverCache)
        .when(sfn.Condition.isPresent('$.database.stopReason'), release)
        .otherwise(waitDatabase),
    );

    const preconditions = step(
      S.preconditions,
      {
        action: 'checkPreconditions',
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        options: sfn.JsonPath.objectAt('$'),
      },
      '$.plan',
    );
    for (const task of [preconditions, failOverDatabase, checkDatabase, failOverCache, checkCache, probe]) {
      catchTo(task, release, '$.failure');
    }
    const drillChain = preconditions.next(new sfn.Choice(this, S.preconditionsMet).when(sfn.Condition.booleanEquals('$.plan.passed', true), failOverDatabase).otherwise(release));
    return approvalGate?.guards('failover-drill') ? approvalGate.firstState(this, 'failover-drill').next(drillChain) : drillChain;
  }
}
