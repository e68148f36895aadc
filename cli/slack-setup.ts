import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { type AuthorizationPolicy, authorizationPolicySchema } from '../functions/slack-ops/authorize.js';
import type { EnvironmentConfig } from '../infra/config.js';

/** The Slack settings the ops functions read: the signing secret from its own secret, the webhooks from the Slack secret. */
export interface SlackSettings {
  readonly signingSecret?: string;
  readonly opsWebhookUrl?: string;
  readonly incidentsWebhookUrl?: string;
  /** The app's bot token (`chat:write`): the follow-up posts outcomes of runs longer than a response URL lives. */
  readonly botToken?: string;
}

export class SetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SetupError';
  }
}

const SIGNING_SECRET = /^[0-9a-f]{32}$/;
const BOT_TOKEN = /^xoxb-[A-Za-z0-9-]{10,}$/;
const WEBHOOK_URL = /^https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+$/;
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
const SLACK_TEAM_ID = /^T[A-Z0-9]{2,}$/;
const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;

function checkSettings(settings: SlackSettings): void {
  if (settings.signingSecret !== undefined && !SIGNING_SECRET.test(settings.signingSecret)) {
    throw new SetupError('signing secret: not a Slack signing secret (32 hex characters, "Basic Information" > "App Credentials"). Nothing was changed.');
  }
  if (settings.botToken !== undefined && !BOT_TOKEN.test(settings.botToken)) {
    throw new SetupError('bot token: not a Slack bot token (xoxb-..., "OAuth & Permissions" > "Bot User OAuth Token"). Nothing was changed.');
  }
  for (const key of ['opsWebhookUrl', 'incidentsWebhookUrl'] as const) {
    const value = settings[key];
    if (value !== undefined && !WEBHOOK_URL.test(value)) {
      throw new SetupError(`${key}: not a Slack incoming webhook URL (https://hooks.slack.com/services/T.../B.../...). Nothing was changed.`);
    }
  }
}

async function currentSettings(secrets: SecretsManagerClient, secretName: string): Promise<Record<string, unknown>> {
  try {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretName }));
    return SecretString ? (JSON.parse(SecretString) as Record<string, unknown>) : {};
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') {
      throw new SetupError(`${secretName} does not exist in this account and region: deploy the environment's Ops stack first. Nothing was changed.`);
    }
    throw error;
  }
}

/** Merges `given` into one secret, reads it back and returns the field names it holds (never the values). */
async function mergeIntoSecret(secrets: SecretsManagerClient, secretName: string, given: Record<string, string>): Promise<string[]> {
  const merged = { ...(await currentSettings(secrets, secretName)), ...given };
  await secrets.send(new PutSecretValueCommand({ SecretId: secretName, SecretString: JSON.stringify(merged) }));
  const stored = await currentSettings(secrets, secretName);
  const missing = Object.entries(given).filter(([key, value]) => stored[key] !== value);
  if (missing.length > 0) throw new SetupError(`${secretName} does not hold ${missing.map(([key]) => key).join(', ')} after the write; try again`);
  return Object.keys(stored).sort();
}

/**
 * Stores the given Slack settings, keeping the fields not given: the signing secret in its own secret (only the
 * internet-facing ingress reads it), the webhooks in the Slack secret. Returns, per secret written, the fields it
 * holds as read back afterwards (names only: the values are secret).
 */
export async function storeSlackSettings(secrets: SecretsManagerClient, config: EnvironmentConfig, settings: SlackSettings): Promise<Record<string, string[]>> {
  checkSettings(settings);
  const { signingSecret, ...webhooks } = settings;
  const givenWebhooks = Object.fromEntries(Object.entries(webhooks).filter((entry): entry is [string, string] => entry[1] !== undefined));
  if (signingSecret === undefined && Object.keys(givenWebhooks).length === 0) {
    throw new SetupError('Give at least one of --signing-secret-stdin, --bot-token-stdin, --ops-webhook-url, --incidents-webhook-url. Nothing was changed.');
  }
  const written: Record<string, string[]> = {};
  if (signingSecret !== undefined) written[config.slack.signingSecretName] = await mergeIntoSecret(secrets, config.slack.signingSecretName, { signingSecret });
  if (Object.keys(givenWebhooks).length > 0) written[config.slack.secretName] = await mergeIntoSecret(secrets, config.slack.secretName, givenWebhooks);
  return written;
}

/** Validates and writes who may run and approve what, and returns the policy as read back from SSM. */
export async function writeAuthorization(ssm: SSMClient, config: EnvironmentConfig, policy: unknown): Promise<AuthorizationPolicy> {
  const parsed = authorizationPolicySchema.safeParse(policy);
  if (!parsed.success) throw new SetupError(`authorization: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}. Nothing was changed.`);
  if (!SLACK_TEAM_ID.test(parsed.data.teamId)) {
    throw new SetupError(`authorization: teamId "${parsed.data.teamId}" is not a Slack workspace id (T..., in the workspace's URL or "About this workspace"); without it every command is refused. Nothing was changed.`);
  }
  const badChannels = parsed.data.channels.filter((channel) => !SLACK_CHANNEL_ID.test(channel));
  if (parsed.data.channels.length === 0 || badChannels.length > 0) {
    throw new SetupError(`authorization: channels ${badChannels.length > 0 ? `${badChannels.join(', ')} are not Slack channel ids` : 'is empty'} (C..., the channel's details > "Channel ID"); commands are accepted only from these. Nothing was changed.`);
  }
  const users = [...parsed.data.operators, ...parsed.data.approvers, ...Object.values(parsed.data.commands).flat(), ...Object.values(parsed.data.awsIdentities)];
  const invalid = users.filter((user) => !SLACK_USER_ID.test(user));
  if (invalid.length > 0) {
    throw new SetupError(`authorization: ${invalid.join(', ')} ${invalid.length === 1 ? 'is not a Slack user id' : 'are not Slack user ids'} (U..., from the person's profile > "Copy member ID"). Nothing was changed.`);
  }
  const name = config.slack.authorizationParameterName;
  await ssm.send(new PutParameterCommand({ Name: name, Value: JSON.stringify(parsed.data), Type: 'String', Overwrite: true }));
  return readAuthorization(ssm, config);
}

export async function readAuthorization(ssm: SSMClient, config: EnvironmentConfig): Promise<AuthorizationPolicy> {
  const name = config.slack.authorizationParameterName;
  try {
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name }));
    return authorizationPolicySchema.parse(JSON.parse(Parameter?.Value ?? '{}'));
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') throw new SetupError(`${name} does not exist: deploy the environment's Ops stack first.`);
    throw error;
  }
}
