import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { environmentConfig } from '../../infra/config.js';
import { SimulatedRds, rdsInstance } from '../simulated/account.js';
import { SimulatedDynamoDb } from '../simulated/dynamodb.js';
import { type SimulatedDatabase, simulatePostgres } from '../simulated/postgres.js';
import { type Scenario, minutesAgo, published } from './scenario.js';

function applicationData(): SimulatedDatabase {
  return {
    schemas: {
      public: {
        accounts_user: { rows: 1200, timestamps: { date_joined: [minutesAgo(600), minutesAgo(120)] } },
        ledger_transaction: { rows: 50_000, timestamps: { created_at: [minutesAgo(60), minutesAgo(8)] } },
        ledger_account: { rows: 300, timestamps: { updated_at: [minutesAgo(3 * 24 * 60)] } },
      },
    },
  };
}

function restoreDrill(name: string, description: string, expect: Scenario['expect'], restored: () => SimulatedDatabase): Scenario {
  return {
    workflow: 'restore-drill',
    name,
    description,
    expect,
    functions: ['restore-drill'],
    input: () => ({ requestedBy: 'rehearsal' }),
    script: (account, environment) => {
      const { prefix } = environmentConfig(environment);
      const host = (id: string) => `${id}.sim.us-east-1.rds.amazonaws.com`;
      new SimulatedRds(account, {
        instances: [
          rdsInstance(`${prefix}-db`, { Endpoint: { Address: host(`${prefix}-db`), Port: 5432 }, LatestRestorableTime: minutesAgo(5) }),
          rdsInstance(`${prefix}-db-replica`, { Endpoint: { Address: host(`${prefix}-db-replica`), Port: 5432 }, MultiAZ: false }),
        ],
        restorePolls: 3,
        deletePolls: 2,
      });
      const postgres = simulatePostgres({
        [host(`${prefix}-db-replica`)]: applicationData(),
        [host(`${prefix}-db`)]: applicationData(),
        '-drill-': restored(),
      });
      account.mock(SecretsManagerClient).on(GetSecretValueCommand).resolves({
        SecretString: JSON.stringify({ engine: 'postgres', host: host(`${prefix}-db`), port: 5432, username: 'financehub_admin', password: 'rehearsal-only', dbname: 'financehub', ssl: false }),
      });
      account.mock(S3Client).on(PutObjectCommand).resolves({});
      // The drill lock: a conditional write to the remediation guardrails table.
      new SimulatedDynamoDb(account);
      published(account);
      return { undo: () => postgres.restore() };
    },
  };
}

export const restoreDrillScenarios: readonly Scenario[] = [
  restoreDrill('passing', 'take the drill lock, restore to a temporary instance, verify 3 tables against the replica, delete it, release the lock', 'SUCCEEDED', applicationData),
  restoreDrill('data-loss', 'the restored ledger is 23 minutes behind the source: the drill fails and still deletes its instance', 'FAILED', () => {
    const data = applicationData();
    return { schemas: { public: { ...data.schemas.public, ledger_transaction: { rows: 50_000, timestamps: { created_at: [minutesAgo(60), minutesAgo(31)] } } } } };
  }),
];
