import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { createHash } from 'node:crypto';
import { executionName, stateMachineName } from '../functions/lib/workflows.js';
import { type WorkflowName, WORKFLOWS } from '../contracts/workflows.js';

export interface WorkflowSummary {
  readonly workflow: WorkflowName;
  readonly stateMachineArn?: string;
  readonly running: number;
  readonly lastExecution?: { readonly name: string; readonly status: string; readonly startDate?: Date };
}

/** Finds the environment's state machines by their deterministic names (no account id needed). */
export async function findStateMachines(sfn: SFNClient, prefix: string): Promise<Map<WorkflowName, string>> {
  const found = new Map<WorkflowName, string>();
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ nextToken, maxResults: 100 }));
    for (const machine of page.stateMachines ?? []) {
      const workflow = WORKFLOWS.find((name) => stateMachineName(prefix, name) === machine.name);
      if (workflow && machine.stateMachineArn) found.set(workflow, machine.stateMachineArn);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}

export async function listWorkflows(sfn: SFNClient, prefix: string): Promise<WorkflowSummary[]> {
  const machines = await findStateMachines(sfn, prefix);
  return Promise.all(
    WORKFLOWS.map(async (workflow) => {
      const stateMachineArn = machines.get(workflow);
      if (!stateMachineArn) return { workflow, running: 0 };
      const [recent, running] = await Promise.all([
        sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1 })),
        sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 100 })),
      ]);
      const last = recent.executions?.[0];
      return {
        workflow,
        stateMachineArn,
        running: running.executions?.length ?? 0,
        lastExecution: last ? { name: last.name ?? '', status: last.status ?? '', startDate: last.startDate } : undefined,
      };
    }),
  );
}

/** How long the same request from the same person names the same execution: a second run within it starts nothing. */
export const REQUEST_WINDOW_MINUTES = 10;

const canonical = (value: unknown): unknown =>
  Array.isArray(value) ? value.map(canonical) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)])) : value;

/**
 * The execution name of a request from a person: the window it falls in, a hash of exactly what is asked, and who asks.
 * The same command run twice within the window names the same execution, so Step Functions starts it once; another
 * request, or the same one in the next window, starts its own. The hash comes first: 80 characters cut the name last.
 */
export function requestExecutionName(requestedBy: string, workflow: WorkflowName, input: unknown, now: Date, windowMinutes = REQUEST_WINDOW_MINUTES): string {
  const windowMs = windowMinutes * 60_000;
  const window = new Date(Math.floor(now.getTime() / windowMs) * windowMs).toISOString().slice(0, 16).replace(/[-:]/g, '');
  const request = createHash('sha256').update(JSON.stringify(canonical({ workflow, input }))).digest('hex').slice(0, 10);
  return executionName('cli', window, request, requestedBy);
}

export interface StartedWorkflow {
  readonly executionArn: string;
  /** The execution of this name existed already: nothing was started. */
  readonly alreadyStarted: boolean;
  /** Its status when it existed already (RUNNING, SUCCEEDED, ...). */
  readonly status?: string;
}

async function existing(sfn: SFNClient, executionArn: string): Promise<string | undefined> {
  try {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return described?.status;
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) return undefined;
    throw error;
  }
}

/** Starts an execution unless one of that name exists; then it says so, with its ARN and status, and starts nothing. */
export async function startWorkflow(sfn: SFNClient, prefix: string, workflow: WorkflowName, name: string, input: Record<string, unknown>): Promise<StartedWorkflow> {
  const stateMachineArn = (await findStateMachines(sfn, prefix)).get(workflow);
  if (!stateMachineArn) throw new Error(`No state machine ${stateMachineName(prefix, workflow)} in this account and region`);
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  const before = await existing(sfn, executionArn);
  if (before) return { executionArn, alreadyStarted: true, status: before };
  try {
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return { executionArn: started.executionArn ?? executionArn, alreadyStarted: false };
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
    return { executionArn, alreadyStarted: true, status: await existing(sfn, executionArn) };
  }
}

/** What the CLI prints after a start: started, already running, or already ran in this window. */
export function describeStart(started: StartedWorkflow, what: string): string {
  if (!started.alreadyStarted) return `Started ${what}\n${started.executionArn}`;
  if (started.status === undefined || started.status === 'RUNNING') return `Already running ${what} (the same request within ${REQUEST_WINDOW_MINUTES} min starts nothing)\n${started.executionArn}`;
  return `Already ran ${what} within the last ${REQUEST_WINDOW_MINUTES} min (${started.status}); nothing was started. Run it again after the window or with --name.\n${started.executionArn}`;
}

/** One readable line per history event an operator cares about; undefined for the bookkeeping ones. */
export function describeHistoryEvent(event: HistoryEvent): string | undefined {
  const at = event.timestamp ? event.timestamp.toISOString().slice(11, 19) : '--:--:--';
  switch (event.type) {
    case 'ExecutionStarted':
      return `${at}  started`;
    case 'ExecutionSucceeded':
      return `${at}  SUCCEEDED  ${event.executionSucceededEventDetails?.output ?? ''}`.trimEnd();
    case 'ExecutionFailed':
      return `${at}  FAILED  ${event.executionFailedEventDetails?.error ?? ''}: ${event.executionFailedEventDetails?.cause ?? ''}`;
    case 'ExecutionTimedOut':
      return `${at}  TIMED OUT`;
    case 'ExecutionAborted':
      return `${at}  ABORTED`;
    case 'TaskFailed':
      return `${at}    task failed: ${event.taskFailedEventDetails?.error ?? ''} ${event.taskFailedEventDetails?.cause ?? ''}`.trimEnd();
    case 'LambdaFunctionFailed':
      return `${at}    function failed: ${event.lambdaFunctionFailedEventDetails?.error ?? ''}`;
    default:
      if (event.type?.endsWith('StateEntered')) return `${at}  → ${event.stateEnteredEventDetails?.name ?? ''}`;
      return undefined;
  }
}

export interface FollowOptions {
  readonly pollMs: number;
  readonly timeoutMs: number;
  readonly print: (line: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** Prints the execution's progress as it happens and returns its final status (or RUNNING when the timeout passed). */
export async function followExecution(sfn: SFNClient, executionArn: string, options: FollowOptions): Promise<string> {
  const deadline = options.now() + options.timeoutMs;
  let lastPrinted = 0;
  for (;;) {
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 500 }));
      for (const event of page.events ?? []) {
        if ((event.id ?? 0) <= lastPrinted) continue;
        lastPrinted = event.id ?? lastPrinted;
        const line = describeHistoryEvent(event);
        if (line) options.print(line);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    const { status = 'RUNNING' } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (FINISHED.has(status) || options.now() >= deadline) return status;
    await options.sleep(options.pollMs);
  }
}
