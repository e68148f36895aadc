import type pg from 'pg';

/**
 * The verification SQL of the restore drill, run against the restored instance and the source (its read replica):
 * the expected schema and tables exist, row counts agree within a tolerance, and the newest write timestamps give
 * the data-loss window.
 */

export interface VerificationSettings {
  readonly schema: string;
  readonly criticalTables: readonly string[];
  readonly rowCountTolerancePercent: number;
  readonly rpoMinutes: number;
  /** The moment the restore represents (RDS's latest restorable time, or when the restore was requested). */
  readonly restoreTime: Date;
}

export interface TableVerification {
  readonly table: string;
  readonly exists: boolean;
  readonly restoredRows?: number;
  readonly sourceRows?: number;
  readonly deviationPercent?: number;
  readonly rowsWithinTolerance: boolean;
  /** The column read for the newest write; undefined when the table has none. */
  readonly timestampColumn?: string;
  readonly restoredNewestWrite?: string;
  /** Newest write in the source no later than the restore time: what the restore should contain. */
  readonly sourceNewestWrite?: string;
  /** How much older the restored newest write is than the source's at the restore time (0 when it has it all). */
  readonly lossSeconds?: number;
}

export interface VerificationOutcome {
  readonly schemaExists: boolean;
  readonly tables: TableVerification[];
  /** The worst table's loss: writes the source had at the restore time and the restore lacks. */
  readonly dataLossSeconds?: number;
  /** Newest write found in the restored database, any critical table. */
  readonly newestWrite?: string;
  readonly passed: boolean;
  readonly problems: string[];
}

type Queryable = Pick<pg.Client, 'query' | 'escapeIdentifier'>;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Columns read for the newest write, best first (Django's and the usual conventions). */
const TIMESTAMP_PREFERENCE = ['updated_at', 'modified_at', 'last_modified', 'created_at', 'created', 'timestamp', 'date_joined', 'posted_at', 'occurred_at'];

async function schemaExists(db: Queryable, schema: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema]);
  return (rowCount ?? 0) > 0;
}

async function existingTables(db: Queryable, schema: string, tables: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name = ANY($2::text[])",
    [schema, tables],
  );
  return new Set(rows.map((row) => row.table_name));
}

async function timestampColumn(db: Queryable, schema: string, table: string): Promise<string | undefined> {
  const { rows } = await db.query<{ column_name: string }>(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND data_type IN ('timestamp with time zone', 'timestamp without time zone')",
    [schema, table],
  );
  const names = rows.map((row) => row.column_name);
  return TIMESTAMP_PREFERENCE.find((name) => names.includes(name)) ?? names.find((name) => name.endsWith('_at'));
}

async function countRows(db: Queryable, qualified: string): Promise<number> {
  const { rows } = await db.query<{ count: string }>(`SELECT count(*)::bigint AS count FROM ${qualified}`);
  return Number(rows[0]?.count ?? 0);
}

async function newestWrite(db: Queryable, qualified: string, column: string, notAfter?: Date): Promise<Date | undefined> {
  const quoted = db.escapeIdentifier(column);
  const { rows } = notAfter
    ? await db.query<{ newest: Date | null }>(`SELECT max(${quoted}) AS newest FROM ${qualified} WHERE ${quoted} <= $1`, [notAfter])
    : await db.query<{ newest: Date | null }>(`SELECT max(${quoted}) AS newest FROM ${qualified}`);
  return rows[0]?.newest ?? undefined;
}

async function verifyTable(restored: Queryable, source: Queryable, settings: VerificationSettings, table: string): Promise<TableVerification> {
  const qualified = `${restored.escapeIdentifier(settings.schema)}.${restored.escapeIdentifier(table)}`;
  const [restoredRows, sourceRows, column] = await Promise.all([countRows(restored, qualified), countRows(source, qualified), timestampColumn(restored, settings.schema, table)]);
  const deviationPercent = sourceRows === 0 ? (restoredRows === 0 ? 0 : 100) : Math.round((Math.abs(sourceRows - restoredRows) / sourceRows) * 10_000) / 100;
  const result = {
    table,
    exists: true,
    restoredRows,
    sourceRows,
    deviationPercent,
    rowsWithinTolerance: deviationPercent <= settings.rowCountTolerancePercent,
  };
  if (!column) return result;
  const [restoredNewest, sourceNewest] = await Promise.all([newestWrite(restored, qualified, column), newestWrite(source, qualified, column, settings.restoreTime)]);
  let lossSeconds: number | undefined;
  if (sourceNewest) {
    lossSeconds = restoredNewest ? Math.max(0, Math.round((sourceNewest.getTime() - restoredNewest.getTime()) / 1000)) : undefined;
  } else {
    lossSeconds = 0;
  }
  return {
    ...result,
    timestampColumn: column,
    restoredNewestWrite: restoredNewest?.toISOString(),
    sourceNewestWrite: sourceNewest?.toISOString(),
    lossSeconds,
  };
}

