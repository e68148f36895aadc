import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { EnvironmentName } from '../../contracts/environments.js';
import { environmentConfig } from '../../infra/config.js';
import { type SimulatedAccount, SimulatedRds, type SimulatedRdsOptions, rdsInstance } from '../simulated/account.js';
import { type HeldDrillLock, SimulatedDynamoDb, holdDrillLock } from '../simulated/dynamodb.js';
import { type SimulatedDatabase, type SimulatedPostgres, simulatePostgres } from '../simulated/postgres.js';
import { type Scenario, minutesAgo, published } from './scenario.js';

/** The application's data as the source holds it: the newest ledger write 3 minutes before the restore point. */
export function applicationData(): SimulatedDatabase {
  return {
    schemas: {
      public: {
        accounts_user: { rows: 1200, timestamps: { date_joined: [minutesAgo(600), minutesAgo(120)] } },
        ledger_transaction: { rows: 50_000, timestamps: { created_at: [minutesAgo(60), minutesAgo(8)] } },
        // Quiet for days: an old newest row is not data loss.
        ledger_account: { rows: 300, timestamps: { updated_at: [minutesAgo(3 * 24 * 60)] } },
      },
    },
  };
}

/** The environment's primary the drill restores from and the read replica it compares with. */
export function restoreDrillDatabases(environment: EnvironmentName) {
  const { prefix } = environmentConfig(environment);
  const host = (id: string) => `${id}.sim.us-east-1.rds.amazonaws.com`;
  return { source: `${prefix}-db`, sourceHost: host(`${prefix}-db`), replica: `${prefix}-db-replica`, replicaHost: host(`${prefix}-db-replica`) };
}

/** What a restore drill's account varies: how RDS answers, what the restore holds, a drill already running. */
export interface RestoreDrillWorldOptions {
  /** Status checks a restore and a delete take, or what RDS refuses. @default SimulatedRds's */
  readonly rds?: Partial<Omit<SimulatedRdsOptions, 'instances'>>;
  /** What the restored instance holds; `null`: no database answers there. @default the source's data */
  readonly restored?: SimulatedDatabase | null;
  /** Another drill's execution holding the environment's drill lock for the next hour. */
  readonly lockHeldBy?: HeldDrillLock;
}

/** The restore drill's account as scripted, for a test to read back. */
export interface RestoreDrillWorld {
  readonly rds: SimulatedRds;
  readonly postgres: SimulatedPostgres;
  /** The remediation guardrails table, where the drill lock lives. */
  readonly lockTable: SimulatedDynamoDb;
  /** Puts pg.Client back. */
  readonly undo: () => void;
}

/** The restore drill's account: the source and its replica, the databases behind them, the admin secret, the drill lock. */
export function restoreDrillWorld(account: SimulatedAccount, environment: EnvironmentName, options: RestoreDrillWorldOptions = {}): RestoreDrillWorld {
  const { prefix } = environmentConfig(environment);
  const { source, sourceHost, replica, replicaHost } = restoreDrillDatabases(environment);
  const rds = new SimulatedRds(account, {
    instances: [
      rdsInstance(source, { Endpoint: { Address: sourceHost, Port: 5432 }, LatestRestorableTime: minutesAgo(5), DBParameterGroups: [{ DBParameterGroupName: `${prefix}-postgres15` }] }),
      rdsInstance(replica, { Endpoint: { Address: replicaHost, Port: 5432 }, MultiAZ: false }),
    ],
    ...options.rds,
  });
  const restored = options.restored === undefined ? applicationData() : options.restored;
  const postgres = simulatePostgres({
    [replicaHost]: applicationData(),
    [sourceHost]: applicationData(),
    // The restored instance's name carries the drill's start time: any drill host answers with the restored data.
    ...(restored ? { '-drill-': restored } : {}),
  });
  // The drill lock: conditional writes against the remediation guardrails table; another drill may hold it.
  const lockTable = new SimulatedDynamoDb(account);
  if (options.lockHeldBy) holdDrillLock(lockTable, environment, options.lockHeldBy.execution, options.lockHeldBy.drill, new Date(Date.now() + 3_600_000));
  account.mock(SecretsManagerClient).on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({ engine: 'postgres', host: sourceHost, port: 5432, username: 'financehub_admin', password: 'rehearsal-only', dbname: 'financehub', ssl: false }),
  });
  account.mock(S3Client).on(PutObjectCommand).resolves({});
  published(account);
  return { rds, postgres, lockTable, undo: () => postgres.restore() };
}

function restoreDrill(name: string, description: string, expect: Scenario['expect'], restored: () => SimulatedDatabase): Scenario {
  return {
    workflow: 'restore-drill',
    name,
    description,
    expect,
    functions: ['restore-drill'],
    input: () => ({ requestedBy: 'rehearsal' }),
    // Four status checks for the restore, three for the deletion: the report's timeline shows the waits.
    script: (account, environment) => ({ undo: restoreDrillWorld(account, environment, { rds: { restorePolls: 3, deletePolls: 2 }, restored: restored() }).undo }),
  };
}

export const restoreDrillScenarios: readonly Scenario[] = [
  restoreDrill('passing', 'take the drill lock, restore to a temporary instance, verify 3 tables against the replica, delete it, release the lock', 'SUCCEEDED', applicationData),
  restoreDrill('data-loss', 'the restored ledger is 23 minutes behind the source: the drill fails and still deletes its instance', 'FAILED', () => {
    const data = applicationData();
    return { schemas: { public: { ...data.schemas.public, ledger_transaction: { rows: 50_000, timestamps: { created_at: [minutesAgo(60), minutesAgo(31)] } } } } };
  }),
];
