import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { OpsResult } from '../contracts/ops-result.js';
import type { EnvironmentName } from '../contracts/environments.js';
import { DEFAULT_CONTEXT, environmentConfig } from '../infra/config.js';
import { isAssemblyFresh, loadFunctionEnvironment, loadStateMachineFromAssembly, synthesizeAssembly } from './assembly.js';
import { type DeployedHandler, type WorkflowRun, inProcess, runWorkflow } from './executor.js';
import { SimulatedAccount, publishedResults } from './simulated/account.js';
import { type Scenario, rehearsalExecutionName } from './scenarios/scenario.js';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The rehearsals' own assembly (bundling skipped), rebuilt only when a file the app is built from changed. */
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

/** A function's handler factory (`functions/<folder>/create-handler.ts`). */
export interface HandlerFactory {
  readonly createHandler: (overrides: { environment?: Readonly<Record<string, string | undefined>>; clients?: Readonly<Record<string, unknown>> }) => DeployedHandler;
}

// Powertools reads its own settings when the shared logger, metrics and tracer are created, which the first
// handler factory below loads: rehearsals log nothing and send no traces or metrics.
Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_TRACE_DISABLED: 'true', POWERTOOLS_METRICS_DISABLED: 'true' });

/**
 * The function's real handler, built for one environment: the variables its template gives it in that environment
 * (and the region Lambda sets), the scenario's clients over the real ones.
 */
async function buildHandler(environment: EnvironmentName, folder: string, clients: Readonly<Record<string, unknown>>): Promise<DeployedHandler> {
  const { createHandler } = (await import(pathToFileURL(path.join(repositoryRoot, 'functions', folder, 'create-handler.ts')).href)) as HandlerFactory;
  const variables = { ...loadFunctionEnvironment(REHEARSAL_ASSEMBLY_DIR, environment, folder), AWS_REGION: environmentConfig(environment, DEFAULT_CONTEXT).region };
  return createHandler({ environment: variables, clients });
}

/**
 * Runs the synthesized state machine of a workflow offline: its Lambda tasks run the real handler code, AWS
 * answers from the scenario's simulated account, Waits take no time.
 */
export async function rehearse(scenario: Scenario, environment: EnvironmentName): Promise<Rehearsal> {
  ensureAssembly();
  const definition = loadStateMachineFromAssembly(REHEARSAL_ASSEMBLY_DIR, environment, scenario.workflow);
  const executionName = rehearsalExecutionName(scenario);
  const account = new SimulatedAccount();
  const scripted = scenario.script(account, environment, executionName);
  try {
    const handlers = await Promise.all(scenario.functions.map(async (folder) => [folder, await buildHandler(environment, folder, scripted.clients ?? {})] as const));
    const lambdas = Object.fromEntries(handlers.map(([folder, handler]) => [folder, inProcess(handler, folder)] as const));
    const run = await runWorkflow({ definition, input: scenario.input(environment), lambdas, executionName });
    return { scenario, environment, run, calls: account.callLog(), published: publishedResults(account) };
  } finally {
    scripted.undo?.();
    account.restore();
  }
}
