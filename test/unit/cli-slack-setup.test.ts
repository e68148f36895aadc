import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { environmentConfig } from '../../infra/config.js';
import { storeSlackSettings, writeAuthorization } from '../../cli/slack-setup.js';

const secrets = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
const production = environmentConfig('production');
const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5'.replace(/[yz]/g, '0');
const OPS_WEBHOOK = 'https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX';

/** Secrets that keep what is put, by id, as Secrets Manager does. */
function storedSecrets(initial: Record<string, string> = {}): Record<string, string> {
  const values = { ...initial };
  secrets.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => ({ SecretString: values[input.SecretId] ?? '{}' }));
  secrets.on(PutSecretValueCommand).callsFake((input: { SecretId: string; SecretString: string }) => {
    values[input.SecretId] = input.SecretString;
    return {};
  });
  return values;
}
const POLICY = {
  teamId: 'T0FINHUB',
  channels: ['C0OPS'],
  operators: ['U0OPERATOR'],
  approvers: ['U0APPROVER'],
  commands: { 'failover-drill': ['U0APPROVER'] },
  awsIdentities: { 'AROAEXAMPLE:alice': 'U0OPERATOR' },
};

beforeEach(() => {
  secrets.reset();
  ssm.reset();
});

describe('fhops slack-secret', () => {
  it('keeps the signing secret apart from the webhooks, in the secret only the ingress reads', async () => {
    // Prepare
    const stored = storedSecrets({ 'financehub-production/slack': JSON.stringify({ opsWebhookUrl: OPS_WEBHOOK, incidentsWebhookUrl: OPS_WEBHOOK }) });

    // Act
    const fields = await storeSlackSettings(new SecretsManagerClient({}), production, { signingSecret: SIGNING_SECRET });

    // Assess
    expect(fields).toEqual({ 'financehub-production/slack-signing': ['signingSecret'] });
    expect(JSON.parse(stored['financehub-production/slack-signing'] ?? '{}')).toEqual({ signingSecret: SIGNING_SECRET });
    expect(JSON.parse(stored['financehub-production/slack'] ?? '{}')).toEqual({ opsWebhookUrl: OPS_WEBHOOK, incidentsWebhookUrl: OPS_WEBHOOK });
    expect(secrets.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input.SecretId)).toEqual(['financehub-production/slack-signing']);
  });

  it('adds a webhook and the bot token beside the fields already stored', async () => {
    // Prepare
    const stored = storedSecrets({ 'financehub-production/slack': JSON.stringify({ incidentsWebhookUrl: OPS_WEBHOOK }) });

    // Act
    const fields = await storeSlackSettings(new SecretsManagerClient({}), production, { opsWebhookUrl: OPS_WEBHOOK, botToken: 'xoxb-1234567890-abcdefghij' });

    // Assess
    expect(fields).toEqual({ 'financehub-production/slack': ['botToken', 'incidentsWebhookUrl', 'opsWebhookUrl'] });
    expect(JSON.parse(stored['financehub-production/slack'] ?? '{}')).toEqual({ opsWebhookUrl: OPS_WEBHOOK, incidentsWebhookUrl: OPS_WEBHOOK, botToken: 'xoxb-1234567890-abcdefghij' });
  });

  it.each([
    [{ signingSecret: 'not-a-secret' }, 'signing secret: not a Slack signing secret'],
    [{ opsWebhookUrl: 'https://example.com/hook' }, 'opsWebhookUrl: not a Slack incoming webhook URL'],
    [{ botToken: 'xoxp-user-token' }, 'bot token: not a Slack bot token'],
    [{}, 'Give at least one of'],
  ])('refuses %j and changes nothing', async (settings, message) => {
    // Prepare
    storedSecrets();

    // Act
    const storing = storeSlackSettings(new SecretsManagerClient({}), production, settings);

    // Assess
    await expect(storing).rejects.toThrow(message);
    expect(secrets.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('says to deploy first when the secret does not exist', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));

    // Act
    const storing = storeSlackSettings(new SecretsManagerClient({}), production, { opsWebhookUrl: OPS_WEBHOOK });

    // Assess
    await expect(storing).rejects.toThrow('financehub-production/slack does not exist in this account and region: deploy the environment\'s Ops stack first. Nothing was changed.');
  });
});

describe('fhops authorize', () => {
  it('writes the policy and returns it as read back', async () => {
    // Prepare
    let value = '';
    ssm.on(PutParameterCommand).callsFake((input: { Value: string }) => {
      value = input.Value;
      return {};
    });
    ssm.on(GetParameterCommand).callsFake(() => ({ Parameter: { Value: value } }));

    // Act
    const written = await writeAuthorization(new SSMClient({}), production, POLICY);

    // Assess
    expect(written).toEqual(POLICY);
    expect(ssm.commandCalls(PutParameterCommand)[0]?.args[0].input).toMatchObject({ Name: '/financehub-production/slack/authorization', Overwrite: true, Type: 'String' });
  });

  it.each([
    [{ ...POLICY, operators: ['alice'] }, 'authorization: alice is not a Slack user id'],
    [{ ...POLICY, awsIdentities: { 'AROAEXAMPLE:alice': 'alice' } }, 'authorization: alice is not a Slack user id'],
    [{ ...POLICY, teamId: '' }, 'authorization: teamId "" is not a Slack workspace id'],
    [{ ...POLICY, channels: [] }, 'authorization: channels is empty'],
    [{ ...POLICY, channels: ['#ops'] }, 'authorization: channels #ops are not Slack channel ids'],
  ])('refuses %j and writes nothing', async (policy, message) => {
    // Act
    const writing = writeAuthorization(new SSMClient({}), production, policy);

    // Assess
    await expect(writing).rejects.toThrow(message);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });
});
