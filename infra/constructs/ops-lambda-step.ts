import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

export interface OpsLambdaStepProps extends Omit<tasks.LambdaInvokeProps, 'payload' | 'payloadResponseOnly'> {
  /** The event the function receives; `sfn.JsonPath` values are read from the state. */
  readonly payload: Readonly<Record<string, unknown>>;
  /**
   * The retry of the function's transient failures, merged over the default; `false` leaves it out.
   * @default OpsLambdaStep.TRANSIENT_RETRY
   */
  readonly transientRetry?: Partial<sfn.RetryProps> | false;
  /**
   * Running the step again after it timed out is safe (it reads before it writes, or only reads): the transient retry
   * then covers `Sandbox.Timedout` too, so work done before a timeout is not reported as a failure.
   * @default true
   */
  readonly idempotent?: boolean;
}

/**
 * A Task invoking an ops function, its response as the result (payloadResponseOnly). As LambdaInvoke builds in the
 * retry of Lambda's service exceptions (`retryOnServiceExceptions`), this builds in the retry every ops step needs
 * on top: the function's `TransientError` (functions/lib/transient-error.ts: throttles, 5xx, network) and, for an
 * idempotent step, the function's own timeout (`Sandbox.Timedout`), with backoff and full jitter.
 */
export class OpsLambdaStep extends tasks.LambdaInvoke {
  /** TransientError: 5 s, then 10, 20, 40 (each jittered), four attempts in all. */
  public static readonly TRANSIENT_RETRY: sfn.RetryProps = {
    errors: ['TransientError'],
    interval: Duration.seconds(5),
    maxAttempts: 4,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  };

  /**
   * The step that publishes a workflow's result retries every failure (a crash, a refusal) a few more times: it is
   * idempotent (one more message at worst) and it is the one message on-call must get. What still fails fails the
   * execution, whose alarm tells on-call.
   */
  public static readonly REPORT_RETRY: sfn.RetryProps = {
    errors: [sfn.Errors.TASKS_FAILED],
    interval: Duration.seconds(5),
    maxAttempts: 3,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  };

  /** What a function raises when it ran out of time, maybe after its work was done. */
  public static readonly TIMEOUT = 'Sandbox.Timedout';

  constructor(scope: Construct, id: string, props: OpsLambdaStepProps) {
    const { transientRetry, idempotent, payload, ...invoke } = props;
    super(scope, id, { ...invoke, payloadResponseOnly: true, payload: sfn.TaskInput.fromObject({ ...payload }) });
    if (transientRetry === false) return;
    const errors = transientRetry?.errors ?? [...(OpsLambdaStep.TRANSIENT_RETRY.errors ?? []), ...((idempotent ?? true) ? [OpsLambdaStep.TIMEOUT] : [])];
    this.addRetry({ ...OpsLambdaStep.TRANSIENT_RETRY, ...transientRetry, errors });
  }
}

export interface OpsResultStepProps extends Omit<OpsLambdaStepProps, 'payload' | 'resultPath'> {
  /** The function's `action` and what it needs beside the state, the execution's ARN and its start. */
  readonly payload: Readonly<{ action: string } & Record<string, unknown>>;
  /** Where a result that still cannot be published after the retries goes: a Fail saying why, as a rule. */
  readonly notDelivered: sfn.IChainable;
}

/**
 * The step that publishes a workflow's result: the function gets the whole state, the execution's ARN and its start;
 * the answer is at `$.report`. It retries as every result step does (REPORT_RETRY); what still fails goes to
 * `notDelivered` with the error at `$.reportFailure`, and the failed execution's alarm tells on-call.
 */
export class OpsResultStep extends OpsLambdaStep {
  constructor(scope: Construct, id: string, props: OpsResultStepProps) {
    const { payload, notDelivered, ...step } = props;
    super(scope, id, {
      ...step,
      payload: { ...payload, state: sfn.JsonPath.objectAt('$'), executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'), startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime') },
      resultPath: '$.report',
    });
    this.addRetry(OpsLambdaStep.REPORT_RETRY);
    catchTo(this, notDelivered, '$.reportFailure');
  }
}

/** The end of an execution whose result could not be published: failed, with the publishing error as its cause. */
export const reportNotDelivered = (scope: Construct, stateName: string, error = 'ReportNotDelivered') =>
  new sfn.Fail(scope, stateName, { error, causePath: sfn.JsonPath.stringAt('$.reportFailure.Cause') });

/** A state that can catch: a Task, Map or Parallel. */
export interface Catching {
  addCatch(handler: sfn.IChainable, props?: sfn.CatchProps): unknown;
}

/** What `states` do not retry goes to `handler`, with the error at `resultPath` (every error unless `errors` says). */
export function catchTo(states: Catching | readonly Catching[], handler: sfn.IChainable, resultPath: string, errors: readonly string[] = [sfn.Errors.ALL]): void {
  for (const state of Array.isArray(states) ? states : [states]) state.addCatch(handler, { errors: [...errors], resultPath });
}
