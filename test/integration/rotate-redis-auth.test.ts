import { randomUUID } from 'node:crypto';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import type { RedisClientType } from 'redis';
import type { RotationStep } from '../../functions/lib/rotation-contract.js';
import { type CacheRotationDeps, type RevocationState, checkRevocation, revokePreviousToken, rotateCacheAuthToken } from '../../functions/rotate-redis-auth/rotation.js';
import { ElastiCacheFake } from './support/elasticache-fake.js';
import { type RedisServer, startRedis } from './support/redis.js';
import { SecretsManagerFake } from './support/secrets-manager-fake.js';

const SECRET = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/redis-auth-AbCdEf';
const GROUP = 'financehub-staging-redis';
const INITIAL_TOKEN = 'InitialToken0123456789abcdefABCDEF';
const STEPS: readonly RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

let server: RedisServer;
let secrets: SecretsManagerFake;
let cache: ElastiCacheFake;
let logs: string[];

const deps = (overrides: Partial<CacheRotationDeps> = {}): CacheRotationDeps => ({
  secrets: new SecretsManagerClient({ region: 'us-east-1' }),
  elasticache: new ElastiCacheClient({ region: 'us-east-1' }),
  replicationGroupId: GROUP,
  tokenLength: 64,
  maxWaitMs: 5_000,
  pollIntervalMs: 1,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  log: (message, details) => logs.push(`${message} ${JSON.stringify(details ?? {})}`),
  ...overrides,
});

const step = (Step: RotationStep, token: string, overrides?: Partial<CacheRotationDeps>) =>
  rotateCacheAuthToken({ Step, SecretId: SECRET, ClientRequestToken: token }, deps(overrides));

async function rotationSteps(token = randomUUID()): Promise<string> {
  secrets.announce(SECRET, token);
  for (const name of STEPS) await step(name, token);
  secrets.finishRotation(SECRET, token);
  return token;
}

/** The post-rotation workflow's last part: SET, then look until ElastiCache applied it (bounded like the workflow). */
async function revoke(versionId: string): Promise<RevocationState> {
  let state = await revokePreviousToken({ secretId: SECRET, versionId }, deps());
  while (state.state === 'applying') state = await checkRevocation(deps(), state.checks, 20);
  return state;
}

/**
 * The services that read the token: each task reads AWSCURRENT when it starts, keeps a connection open and opens a
 * new one for every request (a pool churning), as the backend and worker do. Every failed command is recorded.
 */
class ServiceFleet {
  readonly failures: string[] = [];
  private tasks: { id: number; token: string; connection: RedisClientType }[] = [];
  private running?: Promise<void>;
  private stopped = false;
  private nextId = 0;
  requests = 0;
  rounds = 0;

  /** Resolves once every task has made `count` more requests: the services worked in the state the test is in. */
  async serve(count = 2): Promise<void> {
    const until = this.rounds + count;
    while (this.rounds < until) await new Promise((resolve) => setTimeout(resolve, 2));
  }

  async start(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await this.startTask();
    this.running = this.loop();
  }

