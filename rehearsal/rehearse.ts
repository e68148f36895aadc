import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { OpsResult } from '../contracts/ops-result.js';
import type { EnvironmentName } from '../contracts/environments.js';
import { DEFAULT_CONTEXT, environmentConfig } from '../infra/config.js';
import { isAssemblyFresh, loadFunction, loadFunctionEnvironment, loadStateMachineFromAssembly, synthesizeAssembly } from './assembly.js';
import type { ResolvedStateMachine } from './definition.js';
import { type DeployedHandler, type LambdaInvoker, type WorkflowRun, inProcess, runWorkflow } from './executor.js';
import { SimulatedClock } from './simulated/clock.js';
import { SimulatedStepFunctions } from './simulated/step-functions.js';
import { SimulatedAccount, type WrittenObject, publishedResults, writtenObjects } from './simulated/account.js';
import { type RehearsalWorld, type Scenario, type ScriptedAccount, lastWednesdayAfternoon, rehearsalExecutionName } from './scenarios/scenario.js';
import { type RotationFunction, type RotationWorkflowRun, rotatedSecrets, runRotation } from './rotation.js';
import type { RotatedSecret } from '../functions/lib/rotated-secrets.js';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The rehearsals' own assembly (bundling skipped), rebuilt only when a file the app is built from changed. */
export const REHEARSAL_ASSEMBLY_DIR = path.join(repositoryRoot, 'cdk.out', 'rehearsal-assembly');

export interface Rehearsal {
  readonly scenario: Scenario;
  /** What the scenario scripted, as the rehearsal left it: a rotation's Secrets Manager and databases. */
  readonly scripted: ScriptedAccount;
  readonly environment: EnvironmentName;
  /** A rotation's run lists every attempt Secrets Manager made. */
  readonly run: WorkflowRun & Partial<Pick<RotationWorkflowRun, 'attempts' | 'previousValueLoggedIn'>>;
  /** Every call that reached the simulated account, in order: `RDS:DescribeDBInstances {...}`. */
  readonly calls: string[];
  /** The results the workflow published to the notification topic: what on-call reads in Slack. */
  readonly published: OpsResult[];
  /** What the workflow wrote to S3: the drills' JSON and HTML reports. */
  readonly written: WrittenObject[];
}

let assemblyReady: Promise<void> | undefined;

/** Synthesizes the rehearsal assembly when it is stale; once per process, however many rehearsals start at once. */
export function ensureAssembly(): Promise<void> {
  assemblyReady ??= isAssemblyFresh(REHEARSAL_ASSEMBLY_DIR)
    ? Promise.resolve()
    : synthesizeAssembly(REHEARSAL_ASSEMBLY_DIR).catch((error: unknown) => {
        assemblyReady = undefined;
        throw error;
      });
  return assemblyReady;
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
  const variables = { ...deployedFunction(environment, folder).environment, AWS_REGION: environmentConfig(environment, DEFAULT_CONTEXT).region };
  return createHandler({ environment: variables, clients });
}

/** How a rehearsal runs beyond its scenario: the fault harness sets these. */
export interface RehearseOptions {
  /** When the execution starts. @default the last Wednesday 14:00 UTC (a drill-friendly time, the same all week) */
  readonly startAt?: number;
  /** Wraps each Lambda invocation (fault injection). */
  readonly invoke?: LambdaInvoker;
  /** Runs after the scenario scripted the account and before the execution starts (fault injection installs here). */
  readonly prepare?: (account: SimulatedAccount, world: RehearsalWorld) => void;
}

const definitions = new Map<string, ResolvedStateMachine>();

function scriptedSecretsManager<T>(scenario: Scenario, secretsManager: T | undefined): T {
  if (!secretsManager) throw new Error(`Rotation scenario ${scenario.workflow} ${scenario.name} must script the Secrets Manager that rotates its secret`);
  return secretsManager;
}

/** A workflow's resolved state machine, read from the assembly once per process (the fault harness runs it hundreds of times). */
async function stateMachineOf(environment: EnvironmentName, workflow: string): Promise<ResolvedStateMachine> {
  const key = `${environment}/${workflow}`;
  let definition = definitions.get(key);
  if (!definition) {
    await ensureAssembly();
    definition = loadStateMachineFromAssembly(REHEARSAL_ASSEMBLY_DIR, environment, workflow);
    definitions.set(key, definition);
  }
  return definition;
}

