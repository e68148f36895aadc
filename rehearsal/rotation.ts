import type { EnvironmentName } from '../contracts/environments.js';
import { INGRESS_EVENTS, type RotatedSecret, type SecretKind, isMinted, rotatedSecretsField } from '../functions/lib/rotated-secrets.js';
import { loadFunctionEnvironment } from './assembly.js';
import type { ResolvedStateMachine } from './definition.js';
import { type LambdaInvoker, type LocalLambda, type WorkflowRun, runWorkflow } from './executor.js';
import type { RehearsalWorld } from './scenarios/scenario.js';
import type { RotationAttempt, SimulatedSecretsManager } from './simulated/secrets-manager.js';

/**
 * A secret's rotation rehearsed end to end, the way AWS runs it: Secrets Manager invokes the rotation function's real
 * handler for each step with one token (rehearsal/simulated/secrets-manager.ts), its outcome event goes where the
 * EventBridge rules send it (the rotation-events ingress, real handler), and the post-rotation execution the ingress
 * starts runs as synthesized. The run's path lists the steps, the delivery and the states taken.
 */

export const ROTATION_FUNCTIONS = ['rotate-db-credentials', 'rotate-redis-auth', 'rotate-django-secret-key', 'rotate-owner-secret'] as const;
export type RotationFunction = (typeof ROTATION_FUNCTIONS)[number];

/** Lambda retries a failed asynchronous invocation (EventBridge's delivery) twice. */
const ASYNC_ATTEMPTS = 3;

/** The rotated secrets of an environment as its ingress is configured: the ARNs the rehearsal's secrets must have. */
export function rotatedSecrets(outdir: string, environment: EnvironmentName): readonly RotatedSecret[] {
  return rotatedSecretsField.parse(loadFunctionEnvironment(outdir, environment, 'rotation-events').ROTATED_SECRETS);
}

export interface RotationRun {
  readonly secretsManager: SimulatedSecretsManager;
  readonly secret: RotatedSecret;
  readonly rotationFunction: RotationFunction;
  /** The rotation function's timeout (a timed-out step moves the clock on by it). */
  readonly timeoutSeconds: number;
  readonly ingressTimeoutSeconds: number;
  readonly lambdas: Readonly<Record<string, LocalLambda>>;
  /** The post-rotation state machine, run when the ingress starts it. */
  readonly postRotation: ResolvedStateMachine;
  readonly world: RehearsalWorld;
  readonly invoke?: LambdaInvoker;
  /** What a person does after a failed attempt before Secrets Manager reattempts (the owner stores the new value); none ends the rotation there. */
  readonly beforeReattempt?: () => Promise<void>;
  /** Whether a value of the secret logs in to what it guards (the scenario's simulated database or Redis). */
  readonly authenticates?: (secretString: string) => boolean;
}

/** A rehearsed rotation: its run, every attempt Secrets Manager made, and what the rehearsal saw in between. */
export type RotationWorkflowRun = WorkflowRun & {
  readonly attempts: readonly RotationAttempt[];
  /**
   * Whether the value AWSCURRENT held before the rotation still logged in once Secrets Manager's attempts ended: the
   * services run on it until they restart, so anything else is an outage (undefined where nothing checks a value).
   */
  readonly previousValueLoggedIn?: boolean;
}

/** A rotation (or the reattempt a person starts), each step an invocation of the rotation function (through the fault harness when there is one), with Secrets Manager's own reattempts. */
async function attempt(run: RotationRun, again: boolean): Promise<RotationAttempt[]> {
  const { secretsManager, secret, rotationFunction } = run;
  const lambda = run.lambdas[rotationFunction];
  if (!lambda) throw new Error(`The rotation of ${secret.secretArn} needs the ${rotationFunction} handler`);
  const invokeStep = (event: { Step: string }) => {
    const invocation = { state: `Secrets Manager: ${event.Step}`, target: rotationFunction, timeoutSeconds: run.timeoutSeconds, run: () => lambda(event) };
    return run.invoke ? run.invoke(invocation) : invocation.run();
  };
  return again ? secretsManager.reattempt(secret.secretArn, invokeStep) : secretsManager.rotate(secret.secretArn, invokeStep);
}

const delivered = (kind: SecretKind, eventName: string) => (INGRESS_EVENTS[isMinted(kind) ? 'minted' : 'owner'] as readonly string[]).includes(eventName);

/** Rotates the secret, delivers the outcome, runs the post-rotation execution it started; never throws for a failure. */
export async function runRotation(run: RotationRun): Promise<RotationWorkflowRun> {
  const path: string[] = [];
  const before = run.secretsManager.valueAt(run.secret.secretArn, 'AWSCURRENT');
  const attempts = await attempt(run, false);
  if (attempts.at(-1)?.failedAt && run.beforeReattempt) {
    // A person whose command failed (a throttle, a 5xx) runs it again; the owner's put is idempotent with the same token and value.
    await run.beforeReattempt().catch(() => run.beforeReattempt?.());
    attempts.push(...(await attempt(run, true)));
  }
  const last = attempts.at(-1)!;
  const previousValueLoggedIn = run.authenticates && before !== undefined ? run.authenticates(before) : undefined;
  for (const made of attempts) path.push(...made.steps.map((step, i) => `Secrets Manager: ${step}${made.failedAt && i === made.steps.length - 1 ? ' (failed)' : ''}`));

  const ingress = run.lambdas['rotation-events'];
  if (!ingress) throw new Error('A rotation rehearsal needs the rotation-events handler');
  const { eventName } = last.event.detail;
  let ingressError: string | undefined;
  if (delivered(run.secret.kind, eventName)) {
    for (let tries = 1; tries <= ASYNC_ATTEMPTS; tries += 1) {
      path.push(`EventBridge: ${eventName} to rotation-events`);
      try {
        const invocation = { state: 'EventBridge: rotation-events', target: 'rotation-events', timeoutSeconds: run.ingressTimeoutSeconds, run: () => ingress(last.event) };
        await (run.invoke ? run.invoke(invocation) : invocation.run());
        ingressError = undefined;
        break;
      } catch (error) {
        ingressError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
  }

  const started = run.world.stepFunctions.of(run.postRotation.stateMachineArn).at(-1);
  const rotationFailed = last.failedAt !== undefined;
  if (!started) {
    return {
      status: rotationFailed || ingressError ? 'FAILED' : 'SUCCEEDED',
      error: rotationFailed ? 'RotationFailed' : ingressError ? 'IngressFailed' : undefined,
      cause: last.error ?? ingressError,
      path,
      transitions: 0,
      retries: 0,
      taskCalls: [],
      attempts,
      previousValueLoggedIn,
    };
  }
  const workflow = await runWorkflow({
    definition: run.postRotation,
    input: JSON.parse(started.input) as unknown,
    lambdas: run.lambdas,
    executionName: started.name,
    clock: run.world.clock,
    invoke: run.invoke,
  });
  return { ...workflow, path: [...path, ...workflow.path], attempts, previousValueLoggedIn };
}
