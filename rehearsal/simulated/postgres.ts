import pg from 'pg';

/**
 * Just enough PostgreSQL for rehearsing the restore drill's verification and the database rotations without a server:
 * pg.Client connects to nothing and answers the catalogue, count and newest-write queries from a description of each
 * database, keyed by host, and, for a database with `roles`, the login (a wrong password is 28P01, as PostgreSQL
 * answers it) and the role statements the rotations run. Anything else fails loudly. (The real SQL runs against
 * PostgreSQL 15 in the integration tests.)
 */

export interface SimulatedTable {
  readonly rows: number;
  /** Timestamp columns and the write times they hold (their maximum is the newest write). */
  readonly timestamps?: Readonly<Record<string, readonly Date[]>>;
}

/** A login role; the rotations change its password and copy its privileges. */
export interface SimulatedRole {
  password: string;
  /** CREATEROLE (the master): may create roles, set their passwords and grant. */
  readonly createRole?: boolean;
  /** Roles it is a member of. */
  readonly memberOf: string[];
  /** `CONNECT ON DATABASE financehub`, `USAGE ON SCHEMA public`, `SELECT ON TABLE public.ledger_account`. */
  readonly privileges: string[];
}

/** A statement (or a login) the database refuses, with PostgreSQL's error code. */
export interface SimulatedRefusal {
  /** Matched against the statement's text, or `login <user>` for a connection. */
  readonly matching: RegExp;
  readonly code: string;
  readonly message: string;
}

/** What a simulated database holds; `simulatePostgres` takes them by host (or a part of the host). */
export interface SimulatedDatabase {
  /** Tables by schema: `{ public: { accounts_user: { rows: 10 } } }`. */
  readonly schemas: Readonly<Record<string, Readonly<Record<string, SimulatedTable>>>>;
  /** Login roles by name: with them, a connection needs a role's password. Changed in place by the role statements. */
  readonly roles?: Record<string, SimulatedRole>;
  readonly refuse?: readonly SimulatedRefusal[];
}

export interface SimulatedPostgres {
  /** Hosts connected to, in order. */
  readonly connections: string[];
  /** Puts pg.Client back as it was. */
  restore(): void;
}

type QueryResult = { rows: Record<string, unknown>[]; rowCount: number };

const result = (rows: Record<string, unknown>[]): QueryResult => ({ rows, rowCount: rows.length });

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'ERROR' });

/** A SQL literal as pg's escapeLiteral writes it ('...' with '' for ', or E'...' with \\ for \). */
function literal(text: string): string {
  const escaped = text.startsWith('E') ? text.slice(2, -1).replaceAll('\\\\', '\\') : text.slice(1, -1);
  return escaped.replaceAll("''", "'");
}

const unquoted = (name: string) => name.replaceAll('"', '');

