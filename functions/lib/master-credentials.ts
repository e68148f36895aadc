import { GetSecretValueCommand, ResourceNotFoundException, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type pg from 'pg';
import { type ConnectOptions, type DatabaseSecret, connectWithSecret, parseDatabaseSecret } from './postgres.js';

/**
 * The stages a connection as the master user tries, in order. The master password rotates single-user, so for a
 * moment (setSecret done, finishSecret not yet) only AWSPENDING logs in, and an instance restored from a backup
 * taken before the last rotation still has the AWSPREVIOUS password in its catalogue.
 */
export const MASTER_STAGES = ['AWSCURRENT', 'AWSPENDING', 'AWSPREVIOUS'] as const;

export type MasterStage = (typeof MASTER_STAGES)[number];

/** PostgreSQL's invalid_password (28P01): the only failure another stage can cure. */
export function isAuthenticationFailure(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as { code?: string }).code === '28P01') return true;
  }
  return false;
}

export interface MasterConnection {
  readonly client: pg.Client;
  /** The stage whose password logged in. */
  readonly stage: MasterStage;
  readonly secret: DatabaseSecret;
}

export interface MasterConnectDeps {
  readonly secrets: SecretsManagerClient;
  readonly connect?: (secret: DatabaseSecret, options?: ConnectOptions) => Promise<pg.Client>;
}

async function secretAtStage(secrets: SecretsManagerClient, secretId: string, stage: MasterStage): Promise<DatabaseSecret | undefined> {
  try {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
    return SecretString ? parseDatabaseSecret(SecretString) : undefined;
  } catch (error) {
    // No rotation in progress (AWSPENDING) or never rotated (AWSPREVIOUS).
    if (error instanceof ResourceNotFoundException && stage !== 'AWSCURRENT') return undefined;
    throw error;
  }
}

/**
 * Connects as the master user with the first stage of the master secret that logs in (see MASTER_STAGES). Any
 * failure other than a rejected password (host unreachable, TLS, timeout) is thrown at once: another password
 * cannot cure it. The error names the stages tried, never a password.
 */
export async function connectAsMaster(deps: MasterConnectDeps, secretId: string, options: ConnectOptions = {}): Promise<MasterConnection> {
  const connect = deps.connect ?? connectWithSecret;
  const rejected: string[] = [];
  let lastRejection: unknown;
  for (const stage of MASTER_STAGES) {
    const secret = await secretAtStage(deps.secrets, secretId, stage);
    if (!secret) continue;
    try {
      return { client: await connect(secret, options), stage, secret };
    } catch (error) {
      if (!isAuthenticationFailure(error)) throw error;
      rejected.push(stage);
      lastRejection = error;
    }
  }
  throw new Error(`The database rejected the master password of every stage of ${secretId} tried (${rejected.join(', ')})`, { cause: lastRejection });
}
