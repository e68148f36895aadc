import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { RDS_FAILOVER_EVENT_IDS } from '../../functions/alarm-remediation/events.js';
import { stateMachineName } from '../../functions/lib/workflows.js';
import { type EnvironmentConfig, scalingLimits } from '../config.js';
import { healthProbeUrl } from '../constructs/health-probe.js';
import { OpsFunction } from '../constructs/ops-function.js';
import { OpsLambdaStep, OpsResultStep, catchTo, reportNotDelivered } from '../constructs/ops-lambda-step.js';
import { OpsTable } from '../constructs/ops-table.js';
import { OpsStateMachine } from '../constructs/ops-state-machine.js';
import { acknowledge, acknowledgeWorkflowFindings } from '../nag/acknowledge.js';
import type { WorkflowProps } from '../constructs/workflow-props.js';

export interface AlarmRemediationProps extends WorkflowProps {
  /** The scaling override the high-CPU runbook starts. */
  readonly scalingOverride: sfn.IStateMachine;
  /** Encrypts the guardrails table. */
  readonly encryptionKey: kms.IKey;
}

/** Names of the states, as an operator reads them in the console and the tests assert them. */
export const ALARM_REMEDIATION_STATES = {
  read: 'Read the event',
  switches: 'Check kill switch and dry run',
  killSwitch: 'Kill switch on?',
  runbook: 'Which runbook?',
  planScaleOut: 'Plan scale-out',
  planRestart: 'Plan rolling restart',
  inspectDeployment: 'Inspect the deployment',
  planHealth: 'Plan health verification',
  actionNeeded: 'Action needed?',
  dryRun: 'Dry run?',
  lock: 'Take the service lock',
  lockTaken: 'Lock taken?',
  whichAction: 'Which action?',
  startOverride: 'Start scaling override',
  overrideAlreadyStarted: 'Scaling override already started',
  restart: 'Restart the service',
  rollBack: 'Roll back the deployment',
  probe: 'Probe application health',
  healthy: 'Application healthy?',
  waitProbe: 'Wait before the next probe',
  release: 'Release the service lock',
  report: 'Report remediation',
  outcome: 'Remediation succeeded?',
  done: 'Remediation done',
  failed: 'Remediation failed',
  notDelivered: 'Report not delivered',
} as const;

/** SSM parameters an operator flips: `on` pauses every automatic action / makes every remediation a dry run. */
export function remediationSwitches(config: EnvironmentConfig): { killSwitch: string; dryRun: string } {
  return { killSwitch: `/${config.prefix}/remediation/kill-switch`, dryRun: `/${config.prefix}/remediation/dry-run` };
}

/**
 * Alarm-triggered remediation: EventBridge rules on this environment's alarms going into ALARM, on RDS failover and
 * on ECS deployment failure events invoke a small function that starts the state machine with the event id as the
 * execution name (a duplicate delivery starts nothing). The state machine picks the runbook, checks the guardrails
 * (kill switch, dry run, one remediation per service, cooldown per alarm and service), acts, and reports.
 */
export class AlarmRemediation extends Construct {
  public readonly function: OpsFunction;
  public readonly startFunction: OpsFunction;
  public readonly stateMachine: sfn.StateMachine;
  public readonly table: OpsTable;
  private readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: AlarmRemediationProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    const switches = remediationSwitches(config);

    this.table = new OpsTable(this, 'Guardrails', {
      tableName: `${config.prefix}-remediation-guardrails`,
      partitionKey: 'pk',
      encryptionKey: props.encryptionKey,
      shortLivedBecause: 'Locks and cooldowns live at most an hour (TTL); point-in-time recovery covers mistakes.',
    });
    const killSwitch = new ssm.StringParameter(this, 'KillSwitch', {
      parameterName: switches.killSwitch,
      stringValue: 'off',
      description: 'on = automatic remediation only reports, it changes nothing (docs/runbooks/alarm-remediation.md)',
    });
    const dryRun = new ssm.StringParameter(this, 'DryRun', {
      parameterName: switches.dryRun,
      stringValue: 'off',
      description: 'on = every remediation says what it would do and does nothing (docs/runbooks/alarm-remediation.md)',
    });

