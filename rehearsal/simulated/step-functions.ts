import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandInput,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type ExecutionStatus,
  ListExecutionsCommand,
  type ListExecutionsCommandInput,
  SFNClient,
  StartExecutionCommand,
  type StartExecutionCommandInput,
  StopExecutionCommand,
  type StopExecutionCommandInput,
} from '@aws-sdk/client-sfn';
import type { SimulatedAccount } from './account.js';

/**
 * Step Functions as the workflows and the CLI talk to it: executions kept per state machine (AWS keeps a closed one's
 * name for 90 days), StartExecution refusing a name already used (ExecutionAlreadyExists) except the idempotent
 * repeat of a running Standard execution with the same input, Describe, List and Stop answering from what is stored.
 * An execution started here is recorded, not run: a rehearsal runs one workflow.
 */

export interface SimulatedExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  status: ExecutionStatus;
  readonly startDate: Date;
  stopDate?: Date;
  error?: string;
  cause?: string;
}

const executionArnOf = (stateMachineArn: string, name: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

export class SimulatedStepFunctions {
  readonly executions = new Map<string, SimulatedExecution>();

  constructor(account: SimulatedAccount) {
    const stub = account.mock(SFNClient);
    stub.on(StartExecutionCommand).callsFake(async (input: StartExecutionCommandInput) => this.start(input));
    stub.on(DescribeExecutionCommand).callsFake(async (input: DescribeExecutionCommandInput) => this.describe(input));
    stub.on(ListExecutionsCommand).callsFake(async (input: ListExecutionsCommandInput) => this.list(input));
    stub.on(StopExecutionCommand).callsFake(async (input: StopExecutionCommandInput) => this.stop(input));
  }

  /** An execution already there (the rehearsal's own, or others a scenario sets up), running unless told otherwise. */
  add(execution: Omit<SimulatedExecution, 'executionArn' | 'status' | 'startDate'> & { status?: ExecutionStatus; startDate?: Date }): SimulatedExecution {
    const stored: SimulatedExecution = { status: 'RUNNING', startDate: new Date(), ...execution, executionArn: executionArnOf(execution.stateMachineArn, execution.name) };
    this.executions.set(stored.executionArn, stored);
    return stored;
  }

  /** Executions of a state machine, in the order started. */
  of(stateMachineArn: string): SimulatedExecution[] {
    return [...this.executions.values()].filter((execution) => execution.stateMachineArn === stateMachineArn);
  }

  private start(input: StartExecutionCommandInput) {
    const stateMachineArn = input.stateMachineArn ?? '';
    const name = input.name ?? crypto.randomUUID();
    const executionArn = executionArnOf(stateMachineArn, name);
    const existing = this.executions.get(executionArn);
    const body = input.input ?? '{}';
    if (existing) {
      // Standard workflows: the same name and input while running is the same request again.
      if (existing.status === 'RUNNING' && existing.input === body) return { executionArn, startDate: existing.startDate };
      throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${executionArn}'`, $metadata: { httpStatusCode: 400 } });
    }
    const started = this.add({ stateMachineArn, name, input: body });
    return { executionArn, startDate: started.startDate };
  }

  private find(executionArn: string | undefined): SimulatedExecution {
    const found = executionArn ? this.executions.get(executionArn) : undefined;
    if (!found) throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${executionArn ?? ''}'`, $metadata: { httpStatusCode: 400 } });
    return found;
  }

  private describe(input: DescribeExecutionCommandInput) {
    const { executionArn, stateMachineArn, name, status, startDate, stopDate, input: body, error, cause } = this.find(input.executionArn);
    return { executionArn, stateMachineArn, name, status, startDate, stopDate, input: body, error, cause };
  }

  private list(input: ListExecutionsCommandInput) {
    const executions = this.of(input.stateMachineArn ?? '')
      .filter((execution) => !input.statusFilter || execution.status === input.statusFilter)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
      .slice(0, input.maxResults || 100)
      .map(({ executionArn, stateMachineArn, name, status, startDate, stopDate }) => ({ executionArn, stateMachineArn, name, status, startDate, stopDate }));
    return { executions };
  }

  private stop(input: StopExecutionCommandInput) {
    const execution = this.find(input.executionArn);
    if (execution.status === 'RUNNING') Object.assign(execution, { status: 'ABORTED', stopDate: new Date(), error: input.error, cause: input.cause });
    return { stopDate: execution.stopDate ?? new Date() };
  }
}
