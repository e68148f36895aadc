import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type pg from 'pg';
import * as z from 'zod';
import { type ConnectOptions, type DatabaseSecret, parseDatabaseSecret } from '../lib/postgres.js';
import { copyPrivileges, ensureLoginRole, roleExists, setPassword } from './roles.js';

export const rotationEventSchema = z.object({
  Step: z.enum(['createSecret', 'setSecret', 'testSecret', 'finishSecret']),
  SecretId: z.string().min(1),
  ClientRequestToken: z.string().min(1),
});

export type RotationEvent = z.infer<typeof rotationEventSchema>;

/** The rotation cannot go on: a token that is not this secret's pending version, a broken secret. Nothing was changed. */
export class RotationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RotationError';
  }
}

export interface RotationDeps {
  readonly secrets: SecretsManagerClient;
  readonly connect: (secret: DatabaseSecret, options?: ConnectOptions) => Promise<pg.Client>;
  readonly passwordLength: number;
  readonly excludeCharacters: string;
  /** Schema the test step reads from with the new credentials. */
  readonly applicationSchema: string;
  readonly log: (message: string, details?: Record<string, unknown>) => void;
}

const CLONE_SUFFIX = '_clone';

/** The application user and its clone take turns: `financehub_app` <-> `financehub_app_clone`. */
export function alternateUser(username: string): string {
  return username.endsWith(CLONE_SUFFIX) ? username.slice(0, -CLONE_SUFFIX.length) : `${username}${CLONE_SUFFIX}`;
}

async function secretAt(deps: RotationDeps, secretId: string, where: { VersionStage?: string; VersionId?: string }): Promise<DatabaseSecret> {
  const { SecretString } = await deps.secrets.send(new GetSecretValueCommand({ SecretId: secretId, ...where }));
  if (!SecretString) throw new RotationError(`${secretId} has no secret string at ${JSON.stringify(where)}`);
  return parseDatabaseSecret(SecretString);
}

/**
 * Runs one step of the Secrets Manager rotation contract. Every step is safe to repeat: a token already current
 * does nothing, and each step checks the state it would create before creating it.
 */
export async function rotateDatabaseCredentials(event: RotationEvent, deps: RotationDeps): Promise<void> {
  const { SecretId, ClientRequestToken: token, Step } = event;
  const description = await deps.secrets.send(new DescribeSecretCommand({ SecretId }));
  if (description.RotationEnabled === false) throw new RotationError(`Secret ${SecretId} is not enabled for rotation`);
  const stages = description.VersionIdsToStages?.[token];
  if (!stages) throw new RotationError(`Version ${token} does not belong to secret ${SecretId}`);
  if (stages.includes('AWSCURRENT')) {
    deps.log('Version is already AWSCURRENT: nothing to do', { step: Step, secretId: SecretId });
    return;
  }
  if (!stages.includes('AWSPENDING')) throw new RotationError(`Version ${token} of secret ${SecretId} is not AWSPENDING`);

  switch (Step) {
    case 'createSecret':
      return createPendingVersion(SecretId, token, deps);
    case 'setSecret':
      return setPendingPassword(SecretId, token, deps);
    case 'testSecret':
      return testPendingLogin(SecretId, token, deps);
    case 'finishSecret':
      return promotePendingVersion(SecretId, token, description.VersionIdsToStages ?? {}, deps);
  }
}

async function createPendingVersion(secretId: string, token: string, deps: RotationDeps): Promise<void> {
  const current = await secretAt(deps, secretId, { VersionStage: 'AWSCURRENT' });
  try {
    await secretAt(deps, secretId, { VersionId: token, VersionStage: 'AWSPENDING' });
    deps.log('createSecret: the pending version exists already', { secretId });
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const { RandomPassword } = await deps.secrets.send(
    new GetRandomPasswordCommand({ PasswordLength: deps.passwordLength, ExcludeCharacters: deps.excludeCharacters }),
  );
  if (!RandomPassword) throw new RotationError('Secrets Manager returned no random password');
  const pending = { ...current, username: alternateUser(current.username), password: RandomPassword };
  await deps.secrets.send(
    new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: token, SecretString: JSON.stringify(pending), VersionStages: ['AWSPENDING'] }),
  );
  deps.log('createSecret: pending version created', { secretId, username: pending.username });
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
  const master = await secretAt(deps, current.masterarn, { VersionStage: 'AWSCURRENT' });
  if (master.host !== current.host) throw new RotationError('The master secret points at another database host');

  const admin = await deps.connect(master, { database: current.dbname });
  try {
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

async function promotePendingVersion(secretId: string, token: string, versions: Record<string, string[]>, deps: RotationDeps): Promise<void> {
  const currentVersion = Object.entries(versions).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
  await deps.secrets.send(
    new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: currentVersion }),
  );
  deps.log('finishSecret: AWSCURRENT moved to the new version', { secretId, previousVersion: currentVersion });
}
