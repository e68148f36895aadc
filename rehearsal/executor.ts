import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { type StateMachineDefinition, StateMachine } from 'aws-local-stepfunctions';
import type { ResolvedStateMachine, TaskBinding } from './definition.js';
import { type SdkDispatcher, StatesTaskError, awsSdkDispatcher } from './sdk-dispatcher.js';
import type { SimulatedClock } from './simulated/clock.js';

/**
 * Runs a resolved state machine locally with aws-local-stepfunctions: Lambda tasks call the function's handler
 * in-process, AWS SDK tasks (`aws-sdk:<service>:<action>`) and request-response optimized integrations (`sns:publish`,
 * `states:startExecution`, `dynamodb:putItem`, ...) go through the SDK v3 client (mockable), Wait states and retry
 * intervals are shortened, and the event log becomes the path taken and the number of state transitions.
 */

/** A function's handler as the executor calls it: the event in, the result out (a thrown error fails the Task). */
export type LocalLambda = (event: unknown) => Promise<unknown>;

/** A deployed handler's shape (`opsHandler(...)`, middy): `(event, context)`. */
export type DeployedHandler = (event: never, context: Context) => Promise<unknown>;

export interface RunWorkflowOptions {
  /** From `resolveStateMachine` (or `loadStateMachine` in tests). */
  readonly definition: ResolvedStateMachine;
  readonly input: unknown;
  /** In-process handlers by function folder name (`restore-drill`) or by function logical id. */
  readonly lambdas?: Readonly<Record<string, LocalLambda>>;
  /** Runs `aws-sdk:<service>:<action>` tasks. @default awsSdkDispatcher() (answered by aws-sdk-client-mock in tests) */
  readonly sdk?: SdkDispatcher;
  /** How long every Wait state waits, in milliseconds. @default 0 */
  readonly waitOverrideMs?: number;
  /** How long every retry waits, in milliseconds. @default 0 */
  readonly retryOverrideMs?: number;
  /** Execution name, as `$$.Execution.Name`. @default a random UUID */
  readonly executionName?: string;
  /**
   * The rehearsal's one clock: Wait states and retry intervals (with their backoff, without jitter) move it on instead
   * of sleeping, and `Date` reads it while the execution runs. Without a clock they take `waitOverrideMs` and
   * `retryOverrideMs` of real time.
   */
  readonly clock?: SimulatedClock;
  /** Runs each Lambda invocation (the fault harness wraps them here). @default runs the handler */
  readonly invoke?: LambdaInvoker;
}

/** One Lambda invocation as the executor makes it: the fault harness decides what Step Functions sees. */
export interface LambdaInvocation {
  readonly state: string;
  readonly target: string;
  /** The function's own timeout. */
  readonly timeoutSeconds: number;
  /** Runs the real handler with the payload. */
  readonly run: () => Promise<unknown>;
}

export type LambdaInvoker = (invocation: LambdaInvocation) => Promise<unknown>;

export interface WorkflowRun {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly output?: unknown;
  /** The States error name when the execution failed (`States.TaskFailed`, `DrillFailed`, ...). */
  readonly error?: string;
  readonly cause?: string;
  /** States entered, in order (nested Parallel/Map states included, a retried state once). */
  readonly path: string[];
  /** State transitions as Step Functions bills them: every state entered plus every retry. */
  readonly transitions: number;
  readonly retries: number;
  /** Each Task call in order: the state, what it called, its effective input. */
  readonly taskCalls: { readonly state: string; readonly target: string; readonly input: unknown }[];
}

/** A Lambda context good enough for Powertools and middy in-process. */
export function lambdaContext(functionName: string): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:111111111111:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, 300_000 - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Adapts a deployed handler (`export const handler = opsHandler(...)`) for `lambdas`. */
export function inProcess(handler: DeployedHandler, functionName = 'local-function'): LocalLambda {
  return (event) => handler(event as never, lambdaContext(functionName));
}

/** A Lambda failure as Step Functions reports it: the error type as Error, Lambda's JSON error document as Cause. */
function lambdaError(error: unknown): StatesTaskError {
  // Errors Step Functions itself raises (Sandbox.Timedout, Lambda.ServiceException) keep their name and cause.
  if (error instanceof StatesTaskError) return error;
  const errorType = error instanceof Error ? error.name : 'Error';
  const errorMessage = error instanceof Error ? error.message : String(error);
  return new StatesTaskError(errorType, JSON.stringify({ errorType, errorMessage, trace: [] }), { cause: error });
}

