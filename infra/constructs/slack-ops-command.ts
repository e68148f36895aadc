import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { stateMachineName } from '../../functions/lib/workflows.js';
import { SLACK_WORKFLOWS } from '../../functions/slack-ops/commands.js';
import { WORKFLOWS } from '../../contracts/workflows.js';
import { type EnvironmentConfig, scalingLimits } from '../config.js';
import { acknowledge } from '../nag/acknowledge.js';
import type { AuditTrail } from './audit-trail.js';
import { OpsFunction } from './ops-function.js';
import { OpsTable } from './ops-table.js';

export interface SlackOpsCommandProps {
  readonly config: EnvironmentConfig;
  /** Secret holding only the Slack app's `signingSecret` (the webhooks live apart, where this function cannot read them). */
  readonly signingSecret: secretsmanager.ISecret;
  /** Where commands, requests, approvals, denials, refusals and starts are recorded. */
  readonly auditTrail: AuditTrail;
  /**
   * Secret holding the webhooks and the `botToken`: only functions that are not internet-facing read it (the follow-up,
   * for long runs' outcomes; the announcer, to put CLI requests to the ops channel).
   */
  readonly slackSecret: secretsmanager.ISecret;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Encrypts the approvals table. */
  readonly encryptionKey: kms.IKey;
  /** Encrypts the functions' log groups and dead-letter queues. */
  readonly logsKey: kms.IKey;
}

/**
 * The `/ops` slash command of one environment: a function URL Slack posts to (commands and button clicks), a
 * table of pending approvals and follow-ups, the authorization policy parameter, and the follow-up function that
 * posts each execution's outcome back to the Slack conversation that started it.
 */
