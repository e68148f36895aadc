import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/**
 * The Retry of an AWS SDK integration step whose call is idempotent (a read, a forced deployment, a start by name):
 * every task failure is retried with backoff and full jitter, since a 5xx may hide a call that went through and
 * running it again changes nothing. Lambda steps get theirs from OpsLambdaStep.
 */
export function addSdkRetry(task: sfn.TaskStateBase, options: { readonly interval?: Duration; readonly maxAttempts?: number } = {}): void {
  task.addRetry({
    errors: [sfn.Errors.TASKS_FAILED],
    interval: options.interval ?? Duration.seconds(3),
    maxAttempts: options.maxAttempts ?? 4,
    backoffRate: 2,
    maxDelay: Duration.minutes(1),
    jitterStrategy: sfn.JitterType.FULL,
  });
}
