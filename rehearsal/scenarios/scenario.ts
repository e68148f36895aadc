import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { WorkflowName } from '../../contracts/workflows.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import { type SimulatedAccount } from '../simulated/account.js';
import type { SimulatedClock } from '../simulated/clock.js';
import type { SimulatedStepFunctions } from '../simulated/step-functions.js';

/** One scripted situation of the simulated account a workflow is rehearsed in. */
export interface Scenario {
  readonly workflow: WorkflowName;
  readonly name: string;
  readonly description: string;
  /** What the rehearsal should end in; the main job fails when it does not. */
  readonly expect: 'SUCCEEDED' | 'FAILED';
  /** Function folders whose real handlers run the workflow's Lambda tasks. */
  readonly functions: readonly string[];
  readonly input: (environment: EnvironmentName) => unknown;
  /** Scripts the account for one execution; `world` holds the rehearsal's clock and its strict simulated services. */
  readonly script: (account: SimulatedAccount, environment: EnvironmentName, executionName: string, world: RehearsalWorld) => ScriptedAccount;
}

/** What every rehearsal has before its scenario scripts the rest: one clock, Step Functions holding the execution itself. */
export interface RehearsalWorld {
  readonly clock: SimulatedClock;
  readonly stepFunctions: SimulatedStepFunctions;
}

/** The last Wednesday 14:00 UTC: rehearsals start then, far from the Sunday 03:00 maintenance window, whenever they run. */
export function lastWednesdayAfternoon(): number {
  const at = new Date();
  at.setUTCHours(14, 0, 0, 0);
  at.setUTCDate(at.getUTCDate() - ((at.getUTCDay() + 4) % 7));
  return at.getTime();
}

/** What a scenario's script leaves in place for the rehearsal. */
export interface ScriptedAccount {
  /** Undoes what the script changed outside the simulated account. */
  readonly undo?: () => void;
  /**
   * Clients the scenario's functions are built with instead of the real ones (`createHandler({ clients })`): the
   * clock and the HTTP client of functions that read the time of day or probe the application. SDK clients need
   * none: the simulated account answers every client of a class.
   */
  readonly clients?: Readonly<Record<string, unknown>>;
}

/** Names the execution after its scenario, so the call log says which rehearsal made it. */
export const rehearsalExecutionName = (scenario: Pick<Scenario, 'workflow' | 'name'>) => `rehearsal-${scenario.workflow}-${scenario.name}`;

/** A time this many minutes before now. */
export const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
/** The notification topic accepts every publish: what the workflows tell on-call is read from the call log. */
export const published = (account: SimulatedAccount) => account.mock(SNSClient).on(PublishCommand).resolves({ MessageId: 'rehearsal' });
