import type { EnvironmentName } from '../../contracts/environments.js';
import { type DeployedHandler, inProcess } from '../executor.js';
import { environmentConfig } from '../../infra/config.js';
import { type AgentHandler, type SimulatedDrRecoveryOptions, SimulatedDrRecovery } from '../simulated/dr-recovery.js';
import { SimulatedDynamoDb } from '../simulated/dynamodb.js';
import { type SimulatedDatabase, simulatePostgres } from '../simulated/postgres.js';
import { approvedInput, recordApproval } from './four-eyes.js';
import { type Scenario, minutesAgo, published } from './scenario.js';

const simulationInput = (environment: EnvironmentName) => approvedInput('dr-simulation', environment, { environment, requestedBy: 'rehearsal' });

/** The restored database: what the replicated backups held, the newest ledger write 7 minutes before the start. */
function restoredData(): SimulatedDatabase {
  return {
    schemas: {
      public: {
        accounts_user: { rows: 1200, timestamps: { date_joined: [minutesAgo(600), minutesAgo(120)] } },
        ledger_transaction: { rows: 50_000, timestamps: { created_at: [minutesAgo(60), minutesAgo(7)] } },
        ledger_account: { rows: 300, timestamps: { updated_at: [minutesAgo(3 * 24 * 60)] } },
      },
    },
  };
}

function drSimulation(name: string, description: string, expect: Scenario['expect'], region: Partial<SimulatedDrRecoveryOptions>): Scenario {
  return {
    workflow: 'dr-simulation',
    name,
    description,
    expect,
    functions: ['verify-approval', 'dr-simulation'],
    input: simulationInput,
    script: (account, environment, _executionName, world) => {
      const { clock } = world;
      // The drill lock and the approvals are conditional writes against one simulated DynamoDB.
      const dynamodb = new SimulatedDynamoDb(account);
      recordApproval(account, 'dr-simulation', environment, simulationInput(environment), clock.now(), dynamodb);
      const { drRegion } = environmentConfig(environment);
      const agent = async (): Promise<AgentHandler> => {
        const { createAgentHandler } = (await import('../../functions/dr-simulation/create-agent-handler.js')) as { createAgentHandler: (overrides: object) => DeployedHandler };
        return inProcess(createAgentHandler({ environment: world.functionEnvironment('dr-simulation-agent', drRegion), clients: { fetch: dr.fetch, now: () => clock.now() } }), 'dr-simulation-agent');
      };
      const dr: SimulatedDrRecovery = new SimulatedDrRecovery(account, clock, { environment, ...region, agent });
      const postgres = simulatePostgres({ '-drsim-': restoredData() });
      published(account);
      return { clients: { now: () => clock.now() }, undo: () => postgres.restore() };
    },
  };
}

export const drSimulationScenarios: readonly Scenario[] = [
  drSimulation('passing', 'us-west-2: database restored from the replicated backups (6 min behind) in 38 min, EFS copy in 12, backend healthy 5 min later, verified, all deleted', 'SUCCEEDED', {}),
  drSimulation('replication-lag', 'the replicated backups are 23 minutes behind: the data-loss window misses the 15-minute RPO; everything restored is still deleted', 'FAILED', { replicationLagMinutes: 23 }),
  drSimulation('restore-fails', 'the EFS restore fails 20 minutes in while the database is still creating: deletion waits until RDS accepts it, nothing is left', 'FAILED', { fileSystemRestoreFailsAfterMinutes: 20 }),
  drSimulation('never-healthy', '/api/health never answers 200: the probe stops at its 10-minute cap and everything is torn down', 'FAILED', { healthyAfterMinutes: Number.POSITIVE_INFINITY }),
];