type AslState = Record<string, unknown> & { Type: string };

/** Optimized integrations (`arn:aws:states:::<service>:<action>`) whose SDK client has another name. */
const OPTIMIZED_SERVICES: Record<string, string> = { states: 'sfn', events: 'eventbridge' };

function allStates(definition: StateMachineDefinition): [string, AslState][] {
  const found: [string, AslState][] = [];
  const walk = (states: Record<string, AslState>) => {
    for (const [name, state] of Object.entries(states)) {
      found.push([name, state]);
      const branches = (state.Branches as { States: Record<string, AslState> }[] | undefined) ?? [];
      const processor = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, AslState> } | undefined;
      for (const nested of [...branches, ...(processor ? [processor] : [])]) walk(nested.States);
    }
  };
  walk(definition.States as unknown as Record<string, AslState>);
  return found;
}

function taskHandler(
  stateName: string,
  binding: TaskBinding,
  options: RunWorkflowOptions,
  sdk: SdkDispatcher,
  calls: WorkflowRun['taskCalls'],
): (input: unknown) => Promise<unknown> {
  switch (binding.kind) {
    case 'lambda': {
      const lambda = (binding.functionName ? options.lambdas?.[binding.functionName] : undefined) ?? options.lambdas?.[binding.functionLogicalId];
      const target = binding.functionName ?? binding.functionLogicalId;
      return async (input) => {
        if (!lambda) throw new Error(`Task "${stateName}" invokes ${target}: pass its handler in lambdas['${target}']`);
        const payload = binding.integration === 'invoke' ? (input as { Payload?: unknown }).Payload : input;
        calls.push({ state: stateName, target, input: payload });
        let result: unknown;
        try {
          const run = () => lambda(payload ?? {});
          result = await (options.invoke ? options.invoke({ state: stateName, target, timeoutSeconds: binding.timeoutSeconds, run }) : run());
        } catch (error) {
          throw lambdaError(error);
        }
        const json = result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
        if (binding.integration === 'direct') return json;
        return {
          ExecutedVersion: '$LATEST',
          Payload: json,
          SdkHttpMetadata: { HttpStatusCode: 200 },
          SdkResponseMetadata: { RequestId: randomUUID() },
          StatusCode: 200,
        };
      };
    }
    case 'sdk':
      return async (input) => {
        calls.push({ state: stateName, target: `${binding.service}:${binding.action}`, input });
        return (await sdk(binding.service, binding.action, input)) ?? {};
      };
    case 'service': {
      const [action = '', pattern] = binding.action.split('.');
      const service = OPTIMIZED_SERVICES[binding.service] ?? binding.service;
      return async (input) => {
        if (pattern) throw new Error(`Task "${stateName}" uses ${binding.resource}; .${pattern} integrations do not run locally`);
        // Optimized integrations take the API's own parameters; SNS and SQS accept a JSON object as the message.
        const parameters = { ...(input as Record<string, unknown>) };
        // Step Functions' startExecution takes the child's Input as an object too, and passes it on as JSON text.
        for (const field of service === 'sfn' ? ['Input'] : ['Message', 'MessageBody']) {
          if (parameters[field] !== undefined && typeof parameters[field] !== 'string') parameters[field] = JSON.stringify(parameters[field]);
        }
        calls.push({ state: stateName, target: `${service}:${action}`, input: parameters });
        return (await sdk(service, action, parameters)) ?? {};
      };
    }
  }
}

/**
 * Tasks without a timeout run until the function's own timeout in AWS, not the 60 s the local library assumes. The
 * library arms a real timer for it, so this is the longest a timer takes: 2^31 - 1 ms, about 24.8 days.
 */
const NO_TASK_TIMEOUT_SECONDS = 2_147_483;
const WAIT_RESOURCE = 'arn:aws:lambda:us-east-1:111111111111:function:rehearsal-simulated-wait';

