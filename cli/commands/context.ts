import { userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { ENVIRONMENTS, type EnvironmentName } from '../../contracts/environments.js';
import { followExecution } from '../aws-workflows.js';
import { EXIT_CODES, FollowFailed, UsageError, unknown } from '../errors.js';

/** What every command gets from `fhops`: clients built from the global options (`--region`). */
export interface CliContext {
  readonly sfn: () => SFNClient;
  /** The `--region` the other clients are built for. */
  readonly region: () => string;
  /** The clock and the pause of waits (an approval, a poll): real ones in `fhops`, a test's own elsewhere. */
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}

/** A command module: adds its command(s) to the program. `cli/fhops.ts` lists them. */
export type RegisterCommand = (program: Command, context: CliContext) => void;

/** commander argument parser for `<env>` and `--env`: a mistyped one gets the nearest name. */
export function environment(value: string): EnvironmentName {
  const found = ENVIRONMENTS.find((name) => name === value);
  if (!found) throw unknown('environment', value, ENVIRONMENTS);
  return found;
}

export type Output = 'text' | 'json';

/** commander parser for `--output`. */
export function output(value: string): Output {
  if (value !== 'text' && value !== 'json') throw new UsageError(`Unknown output "${value}".`, 'Use --output text (the default) or --output json.');
  return value;
}

/** Prints one JSON document: what `--output json` gives scripts. */
export const printJson = (value: unknown): void => console.log(JSON.stringify(value, null, 2));

/** Who asks, by default: the caller's login. */
export const requester = (): string => `${userInfo().username}`;

/**
 * Prints an execution's states until it ends or `timeoutMinutes` pass; the exit code says how it ended. With JSON
 * output, one document at the end: the execution, its status and the events as they were printed.
 */
export async function follow(sfn: SFNClient, executionArn: string, timeoutMinutes: number, format: Output = 'text'): Promise<void> {
  const events: string[] = [];
  let status: string;
  try {
    status = await followExecution(sfn, executionArn, {
      pollMs: 3000,
      timeoutMs: timeoutMinutes * 60_000,
      print: (line) => (format === 'json' ? events.push(line) : console.log(line)),
      sleep: (ms) => sleep(ms),
      now: () => Date.now(),
    });
  } catch (error) {
    throw new FollowFailed(executionArn, error);
  }
  if (format === 'json') printJson({ executionArn, status, stillRunning: status === 'RUNNING', events });
  else if (status === 'RUNNING') console.log(`Still running after ${timeoutMinutes} min; follow again with: fhops follow ${executionArn}`);
  process.exitCode = status === 'SUCCEEDED' || status === 'RUNNING' ? EXIT_CODES.ok : EXIT_CODES.failed;
}
