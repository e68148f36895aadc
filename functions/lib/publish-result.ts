import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type OpsResult, type OpsResultInput, opsResultSchema } from '../../contracts/ops-result.js';

/**
 * Publishes a workflow's OpsResult to the notification topic (Slack reads it from there). The result is validated
 * first, so a malformed one fails the step instead of reaching Slack half-readable.
 */
export async function publishOpsResult(sns: SNSClient, topicArn: string, input: OpsResultInput): Promise<OpsResult> {
  const result = opsResultSchema.parse(input);
  await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      // SNS subjects: at most 100 printable ASCII characters.
      Subject: `${result.workflow} ${result.outcome} in ${result.environment}`.slice(0, 100),
      Message: JSON.stringify(result),
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'OpsResult' },
        workflow: { DataType: 'String', StringValue: result.workflow },
        severity: { DataType: 'String', StringValue: result.severity },
      },
    }),
  );
  return result;
}
