import type pg from 'pg';

/** PostgreSQL statements for the alternating-users rotation; every name and password is escaped by pg. */

export async function roleExists(client: pg.Client, role: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  return (rowCount ?? 0) > 0;
}

/** Creates a login role if it is missing (a concurrent creation is fine); never changes an existing one here. */
export async function ensureLoginRole(client: pg.Client, role: string, password: string): Promise<void> {
  if (await roleExists(client, role)) return;
  try {
    await client.query(`CREATE ROLE ${client.escapeIdentifier(role)} WITH LOGIN PASSWORD ${client.escapeLiteral(password)}`);
  } catch (error) {
    // 42710 duplicate_object: another attempt created it between the check and now.
    if ((error as { code?: string }).code !== '42710') throw error;
  }
}

export async function setPassword(client: pg.Client, role: string, password: string): Promise<void> {
  await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} WITH LOGIN PASSWORD ${client.escapeLiteral(password)}`);
}

export interface CopiedPrivileges {
  readonly memberships: number;
  readonly database: number;
  readonly schemas: number;
  readonly tables: number;
  readonly sequences: number;
}

/**
 * Gives `to` every privilege `from` has: role memberships, database privileges (CONNECT, CREATE, TEMPORARY),
 * schema privileges (USAGE, CREATE), and table and sequence privileges (including those `from` holds as owner;
 * ownership itself cannot be shared, which is why objects should be owned by a group role both users belong to).
 * GRANT is idempotent, so repeating this is safe.
 */
export async function copyPrivileges(client: pg.Client, from: string, to: string, database: string): Promise<CopiedPrivileges> {
  const target = client.escapeIdentifier(to);
  const grant = (sql: string) => client.query(sql);

  const memberships = await client.query<{ role: string }>(
    `SELECT r.rolname AS role FROM pg_auth_members m
       JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
      WHERE u.rolname = $1`,
    [from],
  );
  for (const { role } of memberships.rows) await grant(`GRANT ${client.escapeIdentifier(role)} TO ${target}`);

  const databasePrivileges = ['CONNECT', 'CREATE', 'TEMPORARY'];
  const heldOnDatabase = await client.query<{ privilege: string }>(
    `SELECT p AS privilege FROM unnest($3::text[]) AS p WHERE has_database_privilege($1, $2, p)`,
    [from, database, databasePrivileges],
  );
  for (const { privilege } of heldOnDatabase.rows) await grant(`GRANT ${privilege} ON DATABASE ${client.escapeIdentifier(database)} TO ${target}`);

  const schemas = await client.query<{ schema: string; privilege: string }>(
    `SELECT n.nspname AS schema, p AS privilege FROM pg_namespace n, unnest(ARRAY['USAGE','CREATE']) AS p
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
        AND has_schema_privilege($1, n.oid, p)`,
    [from],
  );
  for (const { schema, privilege } of schemas.rows) await grant(`GRANT ${privilege} ON SCHEMA ${client.escapeIdentifier(schema)} TO ${target}`);

  const relations = async (kinds: string[]) =>
    client.query<{ schema: string; name: string; privilege: string }>(
      `SELECT n.nspname AS schema, c.relname AS name, a.privilege_type AS privilege
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
              aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's'::"char" ELSE 'r'::"char" END, c.relowner))) a
        WHERE c.relkind = ANY($2::"char"[]) AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
      [from, kinds],
    );
  const tables = await relations(['r', 'v', 'm', 'p']);
  for (const row of tables.rows) {
    await grant(`GRANT ${row.privilege} ON TABLE ${client.escapeIdentifier(row.schema)}.${client.escapeIdentifier(row.name)} TO ${target}`);
  }
  const sequences = await relations(['S']);
  for (const row of sequences.rows) {
    await grant(`GRANT ${row.privilege} ON SEQUENCE ${client.escapeIdentifier(row.schema)}.${client.escapeIdentifier(row.name)} TO ${target}`);
  }
  return {
    memberships: memberships.rowCount ?? 0,
    database: heldOnDatabase.rowCount ?? 0,
    schemas: schemas.rowCount ?? 0,
    tables: tables.rowCount ?? 0,
    sequences: sequences.rowCount ?? 0,
  };
}
