import { randomUUID } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { connectAsMaster } from '../../functions/lib/master-credentials.js';
import { type DatabaseSecret, connectWithSecret } from '../../functions/lib/postgres.js';
import { RotationError, type RotationEvent, rotateDatabaseCredentials } from '../../functions/rotate-db-credentials/rotation.js';
import { type PostgresServer, startPostgres } from './support/postgres.js';
import { SecretsManagerFake } from './support/secrets-manager-fake.js';

const APP_SECRET = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/db/app-AbCdEf';
const MASTER_SECRET = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/db/master-XyZ123';
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

let server: PostgresServer;
let fake: SecretsManagerFake;
let logs: string[];
let database: string;
/** Roles are cluster-wide: each test gets its own names. */
let app: string;
let admin: string;
let group: string;

const deps = () => ({
  secrets: new SecretsManagerClient({ region: 'us-east-1' }),
  connect: connectWithSecret,
  passwordLength: 32,
  excludeCharacters: '"@/\\\'`',
  applicationSchema: 'ledger',
  masterSecretArn: MASTER_SECRET,
  log: (message: string, details?: Record<string, unknown>) => logs.push(`${message} ${JSON.stringify(details ?? {})}`),
});

const step = (Step: RotationEvent['Step'], token: string, SecretId = APP_SECRET) => rotateDatabaseCredentials({ Step, SecretId, ClientRequestToken: token }, deps());

async function rotate(token = randomUUID(), secretId = APP_SECRET): Promise<string> {
  fake.announce(secretId, token);
  for (const name of STEPS) await step(name, token, secretId);
  fake.finishRotation(secretId, token);
  return token;
}

const rotateMaster = (token = randomUUID()) => rotate(token, MASTER_SECRET);

