import type pg from 'pg';
import { connectWithSecret } from '../../functions/lib/postgres.js';
import { type VerificationSettings, verifyRestoredDatabase } from '../../functions/restore-drill/verify.js';
import { type PostgresServer, startPostgres } from './support/postgres.js';

/**
 * The restore drill's verification SQL against a real PostgreSQL 15: one database plays the source (its read
 * replica), others play restored copies, with the application's critical tables.
 */

const restoreTime = new Date(Date.now() - 5 * 60_000);
const minutesFromRestore = (minutes: number) => new Date(restoreTime.getTime() + minutes * 60_000);

let server: PostgresServer;
const clients: pg.Client[] = [];

/** Connects as the master user through the same helper the verification function uses. */
async function connect(database: string): Promise<pg.Client> {
  const client = await connectWithSecret({ engine: 'postgres', host: server.host, port: server.port, username: server.superuser.user, password: server.superuser.password, dbname: database, ssl: false });
  clients.push(client);
  return client;
}

interface Fixture {
  /** Transaction times, minutes relative to the restore time. */
  readonly transactions: readonly number[];
  readonly users?: number;
  readonly withoutTables?: readonly string[];
}

/** The critical tables as the application has them, the ledger accounts untouched for three days. */
async function createDatabase(name: string, fixture: Fixture): Promise<void> {
  await server.createDatabase(name);
  const db = await connect(name);
  const skip = new Set(fixture.withoutTables ?? []);
  if (!skip.has('accounts_user')) {
    await db.query('CREATE TABLE accounts_user (id serial PRIMARY KEY, email text NOT NULL, date_joined timestamptz NOT NULL, last_login timestamptz)');
    await db.query("INSERT INTO accounts_user (email, date_joined) SELECT 'user' || i || '@example.com', $1::timestamptz - (i || ' hours')::interval FROM generate_series(1, $2::int) i", [
      minutesFromRestore(-30),
      fixture.users ?? 200,
    ]);
  }
  if (!skip.has('ledger_account')) {
    await db.query('CREATE TABLE ledger_account (id serial PRIMARY KEY, name text NOT NULL, updated_at timestamptz NOT NULL)');
    await db.query("INSERT INTO ledger_account (name, updated_at) SELECT 'account ' || i, $1::timestamptz - (i || ' minutes')::interval FROM generate_series(1, 50) i", [minutesFromRestore(-3 * 24 * 60)]);
  }
  if (!skip.has('ledger_transaction')) {
    await db.query('CREATE TABLE ledger_transaction (id serial PRIMARY KEY, amount numeric(12,2) NOT NULL, created_at timestamptz NOT NULL)');
    await db.query(
      "INSERT INTO ledger_transaction (amount, created_at) SELECT 10.5, $1::timestamptz - (i || ' seconds')::interval FROM generate_series(1, 995) i",
      [minutesFromRestore(-60)],
    );
    for (const minutes of fixture.transactions) await db.query('INSERT INTO ledger_transaction (amount, created_at) VALUES (1, $1)', [minutesFromRestore(minutes)]);
  }
}

const settings = (overrides: Partial<VerificationSettings> = {}): VerificationSettings => ({
  schema: 'public',
  criticalTables: ['accounts_user', 'ledger_transaction', 'ledger_account'],
  rowCountTolerancePercent: 1,
  rpoMinutes: 15,
  restoreTime,
  ...overrides,
});

beforeAll(async () => {
  server = await startPostgres();
  // The source has three writes in the last minutes before the restore point and two after it.
  await createDatabase('source', { transactions: [-20, -10, -3, 1, 2] });
  await createDatabase('restored_complete', { transactions: [-20, -10, -3] });
  await createDatabase('restored_lossy', { transactions: [-23] });
  await createDatabase('restored_missing_table', { transactions: [-20, -10, -3], withoutTables: ['ledger_transaction'] });
  await createDatabase('restored_short_of_users', { transactions: [-20, -10, -3], users: 150 });
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  await server?.stop();
}, 60_000);

describe('the restore drill verification SQL on PostgreSQL 15', () => {
  it('passes a complete restore: tables present, counts within 1%, no data lost before the restore point', async () => {
    // Act
    const outcome = await verifyRestoredDatabase(await connect('restored_complete'), await connect('source'), settings());

    // Assess
    expect(outcome).toMatchObject({ schemaExists: true, passed: true, problems: [], dataLossSeconds: 0 });
    expect(outcome.tables.find((t) => t.table === 'ledger_transaction')).toMatchObject({
      restoredRows: 998,
      sourceRows: 1000,
      deviationPercent: 0.2,
      rowsWithinTolerance: true,
      timestampColumn: 'created_at',
      restoredNewestWrite: minutesFromRestore(-3).toISOString(),
      sourceNewestWrite: minutesFromRestore(-3).toISOString(),
      lossSeconds: 0,
    });
  });

  it('does not count a table whose newest row is older than the RPO as data loss when the source has nothing newer', async () => {
    // Act
    const outcome = await verifyRestoredDatabase(await connect('restored_complete'), await connect('source'), settings());

    // Assess
    const accounts = outcome.tables.find((t) => t.table === 'ledger_account');
    expect(accounts).toMatchObject({ timestampColumn: 'updated_at', lossSeconds: 0 });
    expect(Date.parse(accounts?.restoredNewestWrite ?? '')).toBeLessThan(restoreTime.getTime() - 15 * 60_000);
  });

  it('measures the data-loss window from the newest writes and fails it beyond the 15-minute RPO', async () => {
    // Act
    const outcome = await verifyRestoredDatabase(await connect('restored_lossy'), await connect('source'), settings());

    // Assess
    expect(outcome.dataLossSeconds).toBe(20 * 60);
    expect(outcome.passed).toBe(false);
    expect(outcome.problems).toEqual(expect.arrayContaining(['data-loss window 20 min exceeds the 15-minute RPO']));
  });

  it('fails when a critical table is missing from the restore', async () => {
    // Act
    const outcome = await verifyRestoredDatabase(await connect('restored_missing_table'), await connect('source'), settings());

    // Assess
    expect(outcome.passed).toBe(false);
    expect(outcome.problems).toEqual(['table public.ledger_transaction is missing from the restored database']);
    expect(outcome.tables.find((t) => t.table === 'ledger_transaction')).toMatchObject({ exists: false });
  });

  it('fails when row counts differ by more than the tolerance', async () => {
    // Act
    const outcome = await verifyRestoredDatabase(await connect('restored_short_of_users'), await connect('source'), settings());

    // Assess
    expect(outcome.passed).toBe(false);
    expect(outcome.problems).toEqual(['accounts_user: 150 rows restored vs 200 in the source (25% apart, tolerance 1%)']);
  });

  it('fails at once when the expected schema does not exist', async () => {
    // Act
    const outcome = await verifyRestoredDatabase(await connect('restored_complete'), await connect('source'), settings({ schema: 'ledger' }));

    // Assess
    expect(outcome).toMatchObject({ schemaExists: false, passed: false, problems: ['schema ledger is missing from the restored database'] });
  });

  it('refuses table names that are not plain identifiers instead of building SQL with them', async () => {
    // Act
    const verifying = verifyRestoredDatabase(await connect('restored_complete'), await connect('source'), settings({ criticalTables: ['accounts_user; DROP TABLE accounts_user'] }));

    // Assess
    await expect(verifying).rejects.toThrow('is not a plain lower-case SQL identifier');
  });
});
