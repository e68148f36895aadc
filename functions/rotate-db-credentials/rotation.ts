import { GetRandomPasswordCommand, ResourceNotFoundException, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type pg from 'pg';
import { connectAsMaster, isAuthenticationFailure } from '../lib/master-credentials.js';
import { type ConnectOptions, type DatabaseSecret, parseDatabaseSecret } from '../lib/postgres.js';
import { type RotationEvent, RotationError, pendingString, putPending, runRotationStep, secretStringAt } from '../lib/rotation-contract.js';
import { copyPrivileges, ensureLoginRole, roleExists, setPassword } from './roles.js';

export { RotationError, type RotationEvent, rotationEventSchema } from '../lib/rotation-contract.js';

export interface RotationDeps {
  readonly secrets: SecretsManagerClient;
  readonly connect: (secret: DatabaseSecret, options?: ConnectOptions) => Promise<pg.Client>;
  readonly passwordLength: number;
  readonly excludeCharacters: string;
  /** Schema the test step reads from with the new credentials. */
  readonly applicationSchema: string;
  readonly log: (message: string, details?: Record<string, unknown>) => void;
  /**
   * The master secret (full ARN), rotated by the single-user strategy: the master changes its own password, since
   * no other user may. Every other secret rotates by alternating users, administered by its `masterarn`.
   */
  readonly masterSecretArn: string;
}

export type RotationStrategy = 'single-user' | 'alternating-users';

const CLONE_SUFFIX = '_clone';

/** The application user and its clone take turns: `financehub_app` <-> `financehub_app_clone`. */
export function alternateUser(username: string): string {
  return username.endsWith(CLONE_SUFFIX) ? username.slice(0, -CLONE_SUFFIX.length) : `${username}${CLONE_SUFFIX}`;
}

async function secretAt(deps: RotationDeps, secretId: string, where: { VersionStage?: string; VersionId?: string }): Promise<DatabaseSecret> {
  return parseDatabaseSecret(await secretStringAt(deps.secrets, secretId, where));
}

/**
 * Runs one step of the Secrets Manager rotation contract. Every step is safe to repeat: a token already current
 * does nothing, and each step checks the state it would create before creating it.
 */
export async function rotateDatabaseCredentials(event: RotationEvent, deps: RotationDeps): Promise<void> {
  const { SecretId, ClientRequestToken: token } = event;
  const strategyOf = (description: { ARN?: string }): RotationStrategy => (description.ARN === deps.masterSecretArn ? 'single-user' : 'alternating-users');
  await runRotationStep(deps.secrets, event, deps.log, {
    createSecret: (description) => createPendingVersion(SecretId, token, strategyOf(description), deps),
    setSecret: (description) => (strategyOf(description) === 'single-user' ? setOwnPassword(SecretId, token, deps) : setPendingPassword(SecretId, token, deps)),
    testSecret: (description) => (strategyOf(description) === 'single-user' ? testMasterLogin(SecretId, token, deps) : testPendingLogin(SecretId, token, deps)),
  }, { recordProgress: true });
}

async function createPendingVersion(secretId: string, token: string, strategy: RotationStrategy, deps: RotationDeps): Promise<void> {
  const current = await secretAt(deps, secretId, { VersionStage: 'AWSCURRENT' });
  if (await pendingString(deps.secrets, secretId, token)) {
    deps.log('createSecret: the pending version exists already', { secretId });
    return;
  }
  const { RandomPassword } = await deps.secrets.send(
    new GetRandomPasswordCommand({ PasswordLength: deps.passwordLength, ExcludeCharacters: deps.excludeCharacters }),
  );
  if (!RandomPassword) throw new RotationError('Secrets Manager returned no random password');
  const username = strategy === 'single-user' ? current.username : alternateUser(current.username);
  const pending = { ...current, username, password: RandomPassword };
  await putPending(deps.secrets, secretId, token, JSON.stringify(pending));
  deps.log('createSecret: pending version created', { secretId, username: pending.username, strategy });
}

async function setPendingPassword(secretId: string, token: string, deps: RotationDeps): Promise<void> {
  const current = await secretAt(deps, secretId, { VersionStage: 'AWSCURRENT' });
  const pending = await secretAt(deps, secretId, { VersionId: token, VersionStage: 'AWSPENDING' });
  if (pending.username !== alternateUser(current.username)) {
    throw new RotationError(`Pending user ${pending.username} is not the alternate of ${current.username}`);
  }
  if (pending.host !== current.host || pending.dbname !== current.dbname) {
    throw new RotationError('The pending version points at another database than the current one');
  }
  if (!current.masterarn) throw new RotationError(`Secret ${secretId} has no masterarn: the alternating-users strategy needs the master credentials`);
  // The master rotates too: whichever of its stages logs in now (see connectAsMaster).
  const { client: admin, secret: master, stage } = await connectAsMaster(deps, current.masterarn, { database: current.dbname });
  try {
    if (master.host !== current.host) throw new RotationError('The master secret points at another database host');
    if (stage !== 'AWSCURRENT') deps.log('setSecret: the master logged in with another stage than AWSCURRENT', { stage });
    // First rotation of a new database: the application user itself may not exist yet.
    if (!(await roleExists(admin, current.username))) {
      await ensureLoginRole(admin, current.username, current.password);
      deps.log('setSecret: created the current user, which did not exist', { username: current.username });
    }
    await ensureLoginRole(admin, pending.username, pending.password);
    const copied = await copyPrivileges(admin, current.username, pending.username, current.dbname);
    await setPassword(admin, pending.username, pending.password);
    deps.log('setSecret: pending user ready', { username: pending.username, privilegesCopied: copied });
  } finally {
    await admin.end().catch(() => undefined);
  }
}

async function testPendingLogin(secretId: string, token: string, deps: RotationDeps): Promise<void> {
  const pending = await secretAt(deps, secretId, { VersionId: token, VersionStage: 'AWSPENDING' });
  const client = await deps.connect(pending);
  try {
    const { rows } = await client.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
        WHERE table_schema = $1 AND has_table_privilege(quote_ident(table_schema) || '.' || quote_ident(table_name), 'SELECT')
        ORDER BY table_name LIMIT 1`,
      [deps.applicationSchema],
    );
    const table = rows[0];
    if (!table) throw new RotationError(`${pending.username} can read no table in schema ${deps.applicationSchema}`);
    await client.query(`SELECT * FROM ${client.escapeIdentifier(table.schema)}.${client.escapeIdentifier(table.name)} LIMIT 1`);
    deps.log('testSecret: pending credentials read the application schema', { username: pending.username, table: table.name });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Logs in with `secret`; undefined when the database rejects its password (any other failure is thrown). */
async function tryLogin(deps: RotationDeps, secret: DatabaseSecret, database: string): Promise<pg.Client | undefined> {
  try {
    return await deps.connect(secret, { database });
  } catch (error) {
    if (isAuthenticationFailure(error)) return undefined;
    throw error;
  }
}

async function previousVersion(deps: RotationDeps, secretId: string): Promise<DatabaseSecret | undefined> {
  try {
    return await secretAt(deps, secretId, { VersionStage: 'AWSPREVIOUS' });
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/**
 * Single-user setSecret: the user changes its own password to the pending one. Safe to repeat: when the pending
 * password already logs in (a repeat, or a run that timed out after the change) nothing is changed; the current or
 * else the previous password (a finishSecret that never ran) is what logs in to make the change.
 */
async function setOwnPassword(secretId: string, token: string, deps: RotationDeps): Promise<void> {
  const current = await secretAt(deps, secretId, { VersionStage: 'AWSCURRENT' });
  const pending = await secretAt(deps, secretId, { VersionId: token, VersionStage: 'AWSPENDING' });
  if (pending.username !== current.username || pending.host !== current.host) {
    throw new RotationError('The pending version names another user or host than the current one: the single-user strategy keeps both');
  }
  const already = await tryLogin(deps, pending, current.dbname);
  if (already) {
    await already.end().catch(() => undefined);
    deps.log('setSecret: the pending password logs in already', { username: pending.username });
    return;
  }
  const previous = await previousVersion(deps, secretId);
  for (const [stage, secret] of [['AWSCURRENT', current], ['AWSPREVIOUS', previous]] as const) {
    if (!secret || secret.username !== current.username) continue;
    const client = await tryLogin(deps, secret, current.dbname);
    if (!client) continue;
    try {
      await client.query(`ALTER ROLE CURRENT_USER WITH PASSWORD ${client.escapeLiteral(pending.password)}`);
    } finally {
      await client.end().catch(() => undefined);
    }
    deps.log('setSecret: the user changed its own password', { username: current.username, loggedInWith: stage });
    return;
  }
  throw new RotationError(`None of the pending, current and previous passwords of ${secretId} logs in as ${current.username}`);
}

/** Single-user testSecret for the master: the pending password logs in and can still administer roles. */
async function testMasterLogin(secretId: string, token: string, deps: RotationDeps): Promise<void> {
  const pending = await secretAt(deps, secretId, { VersionId: token, VersionStage: 'AWSPENDING' });
  const client = await deps.connect(pending, { database: pending.dbname });
  try {
    const { rows } = await client.query<{ createrole: boolean }>('SELECT rolcreaterole OR rolsuper AS createrole FROM pg_roles WHERE rolname = current_user');
    if (!rows[0]?.createrole) throw new RotationError(`${pending.username} logs in with the pending password but cannot create roles: it is not the master`);
    deps.log('testSecret: the pending master password logs in and administers roles', { username: pending.username });
  } finally {
    await client.end().catch(() => undefined);
  }
}
