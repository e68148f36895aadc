import { environmentConfig } from '../../infra/config.js';
import { SimulatedSecretsManager } from '../simulated/secrets-manager.js';
import { type SimulatedDatabase, type SimulatedRefusal, simulatePostgres } from '../simulated/postgres.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import { type RotationFailurePoint, type RehearsalWorld, type Scenario, type ScriptedAccount, awsRefusal, minutesAgo, simulatedCluster, rotationScenarios } from './scenario.js';
import type { SimulatedAccount } from '../simulated/account.js';

export const DATABASE_HOST = (prefix: string) => `${prefix}-db.sim.us-east-1.rds.amazonaws.com`;
export const MASTER_USER = 'financehub_admin';
export const APP_USER = 'financehub_app';

/** The application's database: its tables, the master, and the application user with the privileges it works with. */
function database(refuse: readonly SimulatedRefusal[], masterMayCreateRoles = true): SimulatedDatabase {
  return {
    schemas: { public: { ledger_account: { rows: 300, timestamps: { updated_at: [minutesAgo(60)] } }, ledger_transaction: { rows: 50_000 } } },
    roles: {
      [MASTER_USER]: { password: 'rehearsal-master-password-0', createRole: masterMayCreateRoles, memberOf: [], privileges: [] },
      [APP_USER]: {
        password: 'rehearsal-app-password-0',
        memberOf: [],
        privileges: ['CONNECT ON DATABASE financehub', 'USAGE ON SCHEMA public', 'SELECT ON TABLE public.ledger_account', 'SELECT ON TABLE public.ledger_transaction', 'INSERT ON TABLE public.ledger_transaction'],
      },
    },
    refuse,
  };
}

/** The database's refusals at each failure point of the application user's (alternating users) and the master's (single user) rotation. */
const APP_REFUSALS: Partial<Record<RotationFailurePoint, SimulatedRefusal[]>> = {
  testSecret: [{ matching: /^login financehub_app_clone$/, code: '28000', message: 'no pg_hba.conf entry for host "10.0.3.12", user "financehub_app_clone", database "financehub", SSL on' }],
};
const MASTER_REFUSALS: Partial<Record<RotationFailurePoint, SimulatedRefusal[]>> = {
  setSecret: [{ matching: /^ALTER ROLE CURRENT_USER/, code: '25006', message: 'cannot execute ALTER ROLE in a read-only transaction' }],
  testSecret: [{ matching: /rolcreaterole/, code: '57014', message: 'canceling statement due to statement timeout' }],
};

function databaseWorld(kind: 'database-app' | 'database-master') {
  return (account: SimulatedAccount, environment: EnvironmentName, world: RehearsalWorld, failure: RotationFailurePoint | undefined): ScriptedAccount => {
    const { prefix, region, account: accountId } = environmentConfig(environment);
    const host = DATABASE_HOST(prefix);
    const masterArn = kind === 'database-master' ? (world.rotated?.secretArn ?? '') : `arn:aws:secretsmanager:${region}:${accountId}:secret:${prefix}/db/master-AbCdEf`;
    const connection = { engine: 'postgres', host, port: 5432, dbname: 'financehub', ssl: false };
    const master = { ...connection, username: MASTER_USER, password: 'rehearsal-master-password-0' };
    const secrets = [{ arn: masterArn, value: JSON.stringify(master) }];
    if (kind === 'database-app') secrets.push({ arn: world.rotated?.secretArn ?? '', value: JSON.stringify({ ...connection, username: APP_USER, password: 'rehearsal-app-password-0', masterarn: masterArn }) });
    const secretsManager = new SimulatedSecretsManager(account, secrets);
    if (failure === 'createSecret') secretsManager.refuse({ command: 'GetRandomPassword', during: 'createSecret', error: awsRefusal('AccessDeniedException', 'User is not authorized to perform: secretsmanager:GetRandomPassword') });
    if (failure === 'finishSecret') secretsManager.refuse({ command: 'UpdateSecretVersionStage', during: 'finishSecret', error: awsRefusal('InternalServiceError', 'An error occurred on the server side.', 500) });
    const refusals = (kind === 'database-app' ? APP_REFUSALS : MASTER_REFUSALS)[failure ?? 'report'] ?? [];
    // The application user's setSecret fails when the master may no longer create roles (CREATE ROLE of the clone).
    const databases = { [host]: database(refusals, !(kind === 'database-app' && failure === 'setSecret')) };
    const postgres = simulatePostgres(databases);
    if (kind === 'database-app') simulatedCluster(account, environment, { backend: { rolloutFails: failure === 'restart' } });
    // The password the database holds for the user the value names (a login's pg_hba refusal is the scenario's, not the value's).
    const authenticates = (value: string) => {
      const { username, password } = JSON.parse(value) as { username?: string; password?: string };
      return username !== undefined && databases[host]?.roles?.[username]?.password === password;
    };
    return { secretsManager, databases, authenticates, undo: () => postgres.restore() };
  };
}

export const rotateDbCredentialsScenarios: readonly Scenario[] = [
  ...rotationScenarios({
    workflow: 'rotate-db-credentials',
    kind: 'database-app',
    name: 'db-app',
    label: 'Database application user (alternating users)',
    failures: {
      createSecret: 'GetRandomPassword is denied: no new credentials, nothing else touched',
      setSecret: 'the master may no longer create roles: the clone user is not created, the current user untouched',
      testSecret: 'the database refuses the clone user\'s login (pg_hba): the clone has the new password, AWSCURRENT still logs in',
      finishSecret: 'UpdateSecretVersionStage fails: AWSPENDING holds tested credentials, AWSCURRENT the previous ones',
      restart: 'the backend\'s forced deployment rolls back after the rotation: on-call is told which service did not restart',
      report: 'the notification topic refuses the report: the execution fails, and its alarm tells on-call',
    },
    script: databaseWorld('database-app'),
  }),
  ...rotationScenarios({
    workflow: 'rotate-db-credentials',
    kind: 'database-master',
    name: 'db-master',
    label: 'Database master (single user)',
    failures: {
      createSecret: 'GetRandomPassword is denied: no new password, the database untouched',
      setSecret: 'ALTER ROLE is refused (read-only transaction): the master password is unchanged',
      testSecret: 'the test query times out after the password changed: only AWSPENDING logs in as the master',
      finishSecret: 'UpdateSecretVersionStage fails after the database took the new password: only AWSPENDING logs in',
      report: 'the notification topic refuses the report of the rotated master: the rotation-events ingress fails every delivery, and its alarm tells on-call',
    },
    script: databaseWorld('database-master'),
  }),
];
