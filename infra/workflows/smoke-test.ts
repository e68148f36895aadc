import { Duration } from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DEPLOYMENT_EVENTS } from '../../functions/smoke-test/deployment.js';
import type { EnvironmentConfig } from '../config.js';
import { OpsFunction } from '../constructs/ops-function.js';
import { OpsLambdaStep, OpsResultStep, catchTo, reportNotDelivered } from '../constructs/ops-lambda-step.js';
import { OpsStateMachine } from '../constructs/ops-state-machine.js';
import { grantReleaseAccess } from '../constructs/release-access.js';
import { acknowledgeWorkflowFindings } from '../nag/acknowledge.js';
import { alarmName } from '../stacks/observability-stack.js';
import type { WorkflowProps } from '../constructs/workflow-props.js';

export interface SmokeTestProps extends WorkflowProps {
  /** The load balancer's target groups of the services that take traffic. */
  readonly targetGroups: Readonly<Record<'frontend' | 'backend', elbv2.IApplicationTargetGroup>>;
}

/** Names of the states, as an operator reads them in the console and the tests assert them. */
export const SMOKE_TEST_STATES = {
  read: 'Read the deployment',
  ours: 'This environment’s deployment?',
  ignored: 'Not this environment’s deployment',
  completed: 'Deployment completed?',
  start: 'Start the watch',
  check: 'Check the release',
  over: 'Watch over?',
  wait: 'Wait before the next round',
  verdict: 'Release passed the checks?',
  plan: 'Decide on a rollback',
  rollBack: 'Roll back?',
  rollingBack: 'Roll back to the previous task definition',
  report: 'Report the verdict',
  passed: 'Release passed?',
  succeeded: 'Release passed',
  failed: 'Release failed',
  notDelivered: 'Report not delivered',
} as const;

/** The public names browsers use, and the paths each service answers its health on. */
export function healthEndpoints(config: EnvironmentConfig): { name: string; url: string }[] {
  const { edge } = config;
  const first = edge.cdnRecordNames[0] ?? '';
  const host = first ? `${first}.${edge.domainName}` : edge.domainName;
  return (['frontend', 'backend'] as const).map((name) => ({ name, url: `https://${host}${config.services[name].healthCheckPath ?? '/'}` }));
}

/** The alarms that must stay OK while a release is watched. */
export function watchedAlarms(config: EnvironmentConfig): string[] {
  return (['frontend', 'backend'] as const).flatMap((service) => (['high-error-rate', 'high-latency'] as const).map((kind) => alarmName(config, service, kind)));
}

/**
 * The post-deploy smoke test: an EventBridge rule on this environment's ECS deployments (completed or failed)
 * invokes a small function that starts the state machine named `<service>-<deployment id>` (the release path waits
 * for that name; duplicates start nothing). The state machine reads the deployment from ECS, probes the health
 * endpoints through the public endpoint, reads the targets' health and the error-rate and latency alarms for a
 * bounded number of rounds, rolls a failed release back where config allows, and reports the verdict to Slack.
 */
export class SmokeTest extends Construct {
  public readonly function: OpsFunction;
  public readonly startFunction: OpsFunction;
  public readonly stateMachine: sfn.StateMachine;
  private readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: SmokeTestProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    const smoke = config.smokeTest;

    this.function = new OpsFunction(this, 'Function', {
      config,
      functionName: 'smoke-test',
      description: 'Smoke test steps: read the deployment, check a round (health endpoints, targets, alarms), roll back, report',
      vpc: props.vpc,
      securityGroups: [props.securityGroup],
      encryptionKey: props.logsKey,
      environment: {
        ACCOUNT_ID: config.account,
        CLUSTER_NAME: config.prefix,
        SERVICE_PREFIX: `${config.prefix}-`,
        HEALTH_ENDPOINTS: JSON.stringify(healthEndpoints(config)),
        TARGET_GROUPS: JSON.stringify(Object.entries(props.targetGroups).map(([name, group]) => ({ name, arn: group.targetGroupArn }))),
        ALARM_NAMES: watchedAlarms(config).join(','),
        ROUNDS: String(smoke.rounds),
        POLL_SECONDS: String(smoke.pollSeconds),
        MAX_CONSECUTIVE_FAILURES: String(smoke.maxConsecutiveFailures),
        PROBE_TIMEOUT_SECONDS: String(config.healthProbe.timeoutSeconds),
        ROLLBACK: smoke.rollback,
        SLACK_COMMAND: config.slack.command,
      },
    });
    this.function.bindTopic(props.topic);
    this.grant();

    this.stateMachine = new OpsStateMachine(this, 'StateMachine', {
      config,
      workflow: 'smoke-test',
      definition: this.definition(),
      // Every round with its wait and retries, the rollback and the report.
      timeout: Duration.minutes(Math.ceil((smoke.rounds * (smoke.pollSeconds + 60)) / 60) + 15),
      logsKey: props.logsKey,
    });
    acknowledgeWorkflowFindings(this.stateMachine, this.function);

