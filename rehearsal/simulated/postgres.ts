import pg from 'pg';

/**
 * Just enough PostgreSQL for rehearsing the restore drill's verification without a server: pg.Client connects
 * to nothing and answers the catalogue, count and newest-write queries from a description of each database, keyed
 * by host. Anything else fails loudly. (The real SQL runs against PostgreSQL 15 in the integration tests.)
 */

export interface SimulatedTable {
  readonly rows: number;
  /** Timestamp columns and the write times they hold (their maximum is the newest write). */
  readonly timestamps?: Readonly<Record<string, readonly Date[]>>;
}

/** What a simulated database holds; `simulatePostgres` takes them by host (or a part of the host). */
export interface SimulatedDatabase {
  /** Tables by schema: `{ public: { accounts_user: { rows: 10 } } }`. */
  readonly schemas: Readonly<Record<string, Readonly<Record<string, SimulatedTable>>>>;
}

export interface SimulatedPostgres {
  /** Hosts connected to, in order. */
  readonly connections: string[];
  /** Puts pg.Client back as it was. */
  restore(): void;
}

type QueryResult = { rows: Record<string, unknown>[]; rowCount: number };

const result = (rows: Record<string, unknown>[]): QueryResult => ({ rows, rowCount: rows.length });

function answer(database: SimulatedDatabase, text: string, values: unknown[]): QueryResult {
  const sql = text.replace(/\s+/g, ' ').trim();
  if (sql.startsWith('SELECT 1 FROM information_schema.schemata')) {
    return result(database.schemas[String(values[0])] ? [{ '?column?': 1 }] : []);
  }
  if (sql.startsWith('SELECT table_name FROM information_schema.tables')) {
    const tables = database.schemas[String(values[0])] ?? {};
    return result((values[1] as string[]).filter((name) => tables[name]).map((table_name) => ({ table_name })));
  }
  if (sql.startsWith('SELECT column_name FROM information_schema.columns')) {
    const table = database.schemas[String(values[0])]?.[String(values[1])];
    return result(Object.keys(table?.timestamps ?? {}).map((column_name) => ({ column_name })));
  }
  const qualified = /FROM "([^"]+)"\."([^"]+)"/.exec(sql);
  const table = qualified ? database.schemas[qualified[1] ?? '']?.[qualified[2] ?? ''] : undefined;
  if (qualified && !table) throw Object.assign(new Error(`relation "${qualified[1]}.${qualified[2]}" does not exist`), { code: '42P01' });
  if (table && sql.startsWith('SELECT count(*)')) return result([{ count: String(table.rows) }]);
  const newest = /^SELECT max\("([^"]+)"\) AS newest FROM "[^"]+"\."[^"]+"( WHERE "[^"]+" <= \$1)?$/.exec(sql);
  if (table && newest) {
    const notAfter = newest[2] ? (values[0] as Date).getTime() : Number.POSITIVE_INFINITY;
    const times = (table.timestamps?.[newest[1] ?? ''] ?? []).map((d) => d.getTime()).filter((t) => t <= notAfter);
    return result([{ newest: times.length ? new Date(Math.max(...times)) : null }]);
  }
  throw new Error(`Simulated PostgreSQL does not answer: ${sql}`);
}

/** Replaces pg.Client's connect, query and end with answers from `databases` (by host) until `restore()`. */
export function simulatePostgres(databases: Readonly<Record<string, SimulatedDatabase>>): SimulatedPostgres {
  const prototype = pg.Client.prototype as unknown as Record<string, unknown>;
  const original = { connect: prototype.connect, query: prototype.query, end: prototype.end };
  const connections: string[] = [];
  // By exact host first, else by a part of it (`-drill-` for instances named at run time).
  const databaseOf = (client: { host?: string }) => {
    const host = client.host ?? '';
    const database = databases[host] ?? Object.entries(databases).find(([part]) => host.includes(part))?.[1];
    if (!database) throw Object.assign(new Error(`connect ECONNREFUSED ${client.host}:5432 (no simulated database there)`), { code: 'ECONNREFUSED' });
    return database;
  };
  prototype.connect = async function (this: { host?: string }) {
    databaseOf(this);
    connections.push(this.host ?? '');
  };
  prototype.query = async function (this: { host?: string }, text: string, values: unknown[] = []) {
    return answer(databaseOf(this), text, values);
  };
  prototype.end = async function () {
    return undefined;
  };
  return {
    connections,
    restore: () => Object.assign(prototype, original),
  };
}
