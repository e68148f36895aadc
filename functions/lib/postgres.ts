import pg from 'pg';
import * as z from 'zod';

/** A database secret in the RDS convention (what Secrets Manager rotation and RDS-managed secrets store). */
export const databaseSecretSchema = z.object({
  engine: z.string().default('postgres'),
  host: z.string().min(1),
  port: z.coerce.number().int().positive().default(5432),
  username: z.string().min(1),
  password: z.string().min(1),
  dbname: z.string().min(1).default('postgres'),
  masterarn: z.string().optional(),
  /** TLS is required unless the secret says `"ssl": false` (local test servers). */
  ssl: z.boolean().optional(),
});

export type DatabaseSecret = z.infer<typeof databaseSecretSchema>;

/** Parses a secret string; the error names the missing fields, never the values. */
export function parseDatabaseSecret(json: string): DatabaseSecret {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('The database secret is not JSON');
  }
  const parsed = databaseSecretSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`The database secret is missing or has malformed fields: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  }
  return parsed.data;
}

export interface ConnectOptions {
  /** Connect here instead of the secret's host (a restored drill instance, a read replica). */
  readonly host?: string;
  readonly port?: number;
  readonly database?: string;
  /** @default 5000 */
  readonly connectTimeoutMs?: number;
}

/**
 * Opens a connection with the secret's credentials. Errors keep PostgreSQL's message and code but never the
 * password (pg does not echo it; this wrapper adds only host and user).
 */
export async function connectWithSecret(secret: DatabaseSecret, options: ConnectOptions = {}): Promise<pg.Client> {
  const client = new pg.Client({
    host: options.host ?? secret.host,
    port: options.port ?? secret.port,
    user: secret.username,
    password: secret.password,
    database: options.database ?? secret.dbname,
    ssl: secret.ssl === false ? false : { rejectUnauthorized: true },
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    statement_timeout: 60_000,
    application_name: 'financehub-ops',
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot connect to ${options.host ?? secret.host} as ${secret.username}: ${detail}`, { cause: error });
  }
  return client;
}

/** Runs `work` on a fresh connection and always closes it. */
export async function withConnection<T>(secret: DatabaseSecret, options: ConnectOptions, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connectWithSecret(secret, options);
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