export class SlackOpsCommand extends Construct {
  public readonly url: lambda.FunctionUrl;
  public readonly table: OpsTable;
  public readonly authorizationParameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: SlackOpsCommandProps) {
    super(scope, id);
    const { config } = props;
    const { account, region } = Stack.of(this);

    this.table = new OpsTable(this, 'Approvals', {
      tableName: `${config.prefix}-slack-approvals`,
      encryptionKey: props.encryptionKey,
      shortLivedBecause: 'Requests and follow-ups live 15 minutes to a day (TTL) and decisions are kept in the audit trail for its retention; point-in-time recovery covers mistakes, a backup plan would restore expired requests.',
      // New CLI requests reach the announcer: the approval path, not the caller, puts them to the channel.
      stream: dynamodb.StreamViewType.NEW_IMAGE,
    });

    this.authorizationParameter = new ssm.StringParameter(this, 'Authorization', {
      parameterName: config.slack.authorizationParameterName,
      description: 'Slack workspace and channels, Slack user ids allowed to run /ops (operators) and approve (approvers), CLI identities: docs/runbooks/slack-ops.md',
      stringValue: JSON.stringify({ teamId: '', channels: [], operators: [], approvers: [], commands: {}, awsIdentities: {} }),
    });

    const arnOf = (workflow: (typeof WORKFLOWS)[number]) => `arn:aws:states:${region}:${account}:stateMachine:${stateMachineName(config.prefix, workflow)}`;
    const stateMachineArns = WORKFLOWS.map(arnOf);
    const functionDefaults = {
      config,
      vpc: props.vpc,
      securityGroups: [props.securityGroup],
      encryptionKey: props.logsKey,
    };

    const limits = JSON.stringify(scalingLimits(config));
    const command = new OpsFunction(this, 'Command', {
      ...functionDefaults,
      functionName: 'slack-ops',
      description: 'Verifies, authorizes and starts /ops slash commands; approval buttons for risky production actions',
      timeout: Duration.seconds(10),
      // A flood of forged requests must not starve the account's concurrency; Slack's real rate is far lower.
      reservedConcurrentExecutions: 10,
      environment: {
        ACCOUNT_ID: account,
        NAME_PREFIX: config.prefix,
        SLACK_COMMAND: config.slack.command,
        AUDIT_BUCKET: props.auditTrail.bucket.bucketName,
        AUTHORIZATION_PARAMETER: this.authorizationParameter.parameterName,
        SCALING_LIMITS: limits,
        APPROVAL_MINUTES: String(config.slack.approvalMinutes),
        APPROVAL_USE_MINUTES: String(config.fourEyes.approvalUseMinutes),
        APPROVAL_RECORD_DAYS: String(config.audit.retentionDays),
        FOUR_EYES_WORKFLOWS: config.fourEyes.workflows.join(','),
      },
    });
    // Internet-facing: only what /ops does. Items one at a time (no Scan, Query, Delete or batch writes).
    command.bindTable(this.table, { access: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] });
    command.bindSecret(props.signingSecret, 'SLACK_SIGNING_SECRET_ARN');
    this.authorizationParameter.grantRead(command);
    props.auditTrail.grantAppend(command);
    command.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: SLACK_WORKFLOWS.map(arnOf) }));
    command.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: stateMachineArns }));
    // Slack cannot sign AWS requests: the function verifies Slack's own HMAC signature on every request.
    this.url = command.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    acknowledge(command, 'Slack cannot sign AWS requests: every request is verified with Slack\'s HMAC signature and a 5-minute window before anything is read or started.', [
      'LambdaFunctionPublicAccessProhibited',
    ]);
    new CfnOutput(this, 'SlackRequestUrl', {
      description: 'Paste into the Slack app as the /ops Request URL and the Interactivity Request URL',
      value: this.url.url,
    });

    const announcer = new OpsFunction(this, 'Announcer', {
      ...functionDefaults,
      functionName: 'announce-request',
      description: 'Puts each approval request made from the CLI to the ops channel with Approve/Deny, from its record; audits it',
      environment: {
        AUDIT_BUCKET: props.auditTrail.bucket.bucketName,
        AUTHORIZATION_PARAMETER: this.authorizationParameter.parameterName,
        SCALING_LIMITS: limits,
        FOUR_EYES_WORKFLOWS: config.fourEyes.workflows.join(','),
      },
    });
    announcer.bindSecret(props.slackSecret, 'SLACK_SECRET_ARN');
    this.authorizationParameter.grantRead(announcer);
    props.auditTrail.grantAppend(announcer);
    announcer.addEventSource(
      new eventSources.DynamoEventSource(this.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 1,
        retryAttempts: 5,
        // A request that still fails after the retries is kept for on-call (the CLI waiting on it times out saying so).
        onFailure: new eventSources.SqsDlq(announcer.deadLetterQueue!),
        filters: [
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.isEqual('INSERT'),
            dynamodb: { NewImage: { id: { S: lambda.FilterRule.beginsWith('request#') }, origin: { S: lambda.FilterRule.beginsWith('cli:') } } },
          }),
        ],
      }),
    );
    if (announcer.role) {
      acknowledge(announcer.role, 'Stream records that keep failing go to the function\'s own dead-letter queue, encrypted with the logs key, as SQS grantSendMessages grants it.', [
        'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      ]);
    }

    const followUp = new OpsFunction(this, 'FollowUp', {
      ...functionDefaults,
      functionName: 'slack-followup',
      description: 'Posts the outcome of an execution started from Slack back to that conversation',
    });
    followUp.bindTable(this.table, { access: ['dynamodb:GetItem'] });
    // The bot token: outcomes of runs longer than a response URL lives (30 min) go with chat.postMessage.
    followUp.bindSecret(props.slackSecret, 'SLACK_SECRET_ARN');
    new events.Rule(this, 'ExecutionFinished', {
      ruleName: `${config.prefix}-slack-followup`,
      description: 'Outcome of every ops workflow execution, for the Slack follow-up',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: stateMachineArns },
      },
      targets: [new targets.LambdaFunction(followUp, { retryAttempts: 4, maxEventAge: Duration.hours(1) })],
    });
  }
}