  /** A rolling restart, as ECS's forced deployment does it: a new task on AWSCURRENT first, then the old one stops. */
  async restart(): Promise<void> {
    for (const old of [...this.tasks]) {
      await this.startTask();
      this.tasks = this.tasks.filter((t) => t !== old);
      await old.connection.quit().catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    await Promise.all(this.tasks.map((t) => t.connection.quit().catch(() => undefined)));
  }

  private async startTask(): Promise<void> {
    const token = secrets.currentString(SECRET);
    const id = this.nextId++;
    this.tasks.push({ id, token, connection: await server.connect(token) });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      await Promise.all(this.tasks.map((task) => this.request(task)));
      this.rounds++;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  private async request(task: { id: number; token: string; connection: RedisClientType }): Promise<void> {
    this.requests++;
    try {
      await task.connection.set(`session:${task.id}`, String(this.requests));
      const fresh = await server.connect(task.token);
      await fresh.get(`session:${task.id}`);
      await fresh.quit();
    } catch (error) {
      this.failures.push(`task ${task.id}: ${(error as Error).message}`);
    }
  }
}

async function logsIn(token: string): Promise<boolean> {
  try {
    const client = await server.connect(token);
    await client.ping();
    await client.quit();
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  server = await startRedis(INITIAL_TOKEN);
}, 60_000);

afterAll(async () => {
  await server?.stop();
}, 30_000);

beforeEach(async () => {
  logs = [];
  await server.admin.sendCommand(['ACL', 'SETUSER', 'default', 'on', 'resetpass', `>${INITIAL_TOKEN}`, '~*', '&*', '+@all']);
  secrets = new SecretsManagerFake();
  secrets.create(SECRET, INITIAL_TOKEN);
  cache = new ElastiCacheFake(server.admin, GROUP, INITIAL_TOKEN, new Date(Date.now() - 60_000));
});

afterEach(() => {
  cache.stub.restore();
  secrets.stub.restore();
});

describe('Redis AUTH token rotation against Redis 7 (ROTATE, restart, SET)', () => {
  it('rotates the token while the services keep working, and afterwards only the new token logs in', async () => {
    // Prepare
    const fleet = new ServiceFleet();
    await fleet.start(3);

    // Act: the services keep serving after every step
    const token = randomUUID();
    secrets.announce(SECRET, token);
    for (const name of STEPS) {
      await step(name, token);
      await fleet.serve();
    }
    secrets.finishRotation(SECRET, token);
    const bothValid = [await logsIn(INITIAL_TOKEN), await logsIn(secrets.currentString(SECRET))];
    await fleet.restart();
    await fleet.serve();
    const revocation = await revoke(token);
    await fleet.serve();
    await fleet.stop();

    // Assess
    expect(fleet.failures).toEqual([]);
    expect(fleet.requests).toBeGreaterThanOrEqual(3 * 2 * 6);
    expect(bothValid).toEqual([true, true]);
    expect(revocation.state).toBe('revoked');
    expect(await logsIn(INITIAL_TOKEN)).toBe(false);
    expect(await logsIn(secrets.currentString(SECRET))).toBe(true);
    expect(secrets.stagesOf(SECRET)).toEqual({ initial: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] });
    expect(cache.requests.map((r) => r.AuthTokenUpdateStrategy)).toEqual(['ROTATE', 'SET']);
    expect(cache.requests.every((r) => r.ApplyImmediately === true)).toBe(true);
  });

  it('sees the outage when the old token is revoked before the services restarted (the check can fail)', async () => {
    // Prepare
    const fleet = new ServiceFleet();
    await fleet.start(2);

    // Act
    const token = await rotationSteps();
    await revoke(token);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await fleet.stop();

    // Assess
    expect(fleet.failures.length).toBeGreaterThan(0);
    expect(fleet.failures[0]).toContain('WRONGPASS');
  });

  it('is safe when every step and the revocation run twice', async () => {
    // Prepare
    const token = randomUUID();
    secrets.announce(SECRET, token);

    // Act
    for (const name of STEPS) {
      await step(name, token);
      await step(name, token);
    }
    secrets.finishRotation(SECRET, token);
    const first = await revoke(token);
    const second = await revoke(token);

    // Assess
    expect(first.state).toBe('revoked');
    expect(second).toMatchObject({ state: 'revoked', note: expect.stringContaining('refused another SET') });
    // A second ROTATE would make ElastiCache drop the oldest of its two tokens, the one the services still use.
    expect(cache.requests.filter((r) => r.AuthTokenUpdateStrategy === 'ROTATE')).toHaveLength(1);
    expect(await logsIn(secrets.currentString(SECRET))).toBe(true);
    expect(await logsIn(INITIAL_TOKEN)).toBe(false);
    expect(cache.tokens).toEqual([secrets.currentString(SECRET)]);
  });

  it('finishes a setSecret that timed out after ElastiCache accepted ROTATE, without a second change under way', async () => {
    // Prepare
    const token = randomUUID();
    secrets.announce(SECRET, token);
    await step('createSecret', token);
    cache.describesPerChange = 5;

    // Act: the first run gives up waiting (as a Lambda timing out would), the reattempt completes
    const timedOut = step('setSecret', token, { maxWaitMs: 0 });
    await expect(timedOut).rejects.toThrow('is still modifying (AUTH token ROTATING) after ROTATE; the step is safe to run again');
    await step('setSecret', token);
    for (const name of ['testSecret', 'finishSecret'] as const) await step(name, token);

    // Assess
    expect(cache.tokens).toEqual([INITIAL_TOKEN, secrets.currentString(SECRET)]);
    expect(await logsIn(INITIAL_TOKEN)).toBe(true);
    expect(await logsIn(secrets.currentString(SECRET))).toBe(true);
  });

  it('waits for a change already under way on the replication group before adding the token', async () => {
    // Prepare
    const token = randomUUID();
    secrets.announce(SECRET, token);
    await step('createSecret', token);
    cache.startUnrelatedChange(3);

    // Act
    await step('setSecret', token);

    // Assess
    expect(cache.requests).toHaveLength(1);
    expect(cache.tokens).toHaveLength(2);
  });

  it('fails testSecret when ElastiCache never applied the pending token, and leaves AWSCURRENT alone', async () => {
    // Prepare
    const token = randomUUID();
    secrets.announce(SECRET, token);
    await step('createSecret', token);

    // Act
    const attempt = step('testSecret', token);

    // Assess
    await expect(attempt).rejects.toThrow('setSecret did not apply it');
    expect(secrets.stagesOf(SECRET).initial).toEqual(['AWSCURRENT']);
  });

  it('leaves the previous token valid when AWSCURRENT moved on before the revocation (a rollback or a newer rotation)', async () => {
    // Prepare
    const token = await rotationSteps();
    await new SecretsManagerClient({ region: 'us-east-1' }).send(
      new UpdateSecretVersionStageCommand({ SecretId: SECRET, VersionStage: 'AWSCURRENT', MoveToVersionId: 'initial', RemoveFromVersionId: token }),
    );

    // Act
    const revocation = await revoke(token);

    // Assess
    expect(revocation).toMatchObject({ state: 'skipped', reason: expect.stringContaining('the previous token was left valid') });
    expect(cache.requests.map((r) => r.AuthTokenUpdateStrategy)).toEqual(['ROTATE']);
    expect(await logsIn(INITIAL_TOKEN)).toBe(true);
  });

  it('refuses a pending token ElastiCache would not accept, before asking ElastiCache anything', async () => {
    // Prepare
    const token = randomUUID();
    secrets.announce(SECRET, token);
    await step('createSecret', token);
    secrets.secrets.get(SECRET)!.get(token)!.secretString = 'has spaces and @ signs';

    // Act
    const attempt = step('setSecret', token);

    // Assess
    await expect(attempt).rejects.toThrow('is not one ElastiCache accepts');
    expect(cache.requests).toHaveLength(0);
  });

  it('never writes a token into its logs or errors', async () => {
    // Prepare
    const token = randomUUID();
    secrets.announce(SECRET, token);
    await step('createSecret', token);
    const pending = secrets.secrets.get(SECRET)!.get(token)!.secretString;

    // Act
    const failure = await step('testSecret', token).catch((error: Error) => error);
    for (const name of ['setSecret', 'testSecret', 'finishSecret'] as const) await step(name, token);
    await revoke(token);

    // Assess
    const written = [...logs, String(failure), JSON.stringify(failure)].join('\n');
    for (const secret of [pending, INITIAL_TOKEN]) expect(written).not.toContain(secret);
  });
});