    const remediation = config.remediation;
    this.function = new OpsFunction(this, 'Function', {
      config,
      functionName: 'alarm-remediation',
      description: 'Alarm remediation steps: read the event, guardrails, plan, scale out, restart, roll back, verify health, report',
      vpc: props.vpc,
      securityGroups: [props.securityGroup],
      encryptionKey: props.logsKey,
      environment: {
        PREFIX: config.prefix,
        CLUSTER_NAME: config.prefix,
        DB_INSTANCE_ID: `${config.prefix}-db`,
        KILL_SWITCH_PARAMETER: switches.killSwitch,
        DRY_RUN_PARAMETER: switches.dryRun,
        LOCK_MINUTES: String(remediation.lockMinutes),
        COOLDOWN_MINUTES: String(remediation.cooldownMinutes),
        SCALE_OUT_STEP: String(remediation.scaleOutStep),
        SCALE_OUT_DURATION_MINUTES: String(remediation.scaleOutDurationMinutes),
        SCALING_LIMITS: JSON.stringify(scalingLimits(config)),
        ALLOW_AUTOMATIC_ROLLBACK: String(remediation.allowAutomaticRollback),
        DEPLOYMENT_RECENT_MINUTES: String(remediation.deploymentRecentMinutes),
        HEALTH_URL: healthProbeUrl(config),
        HEALTH_CONSECUTIVE_SUCCESSES: String(config.healthProbe.consecutiveSuccesses),
        HEALTH_TIMEOUT_SECONDS: String(config.healthProbe.timeoutSeconds),
        HEALTH_WAIT_CAP_MINUTES: String(config.healthProbe.waitCapMinutes),
        RUNBOOK_DOCUMENT: 'docs/runbooks/alarm-remediation.md',
      },
    });
    this.grant(props, [killSwitch, dryRun]);

    this.stateMachine = new OpsStateMachine(this, 'StateMachine', {
      config,
      workflow: 'alarm-remediation',
      definition: this.definition(props.scalingOverride),
      // A remediation never outlives its lock: the next one may take over when this one is gone.
      timeout: Duration.minutes(remediation.lockMinutes),
      logsKey: props.logsKey,
    });
    acknowledgeWorkflowFindings(this.stateMachine, this.function);

