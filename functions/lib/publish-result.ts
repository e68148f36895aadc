import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type OpsResult, type OpsResultInput, opsResultSchema } from '../../contracts/ops-result.js';
import { awsCall } from './transient-error.js';

/**
 * Publishes a workflow's OpsResult to the notification topic (Slack reads it from there). The result is validated
 * first, so a malformed one fails the step instead of reaching Slack half-readable. A throttle or 5xx comes back as
 * `TransientError`, which the step's Retry absorbs: a lost message must not turn into a failed workflow.
 */
export async function publishOpsResult(sns: SNSClient, topicArn: string, input: OpsResultInput): Promise<OpsResult> {
  const result = opsResultSchema.parse(input);
  const command = new PublishCommand({
    TopicArn: topicArn,
    // SNS subjects: at most 100 printable ASCII characters.
    Subject: `${result.workflow} ${result.outcome} in ${result.environment}`.slice(0, 100),
    Message: JSON.stringify(result),
    MessageAttributes: {
      kind: { DataType: 'String', StringValue: 'OpsResult' },
      workflow: { DataType: 'String', StringValue: result.workflow },
      severity: { DataType: 'String', StringValue: result.severity },
    },
  });
  await awsCall(`publishing the ${result.workflow} result`, () => sns.send(command));
  return result;
}
