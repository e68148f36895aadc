import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ApprovalGate } from '../constructs/approval-gate.js';
import { OpsFunction } from '../constructs/ops-function.js';
import { OpsLambdaStep, OpsResultStep, catchTo, reportNotDelivered } from '../constructs/ops-lambda-step.js';
import { OpsStateMachine } from '../constructs/ops-state-machine.js';
import { grantReleaseAccess } from '../constructs/release-access.js';
import { acknowledgeWorkflowFindings } from '../nag/acknowledge.js';
import type { GatedWorkflowProps } from '../constructs/workflow-props.js';

export type RollbackProps = GatedWorkflowProps;

/** Names of the states, as an operator reads them in the console and the tests assert them. */
export const ROLLBACK_STATES = {
  read: 'Read the release',
  decide: 'Roll back?',
  rollBack: 'Roll back to the previous task definition',
  report: 'Report the rollback',
  outcome: 'Rolled back?',
  succeeded: 'Rolled back',
  notRolledBack: 'Not rolled back',
  failed: 'Rollback failed',
  notDelivered: 'Report not delivered',
} as const;

/**
 * A service back to the task definition its latest release replaced, asked for by a person (`/ops rollback`,
 * `fhops rollback`, the smoke test's failed verdict says how): reads the release from ECS, refuses a rollback of a
 * rollback or one with nothing on record, updates the service and reads back its primary deployment, reports. In
 * production its first state verifies a second person's approval of this exact input (config.fourEyes).
 */
export class Rollback extends Construct {
  public readonly function: OpsFunction;
  public readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: RollbackProps) {
    super(scope, id);
    const { config } = props;

    this.function = new OpsFunction(this, 'Function', {
      config,
      functionName: 'rollback',
      description: 'Rollback steps: read the release, roll back to the task definition it replaced and read back, report',
      vpc: props.vpc,
      securityGroups: [props.securityGroup],
      encryptionKey: props.logsKey,
      environment: { CLUSTER_NAME: config.prefix, SERVICE_PREFIX: `${config.prefix}-` },
    });
    this.function.bindTopic(props.topic);
    grantReleaseAccess(this.function, config);

    this.stateMachine = new OpsStateMachine(this, 'StateMachine', {
      config,
      workflow: 'rollback',
      definition: this.definition(props.approvalGate),
      timeout: Duration.minutes(15),
      logsKey: props.logsKey,
    });
    acknowledgeWorkflowFindings(this.stateMachine, this.function);
  }

  private definition(approvalGate: ApprovalGate | undefined): sfn.IChainable {
    const S = ROLLBACK_STATES;
    const gated = approvalGate?.guards('rollback') ?? false;
    const step = (stateName: string, payload: Record<string, unknown>, resultPath: string) => new OpsLambdaStep(this, stateName, { lambdaFunction: this.function, payload, resultPath });

    const report = new OpsResultStep(this, S.report, { lambdaFunction: this.function, payload: { action: 'report' }, notDelivered: reportNotDelivered(this, S.notDelivered) });
    report.next(
      new sfn.Choice(this, S.outcome)
        .when(sfn.Condition.stringEquals('$.report.verdict', 'rolled-back'), new sfn.Succeed(this, S.succeeded))
        .when(sfn.Condition.stringEquals('$.report.verdict', 'not-rolled-back'), new sfn.Fail(this, S.notRolledBack, { error: 'NotRolledBack', causePath: sfn.JsonPath.stringAt('$.report.summary') }))
        .otherwise(new sfn.Fail(this, S.failed, { error: 'RollbackFailed', causePath: sfn.JsonPath.stringAt('$.report.summary') })),
    );

    const rollBack = step(S.rollBack, { action: 'rollBack', release: sfn.JsonPath.objectAt('$.read.release') }, '$.rolledBack');
    rollBack.next(report);
    const read = step(
      S.read,
      // The input as it started (an approved one was verified against exactly that), and who approved it.
      { action: 'readRelease', input: sfn.JsonPath.objectAt('$$.Execution.Input'), ...(gated ? { approval: sfn.JsonPath.objectAt('$.approval') } : {}) },
      '$.read',
    );
    catchTo([read, rollBack], report, '$.failure');
    read.next(new sfn.Choice(this, S.decide).when(sfn.Condition.stringEquals('$.read.plan.action', 'roll-back'), rollBack).otherwise(report));
    return gated && approvalGate ? approvalGate.firstState(this, 'rollback').next(read) : read;
  }
}
