import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { EnvironmentConfig } from '../infra/config.js';

/** The stack output holding the `/ops` function URL (CfnOutput `SlackRequestUrl` of the SlackOps construct). */
const REQUEST_URL_OUTPUT = /^SlackOpsSlackRequestUrl/;

/** The Slack request URL of an environment, read from its deployed Ops stack's outputs. */
export async function slackRequestUrl(cloudFormation: CloudFormationClient, config: EnvironmentConfig): Promise<string> {
  const stackName = `FinanceHub-${config.name}-Ops`;
  let outputs;
  try {
    outputs = (await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    if (error instanceof Error && error.name === 'ValidationError') throw new Error(`${stackName} is not deployed in this account and region: deploy it first`);
    throw error;
  }
  const matches = outputs.filter((output) => REQUEST_URL_OUTPUT.test(output.OutputKey ?? ''));
  const url = matches[0]?.OutputValue;
  if (matches.length !== 1 || !url) throw new Error(`${stackName} has ${matches.length} Slack request URL outputs; expected one`);
  return url;
}

/**
 * The Slack app manifest of one environment: its slash command and interactivity (approval buttons) both post to the
 * environment's function URL; `commands` for the slash command, `incoming-webhook` for the notification channels.
 * Follow-ups go to each command's response_url, which needs no scope.
 */
export function slackManifest(config: EnvironmentConfig, requestUrl: string): Record<string, unknown> {
  const url = new URL(requestUrl);
  if (url.protocol !== 'https:') throw new Error(`Slack needs an https request URL, got ${requestUrl}`);
  return {
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: {
      name: `FinanceHub Ops (${config.name})`,
      description: `Runs and approves FinanceHub ${config.name} ops workflows; posts their results`,
      background_color: config.name === 'production' ? '#8b1e1e' : '#1e5a8b',
    },
    features: {
      bot_user: { display_name: `financehub-ops-${config.name}`, always_online: false },
      slash_commands: [
        {
          command: config.slack.command,
          url: requestUrl,
          description: `FinanceHub ${config.name} ops: status, backups, drills, scaling`,
          usage_hint: `help | status ${config.name} | verify-backups ${config.name} | scale ${config.name} <service> <min> <max> <minutes> <reason>`,
          should_escape: false,
        },
      ],
    },
    oauth_config: { scopes: { bot: ['commands', 'incoming-webhook', 'chat:write'] } },
    settings: {
      interactivity: { is_enabled: true, request_url: requestUrl },
      org_deploy_enabled: false,
      socket_mode_enabled: false,
      token_rotation_enabled: false,
    },
  };
}