    this.startFunction = new OpsFunction(this, 'StartFunction', {
      config,
      functionName: 'smoke-test-start',
      description: 'Starts the smoke test of an ECS deployment, named <service>-<deployment id> (duplicates start nothing)',
      vpc: props.vpc,
      securityGroups: [props.securityGroup],
      encryptionKey: props.logsKey,
      timeout: Duration.seconds(15),
      environment: { STATE_MACHINE_ARN: this.stateMachine.stateMachineArn },
    });
    this.stateMachine.grantStartExecution(this.startFunction);
    new events.Rule(this, 'DeploymentRule', {
      ruleName: `${config.prefix}-smoke-test-deployments`,
      description: 'Completed and failed ECS deployments of this environment\'s services start the smoke test',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Deployment State Change'],
        resources: events.Match.prefix(`arn:aws:ecs:${config.region}:${config.account}:service/${config.prefix}/`),
        detail: { eventName: [...DEPLOYMENT_EVENTS] },
      },
      targets: [new targets.LambdaFunction(this.startFunction, { retryAttempts: 4, maxEventAge: Duration.hours(1) })],
    });
  }

  private grant(): void {
    const { config } = this;
    grantReleaseAccess(this.function, config, { actions: ['elasticloadbalancing:DescribeTargetHealth'], what: 'reading the targets' });
    const at = `${config.region}:${config.account}`;
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: watchedAlarms(config).map((name) => `arn:aws:cloudwatch:${at}:alarm:${name}`) }));
  }

  private definition(): sfn.IChainable {
    const S = SMOKE_TEST_STATES;
    const step = (stateName: string, payload: Record<string, unknown>, resultPath: string) => new OpsLambdaStep(this, stateName, { lambdaFunction: this.function, payload, resultPath });
    const deployment = sfn.JsonPath.objectAt('$.deployment');

    // Every path that read a deployment ends here: one OpsResult, then success or failure by its verdict.
    const report = new OpsResultStep(this, S.report, { lambdaFunction: this.function, payload: { action: 'report' }, notDelivered: reportNotDelivered(this, S.notDelivered) });
    report.next(
      new sfn.Choice(this, S.passed)
        .when(sfn.Condition.stringEquals('$.report.verdict', 'passed'), new sfn.Succeed(this, S.succeeded))
        .when(sfn.Condition.stringEquals('$.report.verdict', 'ignored'), new sfn.Succeed(this, S.ignored))
        .otherwise(new sfn.Fail(this, S.failed, { error: 'SmokeTestFailed', causePath: sfn.JsonPath.stringAt('$.report.summary') })),
    );

    const rollingBack = step(S.rollingBack, { action: 'rollBack', deployment }, '$.rollback');
    catchTo(rollingBack, report, '$.rollbackFailure');
    rollingBack.next(report);
    const plan = step(S.plan, { action: 'planRollback', deployment }, '$.plan');
    plan.next(new sfn.Choice(this, S.rollBack).when(sfn.Condition.stringEquals('$.plan.action', 'roll-back'), rollingBack).otherwise(report));

    // Bounded: the function calls the watch over after the configured rounds (or sooner, on a failure).
    const check = step(S.check, { action: 'checkRound', previous: sfn.JsonPath.objectAt('$.watch') }, '$.watch');
    const wait = new sfn.Wait(this, S.wait, { time: sfn.WaitTime.duration(Duration.seconds(this.config.smokeTest.pollSeconds)) });
    wait.next(check);
    check.next(
      new sfn.Choice(this, S.over)
        .when(sfn.Condition.booleanEquals('$.watch.done', false), wait)
        .otherwise(new sfn.Choice(this, S.verdict).when(sfn.Condition.stringEquals('$.watch.verdict', 'passed'), report).otherwise(plan)),
    );

    const read = step(S.read, { action: 'readDeployment', input: sfn.JsonPath.objectAt('$') }, '$.deployment');
    // A step that fails before the verdict is reported as such; nothing was changed by then.
    catchTo([read, check, plan], report, '$.failure');
    // The first round starts from nothing: no rounds yet.
    const start = new sfn.Pass(this, S.start, { result: sfn.Result.fromObject({ rounds: 0 }), resultPath: '$.watch' });
    start.next(check);
    const completed = new sfn.Choice(this, S.completed)
      .when(sfn.Condition.stringEquals('$.deployment.eventName', 'SERVICE_DEPLOYMENT_FAILED'), plan)
      .otherwise(start);
    return read.next(
      new sfn.Choice(this, S.ours).when(sfn.Condition.booleanEquals('$.deployment.ignored', true), report).otherwise(completed),
    );
  }
}
