import type { EnvironmentName } from '../contracts/environments.js';
import type { LambdaInvocation } from './executor.js';
import { violations } from './fault-checks.js';
import { rehearse } from './rehearse.js';
import { rotationViolations } from './rotation-checks.js';
import { type Scenario, rehearsalExecutionName } from './scenarios/scenario.js';
import { StatesTaskError } from './sdk-dispatcher.js';
import type { RecordedCall, SimulatedAccount } from './simulated/account.js';
import type { SimulatedClock } from './simulated/clock.js';

/**
 * One fault at a time, where AWS misbehaves in ordinary ways: at the n-th AWS call of a rehearsal (from a Lambda or an
 * SDK task alike) or at its n-th Lambda invocation. The mock sits where the SDK's own retries have already given up,
 * so each fault is what the code sees after them: the harshest case, and the one the workflows must survive.
 */
export const AWS_CALL_FAULTS = ['throttle', '5xx', 'denied', 'applied-then-5xx'] as const;
export const LAMBDA_FAULTS = ['crash', 'timeout-after-work'] as const;
export type AwsCallFault = (typeof AWS_CALL_FAULTS)[number];
export type LambdaFault = (typeof LAMBDA_FAULTS)[number];

export type Fault = { readonly kind: AwsCallFault; readonly atCall: number } | { readonly kind: LambdaFault; readonly atInvocation: number };

/** A call as the harness saw it: whether the simulated AWS received it, and whether it accepted it. */
export interface ObservedCall extends RecordedCall {
  /** AWS received the call (it may still have refused it). */
  readonly reached: boolean;
  /** AWS did what was asked: the effect is there, whatever the caller saw. */
  readonly applied: boolean;
  readonly fault?: AwsCallFault;
  /** What the simulated AWS answered, when it applied the call. */
  readonly answer?: unknown;
}

const awsError = (name: string, status: number, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status, requestId: 'fault-injection' }, $fault: status >= 500 ? 'server' : 'client', ...extra });

function faultError(kind: AwsCallFault, call: RecordedCall): Error {
  switch (kind) {
    case 'throttle':
      return awsError('ThrottlingException', 400, 'Rate exceeded', { $retryable: { throttling: true } });
    case '5xx':
    case 'applied-then-5xx':
      return awsError('InternalFailure', 500, 'The request processing has failed because of an unknown error, exception or failure.');
    case 'denied':
      return awsError('AccessDeniedException', 400, `User: arn:aws:sts::111111111111:assumed-role/rehearsal is not authorized to perform: ${call.service.toLowerCase()}:${call.command}`);
  }
}

/** Injects one fault into a rehearsal and records every AWS call with what became of it. */
export class FaultInjector {
  readonly calls: ObservedCall[] = [];
  invocations = 0;
  /** Set once the fault was injected: a fault beyond the end of the run never happens. */
  injected?: string;

  constructor(
    private readonly fault: Fault | undefined,
    private readonly clock: SimulatedClock,
  ) {}

  /** Puts the harness in front of every AWS client of the account. */
  install(account: SimulatedAccount): void {
    account.intercept(async (call, send) => {
      const index = this.calls.length + 1;
      const fault = this.fault && 'atCall' in this.fault && this.fault.atCall === index ? this.fault.kind : undefined;
      if (fault) this.injected = `${fault} at AWS call ${index} (${call.service}:${call.command})`;
      if (fault && fault !== 'applied-then-5xx') {
        this.calls.push({ ...call, reached: false, applied: false, fault });
        throw faultError(fault, call);
      }
      const entry: { -readonly [K in keyof ObservedCall]: ObservedCall[K] } = { ...call, reached: true, applied: false, fault };
      this.calls.push(entry);
      const answer = await send();
      entry.applied = true;
      entry.answer = answer;
      if (fault) throw faultError(fault, call);
      return answer;
    });
  }

