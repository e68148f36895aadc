import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { OpsResult } from '../contracts/ops-result.js';
import type { EnvironmentName } from '../contracts/environments.js';
import { isAssemblyFresh, loadFunctionEnvironment, loadStateMachineFromAssembly, synthesizeAssembly } from './assembly.js';
import { type DeployedHandler, type WorkflowRun, inProcess, runWorkflow } from './executor.js';
import { SimulatedAccount, publishedResults } from './simulated/account.js';
import { type Scenario, rehearsalExecutionName } from './scenarios/index.js';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The rehearsals' own assembly (bundling skipped), rebuilt only when infra or state machines changed. */
export const REHEARSAL_ASSEMBLY_DIR = path.join(repositoryRoot, 'cdk.out', 'rehearsal-assembly');

export interface Rehearsal {
  readonly scenario: Scenario;
  readonly environment: EnvironmentName;
  readonly run: WorkflowRun;
  /** Every call that reached the simulated account, in order: `RDS:DescribeDBInstances {...}`. */
  readonly calls: string[];
  /** The results the workflow published to the notification topic: what on-call reads in Slack. */
  readonly published: OpsResult[];
}

export function ensureAssembly(): void {
  if (!isAssemblyFresh(REHEARSAL_ASSEMBLY_DIR)) synthesizeAssembly(REHEARSAL_ASSEMBLY_DIR);
}

/** A function's handler module: its handler, and the clients it was built with where it exports them. */
export interface HandlerModule {
  readonly handler: DeployedHandler;
  readonly dependencies?: { clients?: Record<string, unknown> };
}

const handlers = new Map<string, Promise<HandlerModule>>();

/** The function's real handler module, loaded once with the environment variables it is deployed with. */
function loadHandler(environment: EnvironmentName, folder: string): Promise<HandlerModule> {
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
    handlers.set(key, import(url) as Promise<HandlerModule>);
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
  const modules = await Promise.all(scenario.functions.map(async (folder) => [folder, await loadHandler(environment, folder)] as const));
  const lambdas = Object.fromEntries(modules.map(([folder, module]) => [folder, inProcess(module.handler, folder)] as const));
  const executionName = rehearsalExecutionName(scenario);
  const account = new SimulatedAccount();
  const scripted = scenario.script(account, environment, executionName);
  let putBack = () => {};
  try {
    putBack = replaceClients(
      modules.map(([, module]) => module),
      scripted.functionClients ?? {},
    );
    const run = await runWorkflow({ definition, input: scenario.input(environment), lambdas, executionName });
    return { scenario, environment, run, calls: account.callLog(), published: publishedResults(account) };
  } finally {
    putBack();
    scripted.undo?.();
    account.restore();
  }
}

/**
 * Swaps the scenario's clients into the handler modules; returns how to put the real ones back. A client no module
 * has is a mistake in the scenario: nothing is swapped then.
 */
export function replaceClients(modules: readonly HandlerModule[], replacements: Readonly<Record<string, unknown>>): () => void {
  const swaps = Object.entries(replacements).flatMap(([name, replacement]) => {
    const owners = modules.map((module) => module.dependencies?.clients).filter((clients): clients is Record<string, unknown> => clients !== undefined && name in clients);
    if (owners.length === 0) throw new Error(`The scenario replaces the client "${name}", but no function of the rehearsal exports it in dependencies.clients`);
    return owners.map((clients) => ({ clients, name, replacement, original: clients[name] }));
  });
  for (const swap of swaps) swap.clients[swap.name] = swap.replacement;
  return () => {
    for (const swap of swaps) swap.clients[swap.name] = swap.original;
  };
}