/** `$.a.b` against a value: the paths CDK writes for SecondsPath and TimestampPath. */
function readPath(value: unknown, jsonPath: string): unknown {
  if (!/^\$(\.[A-Za-z0-9_-]+)*$/.test(jsonPath)) throw new StatesTaskError('States.Runtime', `Wait path ${jsonPath} is not a plain $.a.b path`);
  return jsonPath
    .split('.')
    .slice(1)
    .reduce<unknown>((current, key) => (current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined), value);
}

/** How long a Wait state waits for this input, as Step Functions computes it. */
function waitSeconds(state: AslState, input: unknown, now: Date): number {
  const until = (timestamp: unknown) => {
    const at = Date.parse(String(timestamp));
    if (Number.isNaN(at)) throw new StatesTaskError('States.Runtime', `Wait timestamp ${String(timestamp)} is not a time`);
    return Math.max(0, (at - now.getTime()) / 1000);
  };
  if (typeof state.Seconds === 'number') return state.Seconds;
  if (typeof state.SecondsPath === 'string') {
    const seconds = readPath(input, state.SecondsPath);
    if (typeof seconds !== 'number' || seconds < 0) throw new StatesTaskError('States.Runtime', `Wait SecondsPath ${state.SecondsPath} is not a non-negative number`);
    return seconds;
  }
  if (typeof state.Timestamp === 'string') return until(state.Timestamp);
  if (typeof state.TimestampPath === 'string') return until(readPath(input, state.TimestampPath));
  return 0;
}

type ErrorEquals = { ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number; MaxDelaySeconds?: number };

/** Whether a Retry or Catch entry names this error, as Step Functions matches them. */
function matches(errorEquals: readonly string[], error: string): boolean {
  return errorEquals.some((name) => name === error || name === 'States.ALL' || (name === 'States.TaskFailed' && error !== 'States.Timeout'));
}

/**
 * Counts each Task's retries the way its Retry field does and says how long the next one waits: IntervalSeconds times
 * BackoffRate per earlier attempt, capped at MaxDelaySeconds, without jitter (the longest wait AWS would choose).
 */
class RetryIntervals {
  private readonly attempts = new Map<string, number[]>();

  /** Seconds before the retry of this failure, or undefined when the state does not retry it. */
  next(stateName: string, state: AslState, error: string): number | undefined {
    const retriers = (state.Retry as ErrorEquals[] | undefined) ?? [];
    const attempts = this.attempts.get(stateName) ?? retriers.map(() => 0);
    this.attempts.set(stateName, attempts);
    const index = retriers.findIndex((retrier) => matches(retrier.ErrorEquals, error));
    const retrier = retriers[index];
    if (!retrier) return undefined;
    const done = attempts[index] ?? 0;
    if (done >= (retrier.MaxAttempts ?? 3)) return undefined;
    attempts[index] = done + 1;
    const interval = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** done;
    return retrier.MaxDelaySeconds === undefined ? interval : Math.min(interval, retrier.MaxDelaySeconds);
  }

  succeeded(stateName: string): void {
    this.attempts.delete(stateName);
  }
}

/**
 * The definition as the clock runs it: each Wait becomes a Task that moves the clock on by the wait and passes its
 * input through, and every Task without a timeout gets Step Functions' own (none to speak of) instead of the local
 * library's 60 s.
 */
function onClock(asl: StateMachineDefinition, clock: SimulatedClock): { asl: StateMachineDefinition; waits: Record<string, (input: unknown) => Promise<unknown>> } {
  const copy = JSON.parse(JSON.stringify(asl)) as StateMachineDefinition;
  const waits: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [name, state] of allStates(copy)) {
    if (state.Type === 'Wait') {
      const original = { ...state };
      for (const key of ['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath']) delete state[key];
      Object.assign(state, { Type: 'Task', Resource: WAIT_RESOURCE, TimeoutSeconds: NO_TASK_TIMEOUT_SECONDS });
      waits[name] = async (input) => {
        clock.advance(waitSeconds(original, input, clock.now()));
        return input;
      };
    } else if (state.Type === 'Task' && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      state.TimeoutSeconds = NO_TASK_TIMEOUT_SECONDS;
    }
  }
  return { asl: copy, waits };
}

/** The definitions this process already validated, as JSON. */
const validated = new Set<string>();

