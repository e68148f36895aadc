import { text } from 'node:stream/consumers';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { EnvironmentName } from '../../contracts/environments.js';
import { environmentConfig } from '../../infra/config.js';
import { SetupError, readAuthorization, storeSlackSettings, writeAuthorization } from '../slack-setup.js';
import { type RegisterCommand, environment } from './context.js';

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((item) => item.trim()).filter(Boolean)];
const commandUsers = (value: string, previous: Record<string, string[]> = {}) => {
  const [command = '', users = ''] = value.split('=');
  return { ...previous, [command.trim()]: list(users) };
};
const awsIdentity = (value: string, previous: Record<string, string> = {}) => {
  const [userId = '', slackUser = ''] = value.split('=');
  return { ...previous, [userId.trim()]: slackUser.trim() };
};

interface AuthorizeOptions {
  env: EnvironmentName;
  team?: string;
  channels?: string[];
  operators?: string[];
  approvers?: string[];
  command?: Record<string, string[]>;
  awsIdentity?: Record<string, string>;
  show?: boolean;
}

/**
 * `fhops slack-secret` stores the signing secret (from stdin, never a shell argument) and the two webhooks;
 * `fhops authorize` writes who may run and approve what. Both read back what they wrote.
 */
export const registerSlackSetup: RegisterCommand = (program) => {
  program
    .command('slack-secret')
    .description('store the Slack app\'s signing secret (its own secret) and incoming webhooks (the Slack secret)')
    .requiredOption('--env <env>', 'staging or production', environment)
    .option('--signing-secret-stdin', 'read the signing secret from standard input')
    .option('--bot-token-stdin', 'read the bot token (xoxb-..., for follow-ups of long runs) from standard input')
    .option('--ops-webhook-url <url>', 'incoming webhook of the ops channel (results, remediations)')
    .option('--incidents-webhook-url <url>', 'incoming webhook of the incidents channel (alarms)')
    .action(async (options: { env: EnvironmentName; signingSecretStdin?: boolean; botTokenStdin?: boolean; opsWebhookUrl?: string; incidentsWebhookUrl?: string }) => {
      const config = environmentConfig(options.env);
      if (options.signingSecretStdin && options.botTokenStdin) throw new SetupError('Standard input holds one value: give --signing-secret-stdin and --bot-token-stdin in two runs. Nothing was changed.');
      const fromStdin = options.signingSecretStdin || options.botTokenStdin ? (await text(process.stdin)).trim() : undefined;
      const signingSecret = options.signingSecretStdin ? fromStdin : undefined;
      const botToken = options.botTokenStdin ? fromStdin : undefined;
      const fields = await storeSlackSettings(new SecretsManagerClient({ region: config.region }), config, {
        signingSecret,
        botToken,
        opsWebhookUrl: options.opsWebhookUrl,
        incidentsWebhookUrl: options.incidentsWebhookUrl,
      });
      for (const [secretName, held] of Object.entries(fields)) console.log(`${secretName} now holds: ${held.join(', ')} (read back)`);
    });

  program
    .command('authorize')
    .description('write who may run /ops commands and approve production actions (replaces the whole policy)')
    .requiredOption('--env <env>', 'staging or production', environment)
    .option('--team <id>', 'the Slack workspace id (T...) whose commands this environment accepts')
    .option('--channels <ids>', 'channel ids (C...) commands and approvals are accepted from, comma-separated', list)
    .option('--operators <ids>', 'Slack member ids who may run commands, comma-separated', list)
    .option('--approvers <ids>', 'Slack member ids who may also approve production actions', list)
    .option('--command <name=ids>', 'narrow one command to these member ids (repeatable), e.g. failover-drill=U1,U2', commandUsers)
    .option('--aws-identity <userId=slackId>', 'map a CLI caller (UserId of aws sts get-caller-identity) to the Slack member they are (repeatable)', awsIdentity)
    .option('--show', 'print the current policy and change nothing')
    .action(async (options: AuthorizeOptions) => {
      const config = environmentConfig(options.env);
      const ssm = new SSMClient({ region: config.region });
      const policy = options.show
        ? await readAuthorization(ssm, config)
        : await writeAuthorization(ssm, config, {
            teamId: options.team ?? '',
            channels: options.channels ?? [],
            operators: options.operators ?? [],
            approvers: options.approvers ?? [],
            commands: options.command ?? {},
            awsIdentities: options.awsIdentity ?? {},
          });
      console.log(`${config.slack.authorizationParameterName}${options.show ? '' : ' (written, read back)'}:\n${JSON.stringify(policy, null, 2)}`);
    });
};
