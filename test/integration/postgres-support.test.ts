import { createServer, type Server } from 'node:net';
import { type PostgresServer, startPostgres } from './support/postgres.js';

/** The integration tests' PostgreSQL: it answers queries, and a start that cannot succeed fails at once with its cause. */

let blocker: Server | undefined;
let server: PostgresServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  blocker = undefined;
}, 60_000);

describe('the integration tests\' PostgreSQL 15', () => {
  it('starts on a loopback port and answers queries as the superuser', async () => {
    // Act
    server = await startPostgres();
    const client = await server.admin();
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');

    // Assess
    expect(rows[0]?.server_version).toMatch(/^15\./);
  }, 120_000);

  it('fails with PostgreSQL\'s own reason, without waiting for the timeout, when its port is taken', async () => {
    // Prepare
    blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker?.listen(0, '127.0.0.1', () => resolve((blocker?.address() as { port: number }).port)));

    // Act
    const start = startPostgres({ port, startTimeoutMs: 100_000 });

    // Assess
    await expect(start).rejects.toThrow(/PostgreSQL did not start: it exited .*Address already in use/s);
  }, 60_000);
});