  /** Runs one Lambda invocation, or fails it the way Lambda does. */
  readonly invoke = async (invocation: LambdaInvocation): Promise<unknown> => {
    this.invocations += 1;
    const fault = this.fault && 'atInvocation' in this.fault && this.fault.atInvocation === this.invocations ? this.fault.kind : undefined;
    if (!fault) return invocation.run();
    this.injected = `${fault} at Lambda invocation ${this.invocations} (${invocation.state})`;
    if (fault === 'crash') {
      // The runtime dies before the handler does anything (out of memory, a bad deploy): Lambda reports Runtime.ExitError.
      throw new StatesTaskError('Runtime.ExitError', JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: 'RequestId: fault-injection Error: Runtime exited with error: signal: killed' }));
    }
    await invocation.run();
    // The work is done, then the function runs out of time before it answers.
    this.clock.advance(invocation.timeoutSeconds);
    throw new StatesTaskError('Sandbox.Timedout', JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${invocation.timeoutSeconds}.00 seconds` }));
  };
}

/** A rehearsal with one fault: what happened, what AWS received and applied, and every rule it broke. */
export interface FaultRun {
  readonly fault?: Fault;
  /** What was injected, or undefined when the run ended before the fault's call or invocation. */
  readonly injected?: string;
  readonly rehearsal: Awaited<ReturnType<typeof rehearse>>;
  readonly calls: readonly ObservedCall[];
  readonly invocations: number;
  readonly violations: readonly string[];
}

/** Rehearses a scenario with one fault (or none, to count its calls and invocations) and judges the outcome. */
export async function rehearseWithFault(scenario: Scenario, environment: EnvironmentName, fault?: Fault, baseline?: FaultRun): Promise<FaultRun> {
  let injector: FaultInjector | undefined;
  const rehearsal = await rehearse(scenario, environment, {
    prepare: (account, world) => {
      injector = new FaultInjector(fault, world.clock);
      injector.install(account);
    },
    invoke: (invocation) => (injector ? injector.invoke(invocation) : invocation.run()),
  });
  const observed = injector!;
  const found = violations({
    workflow: scenario.workflow,
    run: rehearsal.run,
    published: rehearsal.published,
    calls: observed.calls,
    // A rotation's execution is the post-rotation one its ingress starts, named after the rotation's event.
    executionName: scenario.rotation ? (observed.calls.find((call) => call.applied && call.command === 'StartExecution')?.input as { name?: string } | undefined)?.name ?? '' : rehearsalExecutionName(scenario),
    killSwitchOn: scenario.name === 'kill-switch',
    baseline: baseline && { status: baseline.rehearsal.run.status, outcome: baseline.rehearsal.published.at(-1)?.outcome },
    fault: observed.injected,
  });
  const { rotated } = rehearsal.world;
  if (rotated && rehearsal.scripted.secretsManager) {
    found.push(
      ...rotationViolations({
        secret: rotated,
        secretsManager: rehearsal.scripted.secretsManager,
        attempts: rehearsal.run.attempts ?? [],
        run: rehearsal.run,
        published: rehearsal.published,
        calls: observed.calls,
        authenticates: rehearsal.scripted.authenticates,
        previousValueLoggedIn: rehearsal.run.previousValueLoggedIn,
      }),
    );
  }
  return { fault, injected: observed.injected, rehearsal, calls: observed.calls, invocations: observed.invocations, violations: found };
}

/** Every single fault a scenario can meet: each AWS-call fault at each of its calls, each Lambda fault at each invocation. */
export function faultsFor(baseline: Pick<FaultRun, 'calls' | 'invocations'>): Fault[] {
  return [
    ...baseline.calls.flatMap((_, index) => AWS_CALL_FAULTS.map((kind): Fault => ({ kind, atCall: index + 1 }))),
    ...Array.from({ length: baseline.invocations }, (_, index) => LAMBDA_FAULTS.map((kind): Fault => ({ kind, atInvocation: index + 1 }))).flat(),
  ];
}