/** Logs in with a secret's credentials and reads a table of the application schema. */
async function canLogIn(secret: Record<string, unknown>): Promise<boolean> {
  const client = new pg.Client({ host: server.host, port: server.port, database, user: String(secret.username), password: String(secret.password) });
  try {
    await client.connect();
    await client.query(secret.username === admin ? 'SELECT 1' : 'SELECT count(*) FROM ledger.transactions');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

beforeAll(async () => {
  server = await startPostgres();
}, 120_000);

afterAll(async () => {
  await server?.stop();
}, 60_000);

/** A fresh database and roles per test: the master (CREATEROLE, owns the schema), a group role, the application user. */
beforeEach(async () => {
  logs = [];
  fake = new SecretsManagerFake();
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  database = `finhub_${id}`;
  app = `app_${id}`;
  admin = `admin_${id}`;
  group = `rw_${id}`;
  const root = await server.admin();
  await root.query(`CREATE DATABASE ${database}`);
  await root.query(`CREATE ROLE ${admin} LOGIN CREATEROLE PASSWORD 'master-password'`);
  await root.query(`CREATE ROLE ${group} NOLOGIN`);
  await root.query(`CREATE ROLE ${app} LOGIN PASSWORD 'initial-app-password'`);
  await root.query(`GRANT ${group} TO ${admin} WITH ADMIN OPTION`);
  await root.query(`GRANT ALL ON DATABASE ${database} TO ${admin} WITH GRANT OPTION`);
  const db = await server.admin(database);
  await db.query(`CREATE SCHEMA ledger AUTHORIZATION ${admin}`);
  await db.query(`SET ROLE ${admin}`);
  await db.query(`CREATE TABLE ledger.transactions (id serial PRIMARY KEY, amount numeric NOT NULL)`);
  await db.query(`CREATE TABLE ledger.audit (id serial PRIMARY KEY, note text)`);
  await db.query(`INSERT INTO ledger.transactions (amount) VALUES (10), (20)`);
  await db.query(`GRANT USAGE ON SCHEMA ledger TO ${group}`);
  await db.query(`GRANT SELECT, INSERT ON ledger.transactions TO ${group}`);
  await db.query(`GRANT USAGE ON SEQUENCE ledger.transactions_id_seq TO ${group}`);
  await db.query(`GRANT ${group} TO ${app}`);
  // A direct grant besides the group role, so the copy has both kinds to carry over.
  await db.query(`GRANT SELECT ON ledger.audit TO ${app}`);
  await db.query(`GRANT CONNECT ON DATABASE ${database} TO ${app}`);
  await db.query(`RESET ROLE`);

  const common = { engine: 'postgres', host: server.host, port: server.port, dbname: database, ssl: false };
  fake.create(MASTER_SECRET, { ...common, username: admin, password: 'master-password' });
  fake.create(APP_SECRET, { ...common, username: app, password: 'initial-app-password', masterarn: MASTER_SECRET });
});

describe('alternating-users rotation against PostgreSQL 15', () => {
  it('rotates to the clone, then back, and both logins work as the services expect', async () => {
    // Prepare
    const original = fake.current(APP_SECRET);

    // Act
    const first = await rotate();
    const afterFirst = fake.current(APP_SECRET);
    const second = await rotate();
    const afterSecond = fake.current(APP_SECRET);

    // Assess
    expect(afterFirst.username).toBe(`${app}_clone`);
    expect(afterSecond.username).toBe(app);
    expect(afterSecond.password).not.toBe(original.password);
    expect(fake.stagesOf(APP_SECRET)).toMatchObject({ [first]: ['AWSPREVIOUS'], [second]: ['AWSCURRENT'] });
    expect(await canLogIn(afterFirst)).toBe(true);
    expect(await canLogIn(afterSecond)).toBe(true);
  });

  it('keeps the previous password working after one rotation and rejects it only after the second', async () => {
    // Prepare
    const original = fake.current(APP_SECRET);

    // Act
    await rotate();
    const stillWorks = await canLogIn(original);
    await rotate();
    const afterSecond = await canLogIn(original);

    // Assess
    expect(stillWorks).toBe(true);
    expect(afterSecond).toBe(false);
  });

  it('copies the current user’s group membership, direct table grants and database privileges to the clone', async () => {
    // Act
    await rotate();

    // Assess
    const db = await server.admin(database);
    const clone = `${app}_clone`;
    const { rows } = await db.query(`SELECT has_table_privilege('${clone}', 'ledger.audit', 'SELECT') AS audit,
      has_table_privilege('${clone}', 'ledger.transactions', 'INSERT') AS insert,
      pg_has_role('${clone}', '${group}', 'MEMBER') AS member,
      has_database_privilege('${clone}', current_database(), 'CONNECT') AS connect`);
    expect(rows[0]).toEqual({ audit: true, insert: true, member: true, connect: true });
  });

  it('gives an existing clone that lost its grants the grants back', async () => {
    // Prepare
    await rotate();
    await rotate();
    const db = await server.admin(database);
    await db.query(`REVOKE ${group} FROM ${app}_clone`);
    await db.query(`REVOKE SELECT ON ledger.audit FROM ${app}_clone`);

    // Act
    const third = await rotate();

    // Assess
    expect(fake.stagesOf(APP_SECRET)[third]).toEqual(['AWSCURRENT']);
    expect(await canLogIn(fake.current(APP_SECRET))).toBe(true);
    const { rows } = await db.query(`SELECT has_table_privilege('${app}_clone', 'ledger.audit', 'SELECT') AS audit`);
    expect(rows[0].audit).toBe(true);
  });

  it('is safe when every step runs twice', async () => {
    // Prepare
    const token = randomUUID();
    fake.announce(APP_SECRET, token);

    // Act
    for (const name of STEPS) {
      await step(name, token);
      await step(name, token);
    }
    fake.finishRotation(APP_SECRET, token);

    // Assess
    expect(fake.stagesOf(APP_SECRET)[token]).toEqual(['AWSCURRENT']);
    expect(await canLogIn(fake.current(APP_SECRET))).toBe(true);
  });

  it.each(STEPS)('recovers with a fresh rotation after a crash following %s', async (lastStep) => {
    // Prepare
    const crashed = randomUUID();
    fake.announce(APP_SECRET, crashed);
    for (const name of STEPS.slice(0, STEPS.indexOf(lastStep) + 1)) await step(name, crashed);

    // Act
    const fresh = await rotate();

    // Assess
    const current = fake.current(APP_SECRET);
    expect(await canLogIn(current)).toBe(true);
    expect(fake.stagesOf(APP_SECRET)[fresh]).toEqual(['AWSCURRENT']);
  });

  it('finishes a rotation whose pending version was left over by a failed run', async () => {
    // Prepare
    const leftover = randomUUID();
    fake.announce(APP_SECRET, leftover);
    await step('createSecret', leftover);

    // Act
    const fresh = await rotate();

    // Assess
    expect(fake.stagesOf(APP_SECRET)[leftover]).toEqual([]);
    expect(fake.stagesOf(APP_SECRET)[fresh]).toEqual(['AWSCURRENT']);
    expect(fake.current(APP_SECRET).username).toBe(`${app}_clone`);
  });

  it.each([
    ['a token of no version of this secret', 'not-a-version', 'does not belong to secret'],
    ['the current version staged AWSPREVIOUS', 'initial', 'is not AWSPENDING'],
  ])('refuses %s and changes nothing', async (_case, token, message) => {
    // Prepare
    if (token === 'initial') await rotate();
    const before = fake.stagesOf(APP_SECRET);

    // Act
    const attempt = step('setSecret', token);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(RotationError);
    await expect(step('setSecret', token)).rejects.toThrow(message);
    expect(fake.stagesOf(APP_SECRET)).toEqual(before);
  });

  it('creates a missing application user on the first rotation, and completes once the user is given its group role', async () => {
    // Prepare
    const fresh = `fresh_${app}`;
    fake.create(APP_SECRET, { ...fake.current(APP_SECRET), username: fresh, password: 'bootstrap-password' });
    const token = randomUUID();
    fake.announce(APP_SECRET, token);

    // Act
    await step('createSecret', token);
    await step('setSecret', token);
    const withoutGrants = step('testSecret', token);

    // Assess
    await expect(withoutGrants).rejects.toThrow(`${fresh}_clone can read no table in schema ledger`);
    const root = await server.admin(database);
    const { rows } = await root.query(`SELECT rolname FROM pg_roles WHERE rolname LIKE '${fresh}%' ORDER BY rolname`);
    expect(rows.map((r) => r.rolname)).toEqual([fresh, `${fresh}_clone`]);

    // Act: the platform's bootstrap gives the application user its group role; the rotation is retried
    await root.query(`GRANT ${group} TO ${fresh}`);
    for (const name of ['setSecret', 'testSecret', 'finishSecret'] as const) await step(name, token);

    // Assess
    expect(fake.stagesOf(APP_SECRET)[token]).toContain('AWSCURRENT');
    expect(await canLogIn(fake.current(APP_SECRET))).toBe(true);
  });

  it('never writes a password into its logs or errors', async () => {
    // Prepare
    const token = randomUUID();
    fake.announce(APP_SECRET, token);
    await step('createSecret', token);
    const pending = JSON.parse(fake.secrets.get(APP_SECRET)!.get(token)!.secretString) as DatabaseSecret;
    const db = await server.admin(database);
    await db.query(`ALTER ROLE ${admin} PASSWORD 'changed-behind-our-back'`);

    // Act
    const failure = await step('setSecret', token).catch((error: Error) => error);
    await db.query(`ALTER ROLE ${admin} PASSWORD 'master-password'`);
    for (const name of ['setSecret', 'testSecret', 'finishSecret'] as const) await step(name, token);

    // Assess
    expect(failure).toBeInstanceOf(Error);
    const written = [...logs, String(failure), JSON.stringify(failure)].join('\n');
    for (const secret of [pending.password, 'master-password', 'changed-behind-our-back', 'initial-app-password']) {
      expect(written).not.toContain(secret);
    }
  });
});

describe('single-user rotation of the master credentials against PostgreSQL 15', () => {
  it('changes the master password, keeps the user, and leaves the previous password rejected', async () => {
    // Prepare
    const original = fake.current(MASTER_SECRET);

    // Act
    const token = await rotateMaster();

    // Assess
    const rotated = fake.current(MASTER_SECRET);
    expect(rotated.username).toBe(admin);
    expect(rotated.password).not.toBe(original.password);
    expect(fake.stagesOf(MASTER_SECRET)).toEqual({ initial: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] });
    expect(await canLogIn(rotated)).toBe(true);
    expect(await canLogIn(original)).toBe(false);
  });

  it('lets the application user rotate afterwards, administered by the rotated master', async () => {
    // Prepare
    await rotateMaster();
    await rotateMaster();

    // Act
    await rotate();

    // Assess
    expect(fake.current(APP_SECRET).username).toBe(`${app}_clone`);
    expect(await canLogIn(fake.current(APP_SECRET))).toBe(true);
  });

  it('lets the application user rotate in the moment the master password changed but was not promoted yet', async () => {
    // Prepare: the master's setSecret ran, its finishSecret has not: only AWSPENDING logs in
    const masterToken = randomUUID();
    fake.announce(MASTER_SECRET, masterToken);
    await step('createSecret', masterToken, MASTER_SECRET);
    await step('setSecret', masterToken, MASTER_SECRET);
    expect(await canLogIn(fake.current(MASTER_SECRET))).toBe(false);

    // Act
    await rotate();

    // Assess
    expect(await canLogIn(fake.current(APP_SECRET))).toBe(true);
    expect(logs.join('\n')).toContain('"stage":"AWSPENDING"');
  });

  it('is safe when every step runs twice, as after a Lambda that timed out once its work was done', async () => {
    // Prepare
    const token = randomUUID();
    fake.announce(MASTER_SECRET, token);

    // Act
    for (const name of STEPS) {
      await step(name, token, MASTER_SECRET);
      await step(name, token, MASTER_SECRET);
    }
    fake.finishRotation(MASTER_SECRET, token);

    // Assess
    expect(fake.stagesOf(MASTER_SECRET)[token]).toEqual(['AWSCURRENT']);
    expect(await canLogIn(fake.current(MASTER_SECRET))).toBe(true);
    expect(logs.join('\n')).toContain('setSecret: the pending password logs in already');
  });

  it.each(STEPS)('completes when Secrets Manager reattempts the same rotation after a failure following %s', async (lastStep) => {
    // Prepare
    const token = randomUUID();
    fake.announce(MASTER_SECRET, token);
    for (const name of STEPS.slice(0, STEPS.indexOf(lastStep) + 1)) await step(name, token, MASTER_SECRET);

    // Act: "A previous rotation isn't complete. That rotation will be reattempted."
    await rotateMaster(token);

    // Assess
    expect(fake.stagesOf(MASTER_SECRET)[token]).toEqual(['AWSCURRENT']);
    expect(await canLogIn(fake.current(MASTER_SECRET))).toBe(true);
  });

  it('logs in with AWSPREVIOUS to a database restored from before the rotation, as the restore drill and DR simulation do', async () => {
    // Prepare: the restored catalogue still holds the password from before the rotation
    await rotateMaster();
    const root = await server.admin(database);
    await root.query(`ALTER ROLE ${admin} PASSWORD 'master-password'`);

    // Act
    const connection = await connectAsMaster({ secrets: new SecretsManagerClient({ region: 'us-east-1' }) }, MASTER_SECRET, { database });
    await connection.client.end();

    // Assess
    expect(connection.stage).toBe('AWSPREVIOUS');
  });

  it('names the stages tried, and no password, when no stage of the master secret logs in', async () => {
    // Prepare
    await rotateMaster();
    const root = await server.admin(database);
    await root.query(`ALTER ROLE ${admin} PASSWORD 'changed-behind-our-back'`);

    // Act
    const attempt = connectAsMaster({ secrets: new SecretsManagerClient({ region: 'us-east-1' }) }, MASTER_SECRET, { database });

    // Assess
    await expect(attempt).rejects.toThrow(`rejected the master password of every stage of ${MASTER_SECRET} tried (AWSCURRENT, AWSPREVIOUS)`);
    const message = String(await attempt.catch((error: Error) => error.message));
    expect(message).not.toContain(String(fake.current(MASTER_SECRET).password));
  });

  it('refuses a pending master version that names another user, and changes no password', async () => {
    // Prepare
    const token = randomUUID();
    fake.announce(MASTER_SECRET, token);
    await step('createSecret', token, MASTER_SECRET);
    fake.secrets.get(MASTER_SECRET)!.get(token)!.secretString = JSON.stringify({ ...fake.current(MASTER_SECRET), username: app, password: 'x'.repeat(32) });

    // Act
    const attempt = step('setSecret', token, MASTER_SECRET);

    // Assess
    await expect(attempt).rejects.toThrow('names another user or host');
    expect(await canLogIn(fake.current(MASTER_SECRET))).toBe(true);
  });
});