    this.startFunction = new OpsFunction(this, 'StartFunction', {
      config,
      functionName: 'alarm-remediation-start',
      description: 'Starts the alarm remediation for an EventBridge event, named after the event id (duplicates start nothing)',
      vpc: props.vpc,
      securityGroups: [props.securityGroup],
      encryptionKey: props.logsKey,
      timeout: Duration.seconds(15),
      reservedConcurrentExecutions: 10,
      environment: { STATE_MACHINE_ARN: this.stateMachine.stateMachineArn },
    });
    this.stateMachine.grantStartExecution(this.startFunction);
    this.rules();
  }

  /** The three triggers, each to the start function; EventBridge retries, the function's DLQ keeps what still fails. */
  private rules(): void {
    const { config } = this;
    const target = new targets.LambdaFunction(this.startFunction, { retryAttempts: 4, maxEventAge: Duration.hours(1) });
    new events.Rule(this, 'AlarmRule', {
      ruleName: `${config.prefix}-remediation-alarms`,
      description: 'This environment\'s CloudWatch alarms going into ALARM start the alarm remediation, except the informational ones (autoscaling steps)',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        // This environment's alarms by ARN, so the name can carry the exclusion (a field takes one condition).
        resources: events.Match.prefix(`arn:aws:cloudwatch:${config.region}:${config.account}:alarm:${config.prefix}-`),
        detail: { alarmName: events.Match.anythingButWildcard(...config.remediation.informationalAlarms), state: { value: ['ALARM'] } },
      },
      targets: [target],
    });
    new events.Rule(this, 'DatabaseFailoverRule', {
      ruleName: `${config.prefix}-remediation-rds-failover`,
      description: 'A completed Multi-AZ failover of this environment\'s database starts the alarm remediation (health verification)',
      eventPattern: {
        source: ['aws.rds'],
        detailType: ['RDS DB Instance Event'],
        detail: { EventID: [...RDS_FAILOVER_EVENT_IDS], SourceIdentifier: [`${config.prefix}-db`] },
      },
      targets: [target],
    });
    new events.Rule(this, 'DeploymentFailureRule', {
      ruleName: `${config.prefix}-remediation-ecs-deployments`,
      description: 'A failed ECS deployment of this environment\'s services starts the alarm remediation',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Deployment State Change'],
        resources: events.Match.prefix(`arn:aws:ecs:${config.region}:${config.account}:service/${config.prefix}/`),
        detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
      },
      targets: [target],
    });
  }

  private grant(props: AlarmRemediationProps, parameters: ssm.IStringParameter[]): void {
    const { config } = props;
    const at = `${config.region}:${config.account}`;
    const fn = this.function;
    for (const parameter of parameters) parameter.grantRead(fn);
    fn.bindTable(this.table, { access: 'readWrite' });
    const cluster = config.prefix;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:DescribeServices', 'ecs:UpdateService', 'ecs:ListServiceDeployments'],
        resources: [`arn:aws:ecs:${at}:service/${cluster}/${config.prefix}-*`],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:DescribeServiceDeployments', 'ecs:DescribeServiceRevisions'],
        resources: [`arn:aws:ecs:${at}:service-deployment/${cluster}/*`, `arn:aws:ecs:${at}:service-revision/${cluster}/*`],
      }),
    );
    // DescribeScalableTargets has no resource-level permissions.
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['application-autoscaling:DescribeScalableTargets'], resources: ['*'] }));
    fn.bindTopic(props.topic);
    if (fn.role) {
      acknowledge(fn.role, 'DescribeScalableTargets (reading whether a service is at its max capacity) has no resource-level permissions.', ['AwsSolutions-IAM5[Resource::*]']);
      acknowledge(fn.role, 'Reading and writing locks and cooldowns in its own table encrypted with the ops key, as DynamoDB grantReadWriteData grants it.', [
        'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      ]);
      acknowledge(fn.role, 'The environment\'s services are <prefix>-frontend|backend|worker in cluster <prefix>; their deployments and revisions have ids ECS generates.', [
        `AwsSolutions-IAM5[Resource::arn:aws:ecs:${at}:service/${cluster}/${config.prefix}-*]`,
        `AwsSolutions-IAM5[Resource::arn:aws:ecs:${at}:service-deployment/${cluster}/*]`,
        `AwsSolutions-IAM5[Resource::arn:aws:ecs:${at}:service-revision/${cluster}/*]`,
      ]);
    }
  }

  private definition(scalingOverride: sfn.IStateMachine): sfn.IChainable {
    const S = ALARM_REMEDIATION_STATES;
    const { config } = this;
    const step = (stateName: string, payload: Record<string, unknown>, resultPath: string) =>
      new OpsLambdaStep(this, stateName, { lambdaFunction: this.function, payload, resultPath, transientRetry: { interval: Duration.seconds(3) } });
    const incident = sfn.JsonPath.objectAt('$.incident');
    const owner = sfn.JsonPath.stringAt('$$.Execution.Name');

    // Every path ends here: one OpsResult, then success or failure by what it says.
    const report = new OpsResultStep(this, S.report, {
      lambdaFunction: this.function,
      payload: { action: 'report' },
      notDelivered: reportNotDelivered(this, S.notDelivered),
      transientRetry: { interval: Duration.seconds(3) },
    });
    report.next(
      new sfn.Choice(this, S.outcome)
        .when(sfn.Condition.stringEquals('$.report.outcome', 'failed'), new sfn.Fail(this, S.failed, { error: 'RemediationFailed', causePath: sfn.JsonPath.stringAt('$.report.summary') }))
        .otherwise(new sfn.Succeed(this, S.done)),
    );

    // Released on every path that took it, success or failure; a lost release expires with the lock's TTL.
    const release = step(S.release, { action: 'releaseLock', incident, owner }, '$.release');
    catchTo(release, report, '$.releaseFailure');
    release.next(report);

    const startOverride = new tasks.StepFunctionsStartExecution(this, S.startOverride, {
      stateMachine: scalingOverride,
      name: sfn.JsonPath.format('remediation-{}', sfn.JsonPath.stringAt('$.incident.eventId')),
      // Associated with this execution: where production needs two people, the override's first state verifies from
      // this execution's history that the remediation (its cooldown, lock and kill switch) started it.
      input: sfn.TaskInput.fromObject(
        Object.fromEntries(['environment', 'service', 'min', 'max', 'durationMinutes', 'reason', 'requestedBy'].map((field) => [field, sfn.JsonPath.objectAt(`$.plan.override.${field}`)])),
      ),
      associateWithParent: true,
      resultSelector: { executionArn: sfn.JsonPath.stringAt('$.ExecutionArn') },
      resultPath: '$.action',
    });
    // A start is idempotent by its name: every failure is retried (a 5xx included, the start may have gone through),
    // except the answer that it already exists, which the Catch below reads as started.
    const alreadyExists = ['StepFunctions.ExecutionAlreadyExistsException', 'Sfn.ExecutionAlreadyExistsException'];
    startOverride.addRetry({ errors: alreadyExists, maxAttempts: 0 });
    startOverride.addRetry({ ...OpsLambdaStep.TRANSIENT_RETRY, interval: Duration.seconds(3), errors: [sfn.Errors.TASKS_FAILED] });
    // A retry after a start whose answer was lost: the override is running, which is what was wanted.
    const alreadyStarted = new sfn.Pass(this, S.overrideAlreadyStarted, {
      parameters: {
        alreadyStarted: true,
        executionArn: sfn.JsonPath.format(
          `arn:aws:states:${config.region}:${config.account}:execution:${stateMachineName(config.prefix, 'scaling-override')}:remediation-{}`,
          sfn.JsonPath.stringAt('$.incident.eventId'),
        ),
      },
      resultPath: '$.action',
    });
    startOverride.addCatch(alreadyStarted, { errors: alreadyExists, resultPath: '$.duplicateStart' });
    alreadyStarted.next(release);
    startOverride.next(release);

    const restart = step(S.restart, { action: 'restartService', incident }, '$.action');
    const rollBack = step(S.rollBack, { action: 'rollBack', incident, plan: sfn.JsonPath.objectAt('$.plan') }, '$.action');
    const probe = step(S.probe, { action: 'probeApplication', state: sfn.JsonPath.objectAt('$') }, '$.application');
    const waitProbe = new sfn.Wait(this, S.waitProbe, { time: sfn.WaitTime.duration(Duration.seconds(config.healthProbe.intervalSeconds)) });
    waitProbe.next(probe);
    probe.next(
      new sfn.Choice(this, S.healthy)
        .when(sfn.Condition.booleanEquals('$.application.healthy', true), release)
        .when(sfn.Condition.isPresent('$.application.stopReason'), release)
        .otherwise(waitProbe),
    );
    catchTo([startOverride, restart, rollBack, probe], release, '$.failure');
    restart.next(release);
    rollBack.next(release);

    const whichAction = new sfn.Choice(this, S.whichAction)
      .when(sfn.Condition.stringEquals('$.plan.action', 'scale-out'), startOverride)
      .when(sfn.Condition.stringEquals('$.plan.action', 'restart'), restart)
      .when(sfn.Condition.stringEquals('$.plan.action', 'roll-back'), rollBack)
      .when(sfn.Condition.stringEquals('$.plan.action', 'verify-health'), probe)
      .otherwise(release);
    const lock = step(S.lock, { action: 'takeLock', incident, plan: sfn.JsonPath.objectAt('$.plan'), owner }, '$.guard');
    // A failure part-way may have left the lock taken: release it (releasing what is not ours is a no-op).
    catchTo(lock, release, '$.failure');
    lock.next(new sfn.Choice(this, S.lockTaken).when(sfn.Condition.booleanEquals('$.guard.acquired', true), whichAction).otherwise(report));

    const dryRun = new sfn.Choice(this, S.dryRun).when(sfn.Condition.booleanEquals('$.switches.dryRun', true), report).otherwise(lock);
    const actionNeeded = new sfn.Choice(this, S.actionNeeded).when(sfn.Condition.stringEquals('$.plan.action', 'none'), report).otherwise(dryRun);

    const planScaleOut = step(S.planScaleOut, { action: 'planScaleOut', incident }, '$.plan');
    const planRestart = step(S.planRestart, { action: 'planRestart', incident }, '$.plan');
    const inspectDeployment = step(S.inspectDeployment, { action: 'inspectDeployment', incident }, '$.plan');
    const planHealth = new sfn.Pass(this, S.planHealth, {
      result: sfn.Result.fromObject({ action: 'verify-health', reason: 'confirm the application is healthy after the database failover' }),
      resultPath: '$.plan',
    });
    for (const plan of [planScaleOut, planRestart, inspectDeployment, planHealth]) plan.next(actionNeeded);

    const read = step(S.read, { action: 'readEvent', input: sfn.JsonPath.objectAt('$') }, '$.incident');
    const checkSwitches = step(S.switches, { action: 'checkSwitches', incident }, '$.switches');
    catchTo([read, checkSwitches, planScaleOut, planRestart, inspectDeployment], report, '$.failure');

    const runbook = new sfn.Choice(this, S.runbook)
      .when(sfn.Condition.stringEquals('$.incident.runbook', 'scale-out'), planScaleOut)
      .when(sfn.Condition.stringEquals('$.incident.runbook', 'restart'), planRestart)
      .when(sfn.Condition.stringEquals('$.incident.runbook', 'deployment'), inspectDeployment)
      .when(sfn.Condition.stringEquals('$.incident.runbook', 'verify-health'), planHealth)
      .otherwise(report);
    return read
      .next(checkSwitches)
      .next(new sfn.Choice(this, S.killSwitch).when(sfn.Condition.booleanEquals('$.switches.killSwitch', true), report).otherwise(runbook));
  }
}
