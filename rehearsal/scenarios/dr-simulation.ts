import type { EnvironmentName } from '../../contracts/environments.js';
import { type DeployedHandler, inProcess } from '../executor.js';
import { environmentConfig } from '../../infra/config.js';
import type { SimulatedAccount } from '../simulated/account.js';
import type { SimulatedClock } from '../simulated/clock.js';
import { type SimulatedDrRecoveryOptions, SimulatedDrRecovery } from '../simulated/dr-recovery.js';
import { type HeldDrillLock, SimulatedDynamoDb, holdDrillLock } from '../simulated/dynamodb.js';
import { type SimulatedDatabase, type SimulatedPostgres, simulatePostgres } from '../simulated/postgres.js';
import { approvedInput, recordApproval } from './four-eyes.js';
import { type Scenario, published } from './scenario.js';

const simulationInput = (environment: EnvironmentName) => approvedInput('dr-simulation', environment, { environment, requestedBy: 'rehearsal' });

/** The restored database: what the replicated backups held, the newest ledger write 7 minutes before `start`. */
function restoredData(start: Date): SimulatedDatabase {
  const minutesBefore = (minutes: number) => new Date(start.getTime() - minutes * 60_000);
  return {
    schemas: {
      public: {
        accounts_user: { rows: 1200, timestamps: { date_joined: [minutesBefore(600), minutesBefore(120)] } },
        ledger_transaction: { rows: 50_000, timestamps: { created_at: [minutesBefore(60), minutesBefore(7)] } },
        ledger_account: { rows: 300, timestamps: { updated_at: [minutesBefore(3 * 24 * 60)] } },
      },
    },
  };
}

/** What a DR simulation's account varies: how the DR region answers, a drill already running. */
export interface DrSimulationWorldOptions extends Partial<Omit<SimulatedDrRecoveryOptions, 'environment' | 'agent'>> {
  /** Held for an hour from the start. */
  readonly lockHeldBy?: HeldDrillLock;
}

/** Where a DR simulation runs: its execution's clock and the DR agent's environment as its template sets it. */
export interface DrSimulationSetting {
  readonly clock: SimulatedClock;
  readonly agentEnvironment: Record<string, string>;
  /** An input a second person approved (production): its approval record, beside the drill lock. */
  readonly approved?: Record<string, unknown>;
}

/** The DR simulation's account as scripted, for a test to read back. */
export interface DrSimulationWorld {
  readonly dr: SimulatedDrRecovery;
  /** The remediation guardrails table, where the drill lock lives (and the approvals'). */
  readonly lockTable: SimulatedDynamoDb;
  readonly postgres: SimulatedPostgres;
  /** Puts pg.Client back. */
  readonly undo: () => void;
}

/**
 * The DR simulation's account: the DR region (replicated backups, EFS copy, DR cluster, the agent behind Lambda), the
 * restored database (its newest ledger write 7 minutes before the start), the drill lock, the topic.
 */
export function drSimulationWorld(account: SimulatedAccount, environment: EnvironmentName, setting: DrSimulationSetting, options: DrSimulationWorldOptions = {}): DrSimulationWorld {
  const { clock, agentEnvironment, approved } = setting;
  const { lockHeldBy, ...region } = options;
  // The drill lock and the approvals are conditional writes against one simulated DynamoDB.
  const lockTable = new SimulatedDynamoDb(account);
  if (lockHeldBy) holdDrillLock(lockTable, environment, lockHeldBy.execution, lockHeldBy.drill, new Date(clock.now().getTime() + 3_600_000));
  if (approved) recordApproval(account, 'dr-simulation', environment, approved, clock.now(), lockTable);
  const agent = async () => {
    const { createAgentHandler } = (await import('../../functions/dr-simulation/create-agent-handler.js')) as { createAgentHandler: (overrides: object) => DeployedHandler };
    return inProcess(createAgentHandler({ environment: agentEnvironment, clients: { fetch: dr.fetch, now: () => clock.now() } }), 'dr-simulation-agent');
  };
  const dr: SimulatedDrRecovery = new SimulatedDrRecovery(account, clock, { environment, ...region, agent });
  const postgres = simulatePostgres({ '-drsim-': restoredData(clock.now()) });
  published(account);
  return { dr, lockTable, postgres, undo: () => postgres.restore() };
}

function drSimulation(name: string, description: string, expect: Scenario['expect'], region: DrSimulationWorldOptions): Scenario {
  return {
    workflow: 'dr-simulation',
    name,
    description,
    expect,
    functions: ['verify-approval', 'dr-simulation'],
    input: simulationInput,
    script: (account, environment, _executionName, { clock, functionEnvironment }) => {
      const setting = { clock, agentEnvironment: functionEnvironment('dr-simulation-agent', environmentConfig(environment).drRegion), approved: simulationInput(environment) };
      return { clients: { now: () => clock.now() }, undo: drSimulationWorld(account, environment, setting, region).undo };
    },
  };
}

export const drSimulationScenarios: readonly Scenario[] = [
  drSimulation('passing', 'us-west-2: database restored from the replicated backups (6 min behind) in 38 min, EFS copy in 12, backend healthy 5 min later, verified, all deleted', 'SUCCEEDED', {}),
  drSimulation('replication-lag', 'the replicated backups are 23 minutes behind: the data-loss window misses the 15-minute RPO; everything restored is still deleted', 'FAILED', { replicationLagMinutes: 23 }),
  drSimulation('restore-fails', 'the EFS restore fails 20 minutes in while the database is still creating: deletion waits until RDS accepts it, nothing is left', 'FAILED', { fileSystemRestoreFailsAfterMinutes: 20 }),
  drSimulation('never-healthy', '/api/health never answers 200: the probe stops at its 10-minute cap and everything is torn down', 'FAILED', { healthyAfterMinutes: Number.POSITIVE_INFINITY }),
];