/**
 * The state machine for a definition, validated (ARNs and paths) the first time the process runs that definition:
 * the validator compiles its JSON schemas anew on every call, which was most of a rehearsal's time.
 */
function stateMachineFor(asl: StateMachineDefinition): StateMachine {
  const key = JSON.stringify(asl);
  const machine = new StateMachine(asl, { validationOptions: validated.has(key) ? { noValidate: true } : { checkArn: true, checkPaths: true } });
  // Not reached when the constructor refused the definition: the next run validates it again.
  validated.add(key);
  return machine;
}

/** Runs the state machine to its end and reports what happened; it never throws for a failed execution. */
export async function runWorkflow(options: RunWorkflowOptions): Promise<WorkflowRun> {
  const { clock } = options;
  return clock ? clock.during(() => execute(options, clock)) : execute(options);
}

async function execute(options: RunWorkflowOptions, clock?: SimulatedClock): Promise<WorkflowRun> {
  const { definition } = options;
  const sdk = options.sdk ?? awsSdkDispatcher();
  const calls: WorkflowRun['taskCalls'] = [];
  const timed = clock ? onClock(definition.asl, clock) : { asl: definition.asl, waits: {} };
  const states = allStates(timed.asl);
  const retries = new RetryIntervals();
  const byName = new Map(states);
  const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = { ...timed.waits };
  for (const [name, binding] of Object.entries(definition.tasks)) {
    const handler = taskHandler(name, binding, options, sdk, calls);
    const state = byName.get(name);
    taskResourceLocalHandlers[name] =
      clock && state
        ? async (input) => {
            try {
              const output = await handler(input);
              retries.succeeded(name);
              return output;
            } catch (error) {
              // The clock moves on by the retry's interval before the next attempt, as Step Functions waits.
              const seconds = retries.next(name, state, error instanceof Error ? error.name : 'Error');
              if (seconds !== undefined) clock.advance(seconds);
              throw error;
            }
          }
        : handler;
  }
  const waitTimeOverrides = Object.fromEntries(states.filter(([, state]) => state.Type === 'Wait').map(([name]) => [name, options.waitOverrideMs ?? 0]));
  const retryIntervalOverrides = Object.fromEntries(states.filter(([, state]) => Array.isArray(state.Retry)).map(([name]) => [name, clock ? 0 : (options.retryOverrideMs ?? 0)]));

  const executionName = options.executionName ?? randomUUID();
  const machine = stateMachineFor(timed.asl);
  const startedAt = new Date().toISOString();
  const execution = machine.run(JSON.parse(JSON.stringify(options.input ?? {})), {
    overrides: {
      taskResourceLocalHandlers: taskResourceLocalHandlers as never,
      waitTimeOverrides,
      retryIntervalOverrides,
    },
    context: {
      Execution: {
        Id: `${definition.stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`,
        Name: executionName,
        RoleArn: `arn:aws:iam::111111111111:role/${definition.logicalId}Role`,
        StartTime: startedAt,
      },
      StateMachine: { Id: definition.stateMachineArn, Name: definition.stateMachineName ?? definition.logicalId },
      // aws-local-stepfunctions keeps one context per execution: EnteredTime is the execution's start, not the state's.
      State: { EnteredTime: startedAt, Name: '', RetryCount: 0 },
    },
  });

  const path: string[] = [];
  let retried = 0;
  let status: WorkflowRun['status'] = 'FAILED';
  let output: unknown;
  let error: string | undefined;
  let cause: string | undefined;
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      switch (event.type) {
        case 'StateEntered':
          path.push(event.state.name);
          break;
        case 'StateRetried':
          retried += 1;
          break;
        case 'ExecutionSucceeded':
          status = 'SUCCEEDED';
          output = event.output;
          break;
        case 'ExecutionFailed':
          status = 'FAILED';
          error = event.Error;
          cause = typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause);
          break;
        case 'ExecutionTimeout':
          status = 'TIMED_OUT';
          break;
        case 'ExecutionAborted':
          status = 'ABORTED';
          break;
        default:
          break;
      }
    }
  })();
  // A failed execution rejects `result`; the event log above already holds its error and cause.
  await execution.result.catch(() => undefined);
  await collecting;
  return { status, output, error, cause, path, transitions: path.length + retried, retries: retried, taskCalls: calls };
}