/** The role statements of the rotations, as `user` runs them; undefined for any other statement. */
function roleStatement(database: SimulatedDatabase, user: string, sql: string, values: unknown[]): QueryResult | undefined {
  const roles = database.roles;
  if (!roles) return undefined;
  const self = roles[user];
  const administer = () => {
    if (!self?.createRole) throw pgError('42501', 'permission denied to create role');
  };
  const role = (name: string) => {
    const found = roles[name];
    if (!found) throw pgError('42704', `role "${name}" does not exist`);
    return found;
  };
  if (sql === 'SELECT 1 FROM pg_roles WHERE rolname = $1') return result(roles[String(values[0])] ? [{ '?column?': 1 }] : []);
  if (sql.startsWith('SELECT rolcreaterole OR rolsuper AS createrole FROM pg_roles WHERE rolname = current_user')) return result([{ createrole: self?.createRole === true }]);
  const create = /^CREATE ROLE "([^"]+)" WITH LOGIN PASSWORD (E?'.*')$/.exec(sql);
  if (create) {
    administer();
    if (roles[create[1] ?? '']) throw pgError('42710', `role "${create[1]}" already exists`);
    roles[create[1] ?? ''] = { password: literal(create[2] ?? "''"), memberOf: [], privileges: [] };
    return result([]);
  }
  const alter = /^ALTER ROLE (CURRENT_USER|"[^"]+") WITH (?:LOGIN )?PASSWORD (E?'.*')$/.exec(sql);
  if (alter) {
    const name = alter[1] === 'CURRENT_USER' ? user : unquoted(alter[1] ?? '');
    if (name !== user) administer();
    role(name).password = literal(alter[2] ?? "''");
    return result([]);
  }
  const membership = /^GRANT "([^"]+)" TO "([^"]+)"$/.exec(sql);
  if (membership) {
    administer();
    const target = role(membership[2] ?? '');
    if (!target.memberOf.includes(membership[1] ?? '')) target.memberOf.push(membership[1] ?? '');
    return result([]);
  }
  const grant = /^GRANT (\w+) ON (DATABASE|SCHEMA|TABLE|SEQUENCE) (.+) TO "([^"]+)"$/.exec(sql);
  if (grant) {
    administer();
    const privilege = `${grant[1]} ON ${grant[2]} ${unquoted(grant[3] ?? '')}`;
    const target = role(grant[4] ?? '');
    if (!target.privileges.includes(privilege)) target.privileges.push(privilege);
    return result([]);
  }
  const held = (name: string, pattern: RegExp) => (roles[name]?.privileges ?? []).map((p) => pattern.exec(p)).filter((m): m is RegExpExecArray => m !== null);
  if (sql.startsWith('SELECT r.rolname AS role FROM pg_auth_members m')) return result((roles[String(values[0])]?.memberOf ?? []).map((name) => ({ role: name })));
  if (sql.startsWith('SELECT p AS privilege FROM unnest($3::text[]) AS p WHERE has_database_privilege')) {
    return result(held(String(values[0]), /^(\w+) ON DATABASE (.+)$/).filter((m) => m[2] === values[1]).map((m) => ({ privilege: m[1] })));
  }
  if (sql.startsWith('SELECT n.nspname AS schema, p AS privilege FROM pg_namespace n')) return result(held(String(values[0]), /^(\w+) ON SCHEMA (.+)$/).map((m) => ({ schema: m[2], privilege: m[1] })));
  if (sql.startsWith('SELECT n.nspname AS schema, c.relname AS name, a.privilege_type AS privilege FROM pg_class c')) {
    const kind = (values[1] as string[]).includes('S') ? 'SEQUENCE' : 'TABLE';
    return result(held(String(values[0]), new RegExp(`^(\\w+) ON ${kind} ([^.]+)\\.(.+)$`)).map((m) => ({ schema: m[2], name: m[3], privilege: m[1] })));
  }
  if (sql.startsWith('SELECT table_schema AS schema, table_name AS name FROM information_schema.tables')) {
    const readable = held(user, /^SELECT ON TABLE ([^.]+)\.(.+)$/).filter((m) => m[1] === values[0] && database.schemas[m[1] ?? '']?.[m[2] ?? '']);
    return result(readable.map((m) => ({ schema: m[1], name: m[2] })).sort((a, b) => String(a.name).localeCompare(String(b.name))).slice(0, 1));
  }
  const read = /^SELECT \* FROM "([^"]+)"\."([^"]+)" LIMIT 1$/.exec(sql);
  if (read) {
    if (!held(user, /^SELECT ON TABLE (.+)$/).some((m) => m[1] === `${read[1]}.${read[2]}`)) throw pgError('42501', `permission denied for table ${read[2]}`);
    return result([]);
  }
  return undefined;
}

function answer(database: SimulatedDatabase, user: string, text: string, values: unknown[]): QueryResult {
  const sql = text.replace(/\s+/g, ' ').trim();
  const refused = database.refuse?.find((refusal) => refusal.matching.test(sql));
  if (refused) throw pgError(refused.code, refused.message);
  const roleAnswer = roleStatement(database, user, sql, values);
  if (roleAnswer) return roleAnswer;
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
  prototype.connect = async function (this: { host?: string; user?: string; password?: unknown }) {
    const database = databaseOf(this);
    const user = this.user ?? '';
    const refused = database.refuse?.find((refusal) => refusal.matching.test(`login ${user}`));
    if (refused) throw pgError(refused.code, refused.message);
    if (database.roles && database.roles[user]?.password !== this.password) throw pgError('28P01', `password authentication failed for user "${user}"`);
    connections.push(this.host ?? '');
  };
  prototype.query = async function (this: { host?: string; user?: string }, text: string, values: unknown[] = []) {
    return answer(databaseOf(this), this.user ?? '', text, values);
  };
  prototype.end = async function () {
    return undefined;
  };
  return {
    connections,
    restore: () => Object.assign(prototype, original),
  };
}
