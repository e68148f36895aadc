import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { stateMachineArn, stateMachineName } from '../../functions/lib/workflows.js';
import { scalingLimits } from '../config.js';
import { SERVICES } from '../../contracts/environments.js';
import { SCALABLE_SERVICE_TAG } from '../constructs/app-service.js';
import { OpsFunction } from '../constructs/ops-function.js';
import { OpsLambdaStep, OpsResultStep, catchTo, reportNotDelivered } from '../constructs/ops-lambda-step.js';
import { OpsStateMachine } from '../constructs/ops-state-machine.js';
import { acknowledge, acknowledgeWorkflowFindings } from '../nag/acknowledge.js';
import type { ApprovalGate } from '../constructs/approval-gate.js';
import type { GatedWorkflowProps } from '../constructs/workflow-props.js';

export type ScalingOverrideProps = GatedWorkflowProps;

/** Names of the states, as an operator reads them in the console and the tests assert them. */
export const SCALING_OVERRIDE_STATES = {
  validate: 'Validate request',
  replace: 'Replace earlier overrides',
  record: 'Record current scaling',
  revertRequested: 'Early revert requested?',
  apply: 'Apply override',
  reportApplied: 'Report override applied',
  wait: 'Wait until the override ends',
  restore: 'Restore baseline scaling',
  reportEnded: 'Report override ended',
  ended: 'Override ended',
  reportRejected: 'Report rejected request',
  rejected: 'Override rejected',
  reportFailure: 'Report override failure',
  failed: 'Override failed',
  notDelivered: 'Report not delivered',
} as const;

/**
 * A time-limited change of a service's autoscaling bounds (Application Auto Scaling min/max, never the desired
 * count): validated, applied after stopping any earlier override of the same service, reverted to the configured
 * baseline by a Wait in the same execution, each change reported. Started by the CLI, Slack or the remediation.
 */