/** Runs every check against both databases; a missing table or a loss beyond the RPO fails the verification. */
export async function verifyRestoredDatabase(restored: Queryable, source: Queryable, settings: VerificationSettings): Promise<VerificationOutcome> {
  for (const name of [settings.schema, ...settings.criticalTables]) {
    if (!IDENTIFIER.test(name)) throw new Error(`"${name}" is not a plain lower-case SQL identifier; refusing to build a query with it`);
  }
  const problems: string[] = [];
  if (!(await schemaExists(restored, settings.schema))) {
    return { schemaExists: false, tables: [], passed: false, problems: [`schema ${settings.schema} is missing from the restored database`] };
  }
  const [restoredTables, sourceTables] = await Promise.all([
    existingTables(restored, settings.schema, settings.criticalTables),
    existingTables(source, settings.schema, settings.criticalTables),
  ]);
  const tables: TableVerification[] = [];
  for (const table of settings.criticalTables) {
    if (!restoredTables.has(table)) {
      problems.push(`table ${settings.schema}.${table} is missing from the restored database`);
      tables.push({ table, exists: false, rowsWithinTolerance: false });
      continue;
    }
    if (!sourceTables.has(table)) {
      problems.push(`table ${settings.schema}.${table} is missing from the source, so its rows cannot be compared`);
      tables.push({ table, exists: true, rowsWithinTolerance: false });
      continue;
    }
    const verified = await verifyTable(restored, source, settings, table);
    if (!verified.rowsWithinTolerance) {
      problems.push(`${table}: ${verified.restoredRows} rows restored vs ${verified.sourceRows} in the source (${verified.deviationPercent}% apart, tolerance ${settings.rowCountTolerancePercent}%)`);
    }
    if (verified.timestampColumn && verified.lossSeconds === undefined) {
      problems.push(`${table}: the restored table has no ${verified.timestampColumn} value while the source has writes up to ${verified.sourceNewestWrite}`);
    }
    tables.push(verified);
  }
  const losses = tables.map((t) => t.lossSeconds).filter((loss): loss is number => loss !== undefined);
  const dataLossSeconds = losses.length > 0 ? Math.max(...losses) : undefined;
  if (dataLossSeconds !== undefined && dataLossSeconds > settings.rpoMinutes * 60) {
    problems.push(`data-loss window ${Math.round(dataLossSeconds / 60)} min exceeds the ${settings.rpoMinutes}-minute RPO`);
  }
  const newest = tables
    .map((t) => t.restoredNewestWrite)
    .filter((value): value is string => value !== undefined)
    .sort()
    .at(-1);
  return { schemaExists: true, tables, dataLossSeconds, newestWrite: newest, passed: problems.length === 0, problems };
}

export interface InspectionSettings {
  readonly schema: string;
  readonly criticalTables: readonly string[];
}

export interface InspectedTable {
  readonly table: string;
  readonly exists: boolean;
  readonly rows?: number;
  readonly timestampColumn?: string;
  readonly newestWrite?: string;
}

export interface InspectionOutcome {
  readonly passed: boolean;
  readonly problems: string[];
  readonly tables: InspectedTable[];
  /** Newest write found in any critical table. */
  readonly newestWrite?: string;
}

/**
 * The verification SQL on a restored database alone, where no source can be reached to compare with (the DR region
 * during a regional outage): the schema and every critical table exist, their rows are counted and their newest write
 * read. The same queries as `verifyRestoredDatabase`.
 */
export async function inspectRestoredDatabase(restored: Queryable, settings: InspectionSettings): Promise<InspectionOutcome> {
  for (const name of [settings.schema, ...settings.criticalTables]) {
    if (!IDENTIFIER.test(name)) throw new Error(`"${name}" is not a plain lower-case SQL identifier; refusing to build a query with it`);
  }
  if (!(await schemaExists(restored, settings.schema))) return { passed: false, problems: [`schema ${settings.schema} is missing from the restored database`], tables: [] };
  const present = await existingTables(restored, settings.schema, settings.criticalTables);
  const tables: InspectedTable[] = [];
  const problems: string[] = [];
  for (const table of settings.criticalTables) {
    if (!present.has(table)) {
      problems.push(`table ${settings.schema}.${table} is missing from the restored database`);
      tables.push({ table, exists: false });
      continue;
    }
    const qualified = `${restored.escapeIdentifier(settings.schema)}.${restored.escapeIdentifier(table)}`;
    const [rows, column] = await Promise.all([countRows(restored, qualified), timestampColumn(restored, settings.schema, table)]);
    const newest = column ? await newestWrite(restored, qualified, column) : undefined;
    tables.push({ table, exists: true, rows, timestampColumn: column, newestWrite: newest?.toISOString() });
  }
  const newestWriteAny = tables
    .map((t) => t.newestWrite)
    .filter((value): value is string => value !== undefined)
    .sort()
    .at(-1);
  return { passed: problems.length === 0, problems, tables, newestWrite: newestWriteAny };
}
