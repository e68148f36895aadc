import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { stateMachineName } from '../../functions/lib/workflows.js';
import type { WorkflowName } from '../../contracts/workflows.js';
import type { EnvironmentConfig } from '../config.js';

export interface OpsStateMachineProps {
  readonly config: EnvironmentConfig;
  /** Names the state machine `<prefix>-<workflow>`, as Slack and the CLI start it. */
  readonly workflow: WorkflowName;
  /** The workflow's states, written in JSONPath so it runs unchanged in the local executor. */
  readonly definition: sfn.IChainable;
  /** Longer than the longest path through the workflow. */
  readonly timeout: Duration;
  /** Encrypts the execution log group. */
  readonly logsKey: kms.IKey;
}

/**
 * A workflow as every workflow of this project runs: a Standard state machine named for the operator, traced
 * in X-Ray, every execution's events and data logged to a KMS-encrypted log group kept as long as the ops logs (a year in production).
 */
export class OpsStateMachine extends sfn.StateMachine {
  private readonly props: OpsStateMachineProps;

  constructor(scope: Construct, id: string, props: OpsStateMachineProps) {
    const name = stateMachineName(props.config.prefix, props.workflow);
    const destination = new logs.LogGroup(scope, `${id}Logs`, {
      logGroupName: `/aws/vendedlogs/states/${name}`,
      retention: props.config.audit.opsLogRetentionDays as logs.RetentionDays,
      encryptionKey: props.logsKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
      timeout: props.timeout,
      tracingEnabled: true,
      logs: { destination, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.props = props;
  }

  /**
   * Starts the workflow on a schedule named like the state machine, as requested by `schedule` at the scheduled time
   * (what the report names and what makes the start idempotent), `input` first; the Scheduler retries a start twice.
   */
  schedule(expression: string, description: string, input: Readonly<Record<string, unknown>> = {}): scheduler.Schedule {
    // Beside the state machine, in the workflow's construct (a state machine is never the root): the workflow's `Schedule`.
    return new scheduler.Schedule(this.node.scope as Construct, 'Schedule', {
      scheduleName: stateMachineName(this.props.config.prefix, this.props.workflow),
      description,
      schedule: scheduler.ScheduleExpression.expression(expression),
      target: new schedulerTargets.StepFunctionsStartExecution(this, {
        input: scheduler.ScheduleTargetInput.fromObject({ ...input, requestedBy: 'schedule', scheduledTime: scheduler.ContextAttribute.scheduledTime }),
        retryAttempts: 2,
      }),
    });
  }
}