export class ScalingOverride extends Construct {
  public readonly function: OpsFunction;
  public readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: ScalingOverrideProps) {
    super(scope, id);
    const { config } = props;
    // By the naming convention, not the token: the function must not depend on the state machine that invokes it.
    const ownArn = stateMachineArn(config.region, config.account, config.prefix, 'scaling-override');

    this.function = new OpsFunction(this, 'Function', {
      config,
      functionName: 'scaling-override',
      description: 'Scaling override steps: validate, replace earlier overrides, apply and restore autoscaling bounds, report',
      vpc: props.vpc,
      securityGroups: [props.securityGroup],
      encryptionKey: props.logsKey,
      environment: {
        CLUSTER_NAME: config.prefix,
        SERVICE_PREFIX: `${config.prefix}-`,
        STATE_MACHINE_ARN: ownArn,
        SCALING_LIMITS: JSON.stringify(scalingLimits(config)),
      },
    });
    this.grant(props, ownArn);

    this.stateMachine = new OpsStateMachine(this, 'StateMachine', {
      config,
      workflow: 'scaling-override',
      definition: this.definition(props.approvalGate),
      // The longest override plus time for the revert and its retries.
      timeout: Duration.minutes(config.remediation.maxOverrideMinutes + 60),
      logsKey: props.logsKey,
    });
    acknowledgeWorkflowFindings(this.stateMachine, this.function);
  }

  private grant(props: ScalingOverrideProps, ownArn: string): void {
    const { config } = props;
    const at = `${config.region}:${config.account}`;
    const fn = this.function;
    // DescribeScalableTargets has no resource-level permissions; registering bounds is limited to this environment's
    // three services by the tag their scalable targets carry (targets are named by generated ids).
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['application-autoscaling:DescribeScalableTargets'], resources: ['*'] }));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['application-autoscaling:RegisterScalableTarget'],
        resources: [`arn:aws:application-autoscaling:${at}:scalable-target/*`],
        conditions: { StringEquals: { [`aws:ResourceTag/${SCALABLE_SERVICE_TAG}`]: SERVICES.map((service) => `${config.prefix}-${service}`) } },
      }),
    );
    // Registering an ECS service's bounds checks the caller may describe and update that service.
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeServices', 'ecs:UpdateService'], resources: [`arn:aws:ecs:${at}:service/${config.prefix}/${config.prefix}-*`] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [ownArn] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:StopExecution'], resources: [`arn:aws:states:${at}:execution:${stateMachineName(config.prefix, 'scaling-override')}:*`] }));
    fn.bindTopic(props.topic);
    if (fn.role) {
      acknowledge(fn.role, 'DescribeScalableTargets has no resource-level permissions; RegisterScalableTarget is limited by tag to the three services of this environment.', [
        'AwsSolutions-IAM5[Resource::*]',
      ]);
      acknowledge(fn.role, 'Scalable targets are named by generated ids; the tag condition names the three services of this environment.', [
        `AwsSolutions-IAM5[Resource::arn:aws:application-autoscaling:${at}:scalable-target/*]`,
      ]);
      acknowledge(fn.role, 'The environment\'s services are <prefix>-frontend|backend|worker in cluster <prefix>; the pattern names only them.', [
        `AwsSolutions-IAM5[Resource::arn:aws:ecs:${at}:service/${config.prefix}/${config.prefix}-*]`,
      ]);
      acknowledge(fn.role, 'A newer override stops the older executions of this state machine; their names are chosen by whoever starts them.', [
        `AwsSolutions-IAM5[Resource::arn:aws:states:${at}:execution:${stateMachineName(config.prefix, 'scaling-override')}:*]`,
      ]);
    }
  }

  private definition(approvalGate: ApprovalGate | undefined): sfn.IChainable {
    const S = SCALING_OVERRIDE_STATES;
    const step = (stateName: string, payload: Record<string, unknown>, resultPath: string) =>
      new OpsLambdaStep(this, stateName, { lambdaFunction: this.function, payload, resultPath });
    const request = sfn.JsonPath.objectAt('$.request');
    const notDelivered = reportNotDelivered(this, S.notDelivered);
    const report = (stateName: string, stage: string, undelivered: sfn.IChainable = notDelivered) =>
      new OpsResultStep(this, stateName, { lambdaFunction: this.function, payload: { action: 'report', stage }, notDelivered: undelivered });
    const reportFailure = report(S.reportFailure, 'failed');
    reportFailure.next(new sfn.Fail(this, S.failed, { error: 'OverrideFailed', causePath: sfn.JsonPath.stringAt('$.report.summary') }));
    const reportRejected = report(S.reportRejected, 'rejected');
    reportRejected.next(new sfn.Fail(this, S.rejected, { error: 'InvalidOverride', causePath: sfn.JsonPath.stringAt('$.report.summary') }));

    const reportEnded = report(S.reportEnded, 'ended');
    reportEnded.next(new sfn.Succeed(this, S.ended));
    const restore = step(S.restore, { action: 'restoreBaseline', state: sfn.JsonPath.objectAt('$') }, '$.reverted');
    restore.next(reportEnded);

    const wait = new sfn.Wait(this, S.wait, { time: sfn.WaitTime.timestampPath('$.override.revertAt') });
    wait.next(restore);
    // The override is in force: a lost message must not cost it its revert.
    const reportApplied = report(S.reportApplied, 'applied', wait);
    reportApplied.next(wait);
    const apply = step(S.apply, { action: 'applyOverride', request }, '$.override');
    apply.next(reportApplied);

    const validate = step(S.validate, { action: 'validateRequest', input: sfn.JsonPath.objectAt('$') }, '$.request');
    catchTo(validate, reportRejected, '$.failure', ['InvalidOverride']);
    const replace = step(
      S.replace,
      { action: 'replaceEarlierOverrides', request, executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'), startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime') },
      '$.replaced',
    );
    const record = step(S.record, { action: 'recordCurrentScaling', request }, '$.current');
    catchTo([validate, replace, record, apply, restore], reportFailure, '$.failure');

    const override = validate
      .next(replace)
      .next(record)
      .next(new sfn.Choice(this, S.revertRequested).when(sfn.Condition.stringEquals('$.request.action', 'revert'), restore).otherwise(apply));
    return approvalGate?.guards('scaling-override') ? approvalGate.firstState(this, 'scaling-override').next(override) : override;
  }
}
