import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EnvironmentName } from '../../infra/config.js';
import { isAssemblyFresh, loadFunctionEnvironment, loadStateMachineFromAssembly, synthesizeAssembly } from '../local/assembly.js';
import { type DeployedHandler, type WorkflowRun, inProcess, runWorkflow } from '../local/executor.js';
import { SimulatedAccount } from '../local/simulated-account.js';
import type { Scenario } from './scenarios.js';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The rehearsals' own assembly (bundling skipped), rebuilt only when infra or state machines changed. */
export const REHEARSAL_ASSEMBLY_DIR = path.join(repositoryRoot, 'cdk.out', 'rehearsal-assembly');

export interface Rehearsal {
  readonly scenario: Scenario;
  readonly environment: EnvironmentName;
  readonly run: WorkflowRun;
  /** Every call that reached the simulated account, in order: `RDS:DescribeDBInstances {...}`. */
  readonly calls: string[];
}

export function ensureAssembly(): void {
  if (!isAssemblyFresh(REHEARSAL_ASSEMBLY_DIR)) synthesizeAssembly(REHEARSAL_ASSEMBLY_DIR);
}

const handlers = new Map<string, Promise<DeployedHandler>>();

/** The function's real handler, loaded once with the environment variables it is deployed with. */
function loadHandler(environment: EnvironmentName, folder: string): Promise<DeployedHandler> {
  const key = `${environment}/${folder}`;
  if (!handlers.has(key)) {
    Object.assign(process.env, loadFunctionEnvironment(REHEARSAL_ASSEMBLY_DIR, environment, folder), {
      AWS_REGION: 'us-east-1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_TRACE_DISABLED: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    // A module instance per environment: handlers read their configuration once, when loaded.
    const url = `${pathToFileURL(path.join(repositoryRoot, 'functions', folder, 'handler.ts')).href}?environment=${environment}`;
    handlers.set(key, import(url).then((m: { handler: DeployedHandler }) => m.handler));
  }
  return handlers.get(key)!;
}

/**
 * Runs the synthesized state machine of a workflow offline: its Lambda tasks run the real handler code, AWS
 * answers from the scenario's simulated account, Waits take no time.
 */
export async function rehearse(scenario: Scenario, environment: EnvironmentName): Promise<Rehearsal> {
  ensureAssembly();
  const definition = loadStateMachineFromAssembly(REHEARSAL_ASSEMBLY_DIR, environment, scenario.workflow);
  const lambdas = Object.fromEntries(
    await Promise.all(scenario.functions.map(async (folder) => [folder, inProcess(await loadHandler(environment, folder), folder)] as const)),
  );
  const account = new SimulatedAccount();
  const undo = scenario.script(account, environment);
  try {
    const run = await runWorkflow({ definition, input: scenario.input(environment), lambdas, executionName: `rehearsal-${scenario.workflow}-${scenario.name}` });
    return { scenario, environment, run, calls: account.callLog() };
  } finally {
    undo();
    account.restore();
  }
}
