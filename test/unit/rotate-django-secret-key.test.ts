import { randomUUID } from 'node:crypto';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createHandler } from '../../functions/rotate-django-secret-key/create-handler.js';
import { lambdaContext } from '../../rehearsal/executor.js';
import type { RotationStep } from '../../functions/lib/rotation-contract.js';
import { type DjangoKeyRotationDeps, type DjangoKeys, rotateDjangoSecretKey } from '../../functions/rotate-django-secret-key/rotation.js';
import { SecretsManagerFake } from '../integration/support/secrets-manager-fake.js';

const SECRET = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/django-secret-key-AbCdEf';
const STEPS: readonly RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
const DAY = 86_400_000;
const FIRST_KEY = 'first-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ';

let fake: SecretsManagerFake;
let now: Date;
let logs: string[];

const deps = (): DjangoKeyRotationDeps => ({
  secrets: new SecretsManagerClient({ region: 'us-east-1' }),
  keyLength: 64,
  excludeCharacters: '"\\\'`',
  sessionMaxAgeSeconds: 14 * 86_400,
  now: () => now,
  log: (message, details) => logs.push(`${message} ${JSON.stringify(details ?? {})}`),
});

const step = (Step: RotationStep, token: string) => rotateDjangoSecretKey({ Step, SecretId: SECRET, ClientRequestToken: token }, deps());

async function rotate(token = randomUUID()): Promise<string> {
  fake.announce(SECRET, token);
  for (const name of STEPS) await step(name, token);
  fake.finishRotation(SECRET, token);
  return token;
}

const keys = () => fake.current(SECRET) as unknown as DjangoKeys;

beforeEach(() => {
  fake = new SecretsManagerFake();
  now = new Date('2026-11-01T03:00:00Z');
  logs = [];
});

afterEach(() => fake.stub.restore());

describe('Django SECRET_KEY rotation with SECRET_KEY_FALLBACKS', () => {
  it('makes a new key current and keeps the previous one as a fallback, starting from the key as first generated', async () => {
    // Prepare
    fake.create(SECRET, FIRST_KEY);

    // Act
    const token = await rotate();

    // Assess
    expect(keys().current).not.toBe(FIRST_KEY);
    expect(keys().current.length).toBe(64);
    expect(keys().fallbacks).toEqual([{ key: FIRST_KEY, retiredAt: '2026-11-01T03:00:00.000Z' }]);
    expect(fake.stagesOf(SECRET)).toEqual({ initial: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] });
  });

  it('drops a fallback once sessions signed with it have expired, and keeps the ones still alive', async () => {
    // Prepare
    fake.create(SECRET, FIRST_KEY);
    await rotate();
    const second = keys().current;
    now = new Date(now.getTime() + 10 * DAY);
    await rotate();
    const third = keys().current;

    // Act: 15 days after the first rotation the first key retired beyond the 14-day sessions, the second 5 days ago
    now = new Date(now.getTime() + 5 * DAY);
    await rotate();

    // Assess
    expect(keys().fallbacks.map((f) => f.key)).toEqual([third, second]);
    expect(keys().fallbacks.map((f) => f.key)).not.toContain(FIRST_KEY);
  });

  it('is safe when every step runs twice', async () => {
    // Prepare
    fake.create(SECRET, FIRST_KEY);
    const token = randomUUID();
    fake.announce(SECRET, token);

    // Act
    for (const name of STEPS) {
      await step(name, token);
      await step(name, token);
    }
    fake.finishRotation(SECRET, token);

    // Assess
    expect(fake.stagesOf(SECRET)[token]).toEqual(['AWSCURRENT']);
    expect(keys().fallbacks).toHaveLength(1);
  });

  it.each([
    ['too short for Django', { current: 'short-key', fallbacks: [{ key: FIRST_KEY, retiredAt: '2026-11-01T03:00:00.000Z' }] }, 'shorter than 50 characters'],
    ['without the current key among the fallbacks', { current: 'x'.repeat(20) + 'abcdefghijklmnopqrstuvwxyz0123456789', fallbacks: [] }, 'lack the current SECRET_KEY'],
  ])('refuses pending keys %s before they are promoted', async (_case, pending, message) => {
    // Prepare
    fake.create(SECRET, FIRST_KEY);
    const token = randomUUID();
    fake.announce(SECRET, token);
    await step('createSecret', token);
    fake.secrets.get(SECRET)!.get(token)!.secretString = JSON.stringify(pending);

    // Act
    const attempt = step('testSecret', token);

    // Assess
    await expect(attempt).rejects.toThrow(message);
    expect(fake.currentString(SECRET)).toBe(FIRST_KEY);
  });

  it('refuses a current secret that is JSON but not the keys document, naming the fields', async () => {
    // Prepare
    fake.create(SECRET, { key: FIRST_KEY });
    const token = randomUUID();
    fake.announce(SECRET, token);

    // Act
    const attempt = step('createSecret', token);

    // Assess
    await expect(attempt).rejects.toThrow('AWSCURRENT is not the Django keys document: current, fallbacks');
  });

  it('never writes a key into its logs or errors', async () => {
    // Prepare
    fake.create(SECRET, FIRST_KEY);

    // Act
    await rotate();

    // Assess
    const written = logs.join('\n');
    expect(written).not.toContain(FIRST_KEY);
    expect(written).not.toContain(keys().current);
  });
});

describe('the rotate-django-secret-key handler', () => {
  const environment = { KEY_LENGTH: '64', EXCLUDE_CHARACTERS: '"\\\'`', SESSION_MAX_AGE_SECONDS: String(14 * 86_400) };

  it('is built with its environment and clients, and stages the new key with the clock it was given', async () => {
    // Prepare
    fake.create(SECRET, FIRST_KEY);
    const token = randomUUID();
    fake.announce(SECRET, token);
    const handler = createHandler({ environment, clients: { secrets: new SecretsManagerClient({ region: 'us-east-1' }), now: () => now } });

    // Act
    await handler({ Step: 'createSecret', SecretId: SECRET, ClientRequestToken: token } as never, lambdaContext('rotate-django-secret-key'));

    // Assess
    const pending = fake.stub.commandCalls(PutSecretValueCommand)[0]?.args[0].input;
    expect(pending).toMatchObject({ SecretId: SECRET, ClientRequestToken: token, VersionStages: ['AWSPENDING'] });
    expect(JSON.parse(pending?.SecretString ?? '{}')).toMatchObject({ fallbacks: [{ key: FIRST_KEY, retiredAt: '2026-11-01T03:00:00.000Z' }] });
  });

  it('refuses to start without its configuration, naming the variable', () => {
    // Act
    const build = () => createHandler({ environment: { KEY_LENGTH: '64' } });

    // Assess
    expect(build).toThrow('SESSION_MAX_AGE_SECONDS is not set');
  });
});
