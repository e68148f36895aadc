import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { EnvironmentKey } from '../constructs/environment-key.js';
import { SlackNotifications } from '../constructs/slack-notifications.js';
import { SlackOpsCommand } from '../constructs/slack-ops-command.js';
import { acknowledge } from '../nag.js';
import type { ComputeStack } from './compute-stack.js';
import type { DataStack } from './data-stack.js';
import type { EdgeStack } from './edge-stack.js';
import type { NetworkStack } from './network-stack.js';
import type { ObservabilityStack } from './observability-stack.js';

export interface OpsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly edge: EdgeStack;
  readonly compute: ComputeStack;
  readonly observability: ObservabilityStack;
}

/**
 * The operations automation of one environment: each workflow (state-machines/<name>.ts) is a construct
 * holding its functions, state machine and trigger; this stack composes them.
 */
export class OpsStack extends Stack {
  /** Encrypts what the ops automation keeps itself: the Slack secret and its tables. */
  public readonly opsKey: kms.IKey;
  public readonly slackSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: OpsStackProps) {
    super(scope, id, props);
    const { config, network } = props;

    this.opsKey = new EnvironmentKey(this, 'OpsKey', {
      alias: `${config.prefix}-ops`,
      description: `${config.prefix}: ops automation secrets and state`,
      removalPolicy: RemovalPolicy.DESTROY,
    }).key;
    this.slackSecret = new secretsmanager.Secret(this, 'SlackSecret', {
      secretName: config.slack.secretName,
      description: 'Slack settings: { opsWebhookUrl, incidentsWebhookUrl, signingSecret } (set by the platform team after deploy)',
      encryptionKey: this.opsKey,
    });
    acknowledge(this.slackSecret, 'Slack webhook URLs and the signing secret are issued by Slack and rotated there; the daily secret-age audit reports them after 30 days.', [
      'AwsSolutions-SMG4',
      'NIST.800.53.R5-SecretsManagerRotationEnabled',
    ]);

    const common = {
      config,
      vpc: network.vpc,
      securityGroup: network.securityGroups.opsFunctions,
      encryptionKey: this.opsKey,
      logsKey: network.logsKey,
    };
    new SlackNotifications(this, 'SlackNotifications', { ...common, topic: props.observability.notificationTopic, slackSecret: this.slackSecret });
    new SlackOpsCommand(this, 'SlackOps', {
      config,
      slackSecret: this.slackSecret,
      vpc: network.vpc,
      securityGroup: network.securityGroups.opsFunctions,
      encryptionKey: this.opsKey,
      logsKey: network.logsKey,
    });
  }
}
