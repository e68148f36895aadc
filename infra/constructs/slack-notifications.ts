import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwactions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { acknowledge } from '../nag/acknowledge.js';
import { OpsFunction } from './ops-function.js';
import { OpsTable } from './ops-table.js';

export interface SlackNotificationsProps {
  readonly config: EnvironmentConfig;
  /** Everything published here reaches Slack. */
  readonly topic: sns.ITopic;
  /** `{ opsWebhookUrl, incidentsWebhookUrl }`. */
  readonly slackSecret: secretsmanager.ISecret;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Encrypts the flap-state table. */
  readonly encryptionKey: kms.IKey;
  /** Encrypts log groups and dead-letter queues. */
  readonly logsKey: kms.IKey;
}

/**
 * The notification topic's way to Slack: the notify-slack function with its flap-state table, dead-letter queues
 * for both SNS delivery and the function's retries, and an alarm when anything lands in them.
 */
export class SlackNotifications extends Construct {
  public readonly function: OpsFunction;
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: SlackNotificationsProps) {
    super(scope, id);
    const { config } = props;
    this.table = new OpsTable(this, 'FlapState', {
      tableName: `${config.prefix}-notify-slack`,
      encryptionKey: props.encryptionKey,
      shortLivedBecause: 'Flap state and posted-message ids live at most a week (TTL); point-in-time recovery covers mistakes.',
    });

    this.function = new OpsFunction(this, 'Function', {
      config,
      functionName: 'notify-slack',
      description: 'Posts alarms, RDS and ECS events and workflow results to Slack as Block Kit messages',
      vpc: props.vpc,
      securityGroups: [props.securityGroup],
      encryptionKey: props.logsKey,
      // Long enough for a bounded Retry-After and backoff on each record.
      timeout: Duration.seconds(120),
      reservedConcurrentExecutions: 10,
      environment: {
        FLAP_WINDOW_MINUTES: String(config.slack.flapWindowMinutes),
        RUNBOOKS_URL: config.slack.runbooksUrl,
      },
    });
    this.function.bindTable(this.table, { access: 'readWrite' }).bindSecret(props.slackSecret, 'SLACK_SECRET_ARN');
    if (this.function.role) {
      acknowledge(this.function.role, 'Reading and writing items of its own table encrypted with the ops key, as DynamoDB grantReadWriteData grants it.', [
        'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      ]);
    }

    const undelivered = new sqs.Queue(this, 'Undelivered', {
      queueName: `${config.prefix}-notify-slack-undelivered`,
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.logsKey,
      enforceSSL: true,
    });
    acknowledge(undelivered, 'This queue is the dead-letter queue of the SNS subscription; the alarm below watches it.', ['AwsSolutions-SQS3']);
    props.topic.addSubscription(new subscriptions.LambdaSubscription(this.function, { deadLetterQueue: undelivered }));

    const lost = new cloudwatch.MathExpression({
      label: 'notifications not delivered to Slack',
      expression: 'undelivered + failed',
      usingMetrics: {
        undelivered: undelivered.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        failed: this.function.deadLetterQueue!.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      },
    });
    const alarm = new cloudwatch.Alarm(this, 'NotificationsLost', {
      alarmName: `${config.prefix}-notify-slack-undelivered`,
      alarmDescription: 'Notifications are waiting in a dead-letter queue: Slack did not receive them. Check the notify-slack logs and the Slack secret.',
      metric: lost,
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cwactions.SnsAction(props.topic));
  }
}
