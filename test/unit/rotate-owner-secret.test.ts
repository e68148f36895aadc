import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { InvalidRequestException, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { putOwnerSecret } from '../../cli/owner-secret.js';
import { ownerSecretSchema } from '../../functions/lib/owner-secrets.js';
import type { RotationStep } from '../../functions/lib/rotation-contract.js';
import { createHandler } from '../../functions/rotate-owner-secret/create-handler.js';
import { type CheckFetch, type ConfiguredOwnerSecret, type OwnerRotationDeps, rotateOwnerSecret } from '../../functions/rotate-owner-secret/rotation.js';
import { environmentConfig } from '../../infra/config.js';
import { lambdaContext } from '../../rehearsal/executor.js';
import { SecretsManagerFake } from '../integration/support/secrets-manager-fake.js';

const config = environmentConfig('staging');
const API_KEYS = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/api-keys-AbCdEf';
const OAUTH = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/oauth-tokens-GhIjKl';
const declared = (name: string) => ownerSecretSchema.parse(config.secrets.ownerRotated.find((s) => s.name === name));
const SLACK = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/slack-MnOpQr';
const SIGNING = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/slack-signing-StUvWx';
const OWNER_SECRETS: ConfiguredOwnerSecret[] = [
  { ...declared('api-keys'), secretArn: API_KEYS },
  { ...declared('oauth-tokens'), secretArn: OAUTH },
  { ...declared('slack'), secretArn: SLACK },
  { ...declared('slack-signing'), secretArn: SIGNING },
];
const WEBHOOKS = { opsWebhookUrl: 'https://hooks.slack.com/services/T0/B0/ops', incidentsWebhookUrl: 'https://hooks.slack.com/services/T0/B0/incidents' };
const OLD_SLACK = JSON.stringify({ ...WEBHOOKS, botToken: 'xoxb-old-0123456789' });
const NEW_SLACK = JSON.stringify({ ...WEBHOOKS, botToken: 'xoxb-new-9876543210' });
/** Slack's auth.test answer: HTTP 200 whether or not it accepts the token. */
const authTest = (body: unknown, status = 200) => async () => ({ status, json: async () => body });
const TOKEN = 'rotation-token-1';
const OLD = JSON.stringify({ paymentsApiKey: 'sk_live_old', mapsApiKey: 'maps-old' });
const NEW = JSON.stringify({ paymentsApiKey: 'sk_live_new', mapsApiKey: 'maps-new' });

let fake: SecretsManagerFake;
let published: OpsResultInput[];
let probes: { url: string; headers: Record<string, string> }[];
let answer: () => Promise<{ status: number; json: () => Promise<unknown> }>;

const deps = (): OwnerRotationDeps => ({
  secrets: new SecretsManagerClient({ region: 'us-east-1' }),
  environment: 'staging',
  ownerSecrets: OWNER_SECRETS,
  publish: async (result) => published.push(result),
  fetch: (async (url, init) => {
    probes.push({ url, headers: init.headers });
    return answer();
  }) as CheckFetch,
  now: () => new Date('2026-12-01T09:00:00Z'),
  log: () => undefined,
});
const step = (Step: RotationStep, SecretId = API_KEYS) => rotateOwnerSecret({ Step, SecretId, ClientRequestToken: TOKEN }, deps());
/** What the owner does between two attempts: the CLI's put, with Secrets Manager's RotateSecret answered. */
const ownerPuts = (value: string, name = 'api-keys') =>
  putOwnerSecret(new SecretsManagerClient({ region: 'us-east-1' }), config, name, value, { waitSeconds: 0, pollSeconds: 1, sleep: async () => undefined });
/** Secrets Manager's reattempt after the owner stored the value. */
async function resumeRotation(SecretId = API_KEYS): Promise<void> {
  for (const name of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) await step(name, SecretId);
  fake.finishRotation(SecretId, TOKEN);
}

beforeEach(() => {
  fake = new SecretsManagerFake();
  // The CLI names the secret by name; the rotation event by ARN: both are the same secret here.
  fake.create(API_KEYS, OLD);
  fake.secrets.set('financehub-staging/api-keys', fake.secrets.get(API_KEYS)!);
  fake.tags.set(API_KEYS, new Map([['owner', '@financehub-payments']]));
  fake.create(OAUTH, 'oauth-old-secret');
  fake.secrets.set('financehub-staging/oauth-tokens', fake.secrets.get(OAUTH)!);
  fake.stub.on(RotateSecretCommand).resolves({ ARN: API_KEYS });
  published = [];
  probes = [];
  fake.create(SLACK, OLD_SLACK);
  fake.secrets.set('financehub-staging/slack', fake.secrets.get(SLACK)!);
  fake.create(SIGNING, JSON.stringify({ signingSecret: '11111111111111111111111111111111' }));
  fake.secrets.set('financehub-staging/slack-signing', fake.secrets.get(SIGNING)!);
  answer = async () => ({ status: 200, json: async () => ({}) });
});

afterEach(() => fake.stub.restore());

describe('owner rotation of a third-party secret', () => {
  it('asks the owner once, in Slack, with the steps to follow, and fails the step without rotating anything until they answer', async () => {
    // Prepare
    fake.announce(API_KEYS, TOKEN);

    // Act
    const first = step('createSecret');
    await expect(first).rejects.toMatchObject({ name: 'OwnerValuePending', message: expect.stringContaining('Rotation request sent to @financehub-payments') });
    const retried = step('createSecret');

    // Assess
    await expect(retried).rejects.toThrow('Waiting for @financehub-payments to store the new value of api-keys as AWSPENDING, requested at 2026-12-01T09:00:00.000Z');
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ workflow: 'rotate-owner-secret', severity: 'warning', outcome: 'skipped' });
    expect(published[0]?.summary).toContain('@financehub-payments: staging api-keys (api-key) is due for its 30-day rotation');
    expect(published[0]?.actionsTaken).toEqual(expect.arrayContaining(['2. fhops secret put api-keys --env staging < new-value.json (the value from standard input; it is validated and read back)']));
    expect(Object.fromEntries(fake.tags.get(API_KEYS)!)).toEqual({ owner: '@financehub-payments', 'rotation-requested-at': '2026-12-01T09:00:00.000Z', 'rotation-requested-version': TOKEN });
    expect(fake.currentString(API_KEYS)).toBe(OLD);
  });

  it('probes the issuer with the stored key before promoting it, then closes the request', async () => {
    // Prepare
    fake.announce(API_KEYS, TOKEN);
    await expect(step('createSecret')).rejects.toThrow('Rotation request sent');
    const put = await ownerPuts(NEW);

    // Act
    await resumeRotation();

    // Assess
    expect(put).toMatchObject({ secretId: 'financehub-staging/api-keys', versionId: TOKEN, alreadyStored: false });
    expect(probes).toEqual([{ url: 'https://api.stripe.com/v1/balance', headers: { Authorization: 'Bearer sk_live_new' } }]);
    expect(fake.currentString(API_KEYS)).toBe(NEW);
    expect(fake.stagesOf(API_KEYS)).toEqual({ initial: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] });
    expect(Object.fromEntries(fake.tags.get(API_KEYS)!)).toEqual({ owner: '@financehub-payments' });
    expect(fake.stub.commandCalls(RotateSecretCommand).map((call) => call.args[0].input)).toEqual([{ SecretId: 'financehub-staging/api-keys' }]);
  });

  it('refuses a key the issuer rejects: tells the owner how to store a corrected one and leaves AWSCURRENT alone', async () => {
    // Prepare
    fake.announce(API_KEYS, TOKEN);
    await ownerPuts(NEW);
    answer = async () => ({ status: 401, json: async () => ({}) });

    // Act
    await step('createSecret');
    await step('setSecret');
    const tested = step('testSecret');

    // Assess
    await expect(tested).rejects.toThrow('testSecret refused the new value of api-keys: GET https://api.stripe.com/v1/balance answered HTTP 401 with it, not 200. AWSCURRENT is unchanged.');
    expect(published.at(-1)).toMatchObject({ outcome: 'failed', severity: 'warning' });
    expect(published.at(-1)?.howToUndo).toContain(`--version-stage AWSPENDING --remove-from-version-id ${TOKEN}`);
    expect(fake.currentString(API_KEYS)).toBe(OLD);
    expect(JSON.stringify(published)).not.toContain('sk_live_new');
  });

  it('calls an unreachable issuer unproven instead of passing the value', async () => {
    // Prepare
    fake.announce(API_KEYS, TOKEN);
    await ownerPuts(NEW);
    answer = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { name: 'TypeError' });
    };

    // Act
    const tested = step('testSecret');

    // Assess
    await expect(tested).rejects.toThrow('could not be reached (TypeError), so the value is unproven');
    expect(fake.currentString(API_KEYS)).toBe(OLD);
  });

  it('promotes an OAuth secret, whose kind has no probe, without calling out, as the configuration documents', async () => {
    // Prepare
    fake.announce(OAUTH, TOKEN);
    await ownerPuts('oauth-new-secret', 'oauth-tokens');

    // Act
    await resumeRotation(OAUTH);

    // Assess
    expect(probes).toEqual([]);
    expect(fake.currentString(OAUTH)).toBe('oauth-new-secret');
  });

  it('is safe when finishSecret runs again after the promotion', async () => {
    // Prepare
    fake.announce(API_KEYS, TOKEN);
    await ownerPuts(NEW);
    await resumeRotation();

    // Act
    await step('finishSecret');

    // Assess
    expect(fake.stagesOf(API_KEYS)).toEqual({ initial: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT'] });
  });

  it('refuses a rotation event for a secret nobody declared', async () => {
    // Act
    const other = step('createSecret', 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/db/app-XyZ123');

    // Assess
    await expect(other).rejects.toThrow('is not one of the secrets its owner rotates (api-keys, oauth-tokens, slack, slack-signing)');
  });
});

describe('owner rotation of the Slack secrets', () => {
  const teamId = environmentConfig('staging').slack.workspaceId;

  it("proves the new bot token with Slack's auth.test for the workspace, then promotes the document", async () => {
    // Prepare
    fake.announce(SLACK, TOKEN);
    await expect(step('createSecret', SLACK)).rejects.toThrow('Rotation request sent to @financehub-platform for slack');
    await ownerPuts(NEW_SLACK, 'slack');
    answer = authTest({ ok: true, team_id: teamId, team: 'FinanceHub', bot_id: 'B0OPS' });

    // Act
    await resumeRotation(SLACK);

    // Assess
    expect(probes).toEqual([{ url: 'https://slack.com/api/auth.test', headers: { Authorization: 'Bearer xoxb-new-9876543210' } }]);
    expect(fake.currentString(SLACK)).toBe(NEW_SLACK);
    expect(published[0]?.actionsTaken).toEqual(
      expect.arrayContaining([expect.stringContaining(`auth.test (expects ok: true for workspace ${teamId}); then it becomes AWSCURRENT and the ops functions that read it use it within 5 minutes; nothing restarts`)]),
    );
  });

  it.each([
    ['a 200 with ok: false (a revoked or mistyped token)', authTest({ ok: false, error: 'invalid_auth' }), "Slack's auth.test refused the new token: invalid_auth"],
    ['a token of another workspace', authTest({ ok: true, team_id: 'T0OTHERTEAM' }), 'the new token belongs to workspace T0OTHERTEAM, not'],
    ['a rate limit', authTest({ ok: false, error: 'ratelimited' }, 429), "Slack's auth.test answered HTTP 429 to the new token"],
    ['an answer that is not Slack JSON', async () => ({ status: 200, json: async () => Promise.reject(new SyntaxError('Unexpected token <')) }), 'is not the JSON Slack documents'],
  ])('refuses a bot token when auth.test gives %s: not promoted, the owner told why', async (_case, slackAnswers, reason) => {
    // Prepare
    fake.announce(SLACK, TOKEN);
    await ownerPuts(NEW_SLACK, 'slack');
    answer = slackAnswers;

    // Act
    await step('createSecret', SLACK);
    await step('setSecret', SLACK);
    const tested = step('testSecret', SLACK);

    // Assess
    await expect(tested).rejects.toMatchObject({ name: 'ValueRefused', message: expect.stringContaining(reason) });
    expect(published.at(-1)?.summary).toContain(reason);
    expect(fake.currentString(SLACK)).toBe(OLD_SLACK);
    expect(JSON.stringify(published)).not.toContain('xoxb-new');
  });

  it('refuses a Slack document without the bot token before calling Slack', async () => {
    // Prepare
    fake.announce(SLACK, TOKEN);

    // Act
    const put = ownerPuts(JSON.stringify(WEBHOOKS), 'slack');

    // Assess
    await expect(put).rejects.toThrow('value (standard input): field botToken is missing or not a non-empty string. Nothing was changed.');
    expect(probes).toEqual([]);
  });

  it('promotes a regenerated signing secret without a probe (Slack offers none) and asks the owner to store it right after regenerating', async () => {
    // Prepare
    fake.announce(SIGNING, TOKEN);
    await expect(step('createSecret', SIGNING)).rejects.toThrow('Rotation request sent');
    const regenerated = JSON.stringify({ signingSecret: '22222222222222222222222222222222' });
    await ownerPuts(regenerated, 'slack-signing');

    // Act
    await resumeRotation(SIGNING);

    // Assess
    expect(probes).toEqual([]);
    expect(fake.currentString(SIGNING)).toBe(regenerated);
    expect(published[0]?.actionsTaken).toEqual(
      expect.arrayContaining([
        expect.stringContaining('regenerate the signing secret (Basic Information > App Credentials): Slack signs with the new one at once'),
        expect.stringContaining('no automatic check (Slack answers no call made with a signing secret'),
        '4. nothing to revoke: Slack signs with the new secret only',
      ]),
    );
  });
});

describe('fhops secret put', () => {
  it.each([
    ['a secret its owner does not rotate', 'db/app', NEW, '<secret>: db/app is not rotated by its owner in staging'],
    ['the current value again', 'api-keys', OLD, 'value (standard input): the value is the current one'],
    ['a document that lost a field the services read', 'api-keys', JSON.stringify({ paymentsApiKey: 'sk_live_new' }), 'value (standard input): field mapsApiKey is missing or not a non-empty string'],
    ['an empty value', 'api-keys', '  ', 'value (standard input): the value is empty'],
  ])('refuses %s and changes nothing', async (_case, name, value, message) => {
    // Prepare
    fake.announce(API_KEYS, TOKEN);

    // Act
    const put = ownerPuts(value, name);

    // Assess
    await expect(put).rejects.toThrow(message);
    await expect(put).rejects.toThrow('Nothing was changed.');
    expect(fake.stub.commandCalls(RotateSecretCommand)).toHaveLength(0);
    expect(fake.stagesOf(API_KEYS)[TOKEN]).toEqual(['AWSPENDING']);
  });

  it('refuses when no rotation request is open, and says how to open one', async () => {
    // Act
    const put = ownerPuts(NEW);

    // Assess
    await expect(put).rejects.toThrow('financehub-staging/api-keys has no open rotation request (no AWSPENDING version). Open one with: aws secretsmanager rotate-secret --secret-id financehub-staging/api-keys');
  });

  it('refuses to replace a value already stored for the request, and says how to release it', async () => {
    // Prepare
    fake.announce(API_KEYS, TOKEN);
    await ownerPuts(NEW);

    // Act
    const again = ownerPuts(JSON.stringify({ paymentsApiKey: 'sk_live_other', mapsApiKey: 'maps-other' }));

    // Assess
    await expect(again).rejects.toThrow(`already holds another value, and versions cannot change`);
    expect(fake.currentString(API_KEYS)).toBe(OLD);
  });

  it('stores the same value twice as once, resuming the open rotation when Secrets Manager says it reattempts it', async () => {
    // Prepare
    fake.announce(API_KEYS, TOKEN);
    await ownerPuts(NEW);
    fake.stub.on(RotateSecretCommand).rejects(new InvalidRequestException({ message: "A previous rotation isn't complete. That rotation will be reattempted.", $metadata: {} }));

    // Act
    const again = await ownerPuts(NEW);

    // Assess
    expect(again).toMatchObject({ alreadyStored: true, promoted: false });
  });
});

describe('fhops secret put, watching the rotation', () => {
  it('reports the value promoted once the reattempted rotation made it AWSCURRENT, as read back', async () => {
    // Prepare
    fake.announce(API_KEYS, TOKEN);
    fake.stub.on(RotateSecretCommand).callsFake(async () => {
      await resumeRotation();
      return { ARN: API_KEYS };
    });

    // Act
    const put = await putOwnerSecret(new SecretsManagerClient({ region: 'us-east-1' }), config, 'api-keys', NEW, { waitSeconds: 30, pollSeconds: 10, sleep: async () => undefined });

    // Assess
    expect(put).toEqual({ secretId: 'financehub-staging/api-keys', versionId: TOKEN, alreadyStored: false, promoted: true });
    expect(fake.currentString(API_KEYS)).toBe(NEW);
  });
});

describe('the rotate-owner-secret handler', () => {
  const sns = mockClient(SNSClient);
  const environment = { ENVIRONMENT: 'staging', TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:financehub-staging-ops', OWNER_SECRETS: JSON.stringify(OWNER_SECRETS) };
  afterAll(() => sns.restore());

  it('publishes the rotation request to the notification topic and fails the step Secrets Manager invoked', async () => {
    // Prepare
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    fake.announce(API_KEYS, TOKEN);
    const handler = createHandler({ environment, clients: { now: () => new Date('2026-12-01T09:00:00Z') } });

    // Act
    const invoked = handler({ Step: 'createSecret', SecretId: API_KEYS, ClientRequestToken: TOKEN } as never, lambdaContext('rotate-owner-secret'));

    // Assess
    await expect(invoked).rejects.toMatchObject({ name: 'OwnerValuePending' });
    const message = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}') as { summary: string };
    expect(message.summary).toContain('@financehub-payments');
  });

  it('names the fields of an event that is not a rotation step', async () => {
    // Prepare
    const handler = createHandler({ environment });

    // Act
    const invoked = handler({ Step: 'dance', SecretId: API_KEYS } as never, lambdaContext('rotate-owner-secret'));

    // Assess
    await expect(invoked).rejects.toThrow('Not a rotation event: Step, ClientRequestToken');
  });
});