const rotated = new Map<EnvironmentName, readonly RotatedSecret[]>();
const functions = new Map<string, ReturnType<typeof loadFunction>>();

/**
 * A function as deployed in an environment (its variables and timeout), read from the assembly (ready once a state
 * machine was read) once per process: reading it parses every template of the environment.
 */
function deployedFunction(environment: EnvironmentName, folder: string): ReturnType<typeof loadFunction> {
  const key = `${environment}/${folder}`;
  let known = functions.get(key);
  if (!known) {
    known = loadFunction(REHEARSAL_ASSEMBLY_DIR, environment, folder);
    functions.set(key, known);
  }
  return known;
}

const timeoutOf = (environment: EnvironmentName, folder: string) => deployedFunction(environment, folder).timeoutSeconds;

/** The secret a rotation scenario rotates, as the environment's ingress names it (the assembly is ready by then). */
function rotatedSecretOf(environment: EnvironmentName, scenario: Scenario): RotatedSecret | undefined {
  if (!scenario.rotation) return undefined;
  let secrets = rotated.get(environment);
  if (!secrets) {
    secrets = rotatedSecrets(REHEARSAL_ASSEMBLY_DIR, environment);
    rotated.set(environment, secrets);
  }
  const { kind } = scenario.rotation;
  const secret = secrets.find((s) => s.kind === kind);
  if (!secret) throw new Error(`${environment} rotates no ${kind} secret`);
  return secret;
}

/**
 * Runs the synthesized state machine of a workflow offline: its Lambda tasks run the real handler code, AWS answers
 * from the scenario's simulated account, and everything reads one simulated clock (Waits and retries move it on).
 */
export async function rehearse(scenario: Scenario, environment: EnvironmentName, options: RehearseOptions = {}): Promise<Rehearsal & { readonly world: RehearsalWorld; readonly account: SimulatedAccount }> {
  // A rotation's steps run in Secrets Manager; the workflow that follows them is post-rotation.
  const definition = await stateMachineOf(environment, scenario.rotation ? 'post-rotation' : scenario.workflow);
  const executionName = rehearsalExecutionName(scenario);
  const account = new SimulatedAccount();
  const clock = new SimulatedClock(options.startAt ?? lastWednesdayAfternoon());
  return clock.during(async () => {
    const input = scenario.input(environment);
    const world: RehearsalWorld = {
      clock,
      stepFunctions: new SimulatedStepFunctions(account),
      rotated: rotatedSecretOf(environment, scenario),
      functionEnvironment: (service, region) => ({ ...loadFunctionEnvironment(REHEARSAL_ASSEMBLY_DIR, environment, service), AWS_REGION: region }),
    };
    // The execution itself, as ListExecutions and DescribeExecution see it while it runs (a rotation's ingress starts its own).
    if (!scenario.rotation) world.stepFunctions.add({ stateMachineArn: definition.stateMachineArn, name: executionName, input: JSON.stringify(input) });
    const scripted = scenario.script(account, environment, executionName, world);
    try {
      options.prepare?.(account, world);
      // One at a time: jest's ESM linker fails two first imports of shared modules running at once.
      const lambdas: Record<string, ReturnType<typeof inProcess>> = {};
      for (const folder of scenario.functions) lambdas[folder] = inProcess(await buildHandler(environment, folder, scripted.clients ?? {}), folder);
      const run = world.rotated
        ? await runRotation({
            secretsManager: scriptedSecretsManager(scenario, scripted.secretsManager),
            secret: world.rotated,
            rotationFunction: scenario.workflow as RotationFunction,
            timeoutSeconds: timeoutOf(environment, scenario.workflow),
            ingressTimeoutSeconds: timeoutOf(environment, 'rotation-events'),
            lambdas,
            postRotation: definition,
            world,
            invoke: options.invoke,
            beforeReattempt: scripted.beforeReattempt,
            authenticates: scripted.authenticates,
          })
        : await runWorkflow({ definition, input, lambdas, executionName, clock, invoke: options.invoke });
      return { scenario, scripted, environment, run, calls: account.callLog(), published: publishedResults(account), written: writtenObjects(account), world, account };
    } finally {
      scripted.undo?.();
      account.restore();
    }
  });
}
