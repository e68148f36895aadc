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

/** A secret store that keeps what is put, as Secrets Manager does. */
function storedSecret(initial?: string): () => string | undefined {
  let value = initial;
  secrets.on(GetSecretValueCommand).callsFake(() => ({ SecretString: value }));
  secrets.on(PutSecretValueCommand).callsFake((input: { SecretString: string }) => {
    value = input.SecretString;
    return {};
  });
  return () => value;
}

beforeEach(() => {
  secrets.reset();
  ssm.reset();
});

describe('fhops slack-secret', () => {
  it('adds the signing secret and keeps the webhooks already stored', async () => {
    // Prepare
    const stored = storedSecret(JSON.stringify({ opsWebhookUrl: OPS_WEBHOOK, incidentsWebhookUrl: OPS_WEBHOOK }));

    // Act
    const fields = await storeSlackSettings(new SecretsManagerClient({}), production, { signingSecret: SIGNING_SECRET });

    // Assess
    expect(fields).toEqual(['incidentsWebhookUrl', 'opsWebhookUrl', 'signingSecret']);
    expect(JSON.parse(stored() ?? '{}')).toEqual({ opsWebhookUrl: OPS_WEBHOOK, incidentsWebhookUrl: OPS_WEBHOOK, signingSecret: SIGNING_SECRET });
    expect(secrets.commandCalls(PutSecretValueCommand)[0]?.args[0].input.SecretId).toBe('financehub-production/slack');
  });

  it.each([
    [{ signingSecret: 'not-a-secret' }, 'signing secret: not a Slack signing secret'],
    [{ opsWebhookUrl: 'https://example.com/hook' }, 'opsWebhookUrl: not a Slack incoming webhook URL'],
    [{}, 'Give at least one of'],
  ])('refuses %j and changes nothing', async (settings, message) => {
    // Prepare
    storedSecret('{}');

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
    const policy = { operators: ['U0OPERATOR'], approvers: ['U0APPROVER'], commands: { 'failover-drill': ['U0APPROVER'] } };

    // Act
    const written = await writeAuthorization(new SSMClient({}), production, policy);

    // Assess
    expect(written).toEqual(policy);
    expect(ssm.commandCalls(PutParameterCommand)[0]?.args[0].input).toMatchObject({ Name: '/financehub-production/slack/authorization', Overwrite: true, Type: 'String' });
  });

  it('refuses a name where a Slack member id belongs, and writes nothing', async () => {
    // Act
    const writing = writeAuthorization(new SSMClient({}), production, { operators: ['alice'], approvers: [], commands: {} });

    // Assess
    await expect(writing).rejects.toThrow('authorization: alice is not a Slack user id');
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });
});
