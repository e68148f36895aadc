import { Duration } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwactions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';

export interface ExecutionFailureAlarmsProps {
  readonly config: EnvironmentConfig;
  /** Every workflow of the stack: each gets its own alarm. */
  readonly stateMachines: readonly sfn.StateMachine[];
  /** Encrypts the escalation topic; CloudWatch alarms may publish with it. */
  readonly encryptionKey: kms.IKey;
}

/**
 * An alarm per workflow on its failed, timed-out and aborted executions, reaching the critical Slack channel by a path
 * of its own: an escalation topic that AWS Chatbot posts from. Neither the notification topic nor the notify-slack
 * function is on that path, so a workflow that could not publish its result (SNS throttled, a Lambda crashed, the
 * Slack webhook failed) still reaches on-call.
 */
export class ExecutionFailureAlarms extends Construct {
  public readonly topic: sns.Topic;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ExecutionFailureAlarmsProps) {
    super(scope, id);
    const { config } = props;
    this.topic = new sns.Topic(this, 'Escalations', {
      topicName: `${config.prefix}-workflow-escalations`,
      displayName: `FinanceHub ${config.name} workflow executions that failed`,
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    const escalate = new cwactions.SnsAction(this.topic);
    for (const stateMachine of props.stateMachines) {
      const name = (stateMachine.node.defaultChild as sfn.CfnStateMachine).stateMachineName ?? stateMachine.node.path;
      const period = Duration.minutes(1);
      const alarm = new cloudwatch.Alarm(this, `${stateMachine.node.id}${stateMachine.node.scope?.node.id ?? ''}`, {
        alarmName: `${name}-executions-failed`,
        alarmDescription: `An execution of ${name} failed, timed out or was aborted: its own result may not have reached Slack. Open the execution in the Step Functions console. Runbook: docs/runbooks/${name.slice(config.prefix.length + 1)}.md`,
        metric: new cloudwatch.MathExpression({
          expression: 'failed + timedOut + aborted',
          usingMetrics: {
            failed: stateMachine.metricFailed({ period, statistic: 'Sum' }),
            timedOut: stateMachine.metricTimedOut({ period, statistic: 'Sum' }),
            aborted: stateMachine.metricAborted({ period, statistic: 'Sum' }),
          },
          label: 'Executions failed, timed out or aborted',
          period,
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(escalate);
      this.alarms.push(alarm);
    }
    new chatbot.SlackChannelConfiguration(this, 'CriticalChannel', {
      slackChannelConfigurationName: `${config.prefix}-critical`,
      slackWorkspaceId: config.slack.workspaceId,
      slackChannelId: config.slack.criticalChannelId,
      notificationTopics: [this.topic],
      loggingLevel: chatbot.LoggingLevel.ERROR,
    });
  }
}
