import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/**
 * The Retry every workflow step carries, in one place. Lambda steps retry what our functions raise for throttling,
 * 5xx and network failures (`TransientError`, functions/lib/transient-error.ts) and Lambda's own service errors; a
 * step that is safe to run twice also retries `Sandbox.Timedout` (the function timed out, maybe after its work was
 * done). SDK-integration steps retry every task failure of an idempotent call.
 */

/** Lambda's service-side failures, as the Step Functions Lambda integration names them. */
export const LAMBDA_SERVICE_ERRORS = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

/** A function that ran out of time: its work may be done, so only idempotent steps retry it. */
export const LAMBDA_TIMEOUT = 'Sandbox.Timedout';

export interface TransientRetryOptions {
  /** The step reads before it writes (or only reads): running it again after a timeout changes nothing twice. @default true */
  readonly idempotent?: boolean;
  /** @default 3 seconds */
  readonly interval?: Duration;
  /** @default 4 */
  readonly maxAttempts?: number;
}

/** Adds the transient-error Retry of a Lambda step: backoff 2, full jitter, capped at a minute. */
export function addLambdaRetry(task: sfn.TaskStateBase, options: TransientRetryOptions = {}): void {
  task.addRetry({
    errors: ['TransientError', ...LAMBDA_SERVICE_ERRORS, ...((options.idempotent ?? true) ? [LAMBDA_TIMEOUT] : [])],
    interval: options.interval ?? Duration.seconds(3),
    maxAttempts: options.maxAttempts ?? 4,
    backoffRate: 2,
    maxDelay: Duration.minutes(1),
    jitterStrategy: sfn.JitterType.FULL,
  });
}

/** Adds the Retry of an idempotent AWS SDK integration step: any task failure, with backoff and full jitter. */
export function addSdkRetry(task: sfn.TaskStateBase, options: Omit<TransientRetryOptions, 'idempotent'> = {}): void {
  task.addRetry({
    errors: ['States.TaskFailed'],
    interval: options.interval ?? Duration.seconds(3),
    maxAttempts: options.maxAttempts ?? 4,
    backoffRate: 2,
    maxDelay: Duration.minutes(1),
    jitterStrategy: sfn.JitterType.FULL,
  });
}
