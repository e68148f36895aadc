import { userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { type Command, InvalidArgumentError } from 'commander';
import { ENVIRONMENTS, type EnvironmentName } from '../../contracts/environments.js';
import { followExecution } from '../aws-workflows.js';

/** What every command gets from `fhops`: clients built from the global options (`--region`). */
export interface CliContext {
  readonly sfn: () => SFNClient;
}

/** A command module: adds its command(s) to the program. `cli/fhops.ts` lists them. */
export type RegisterCommand = (program: Command, context: CliContext) => void;

/** commander argument parser for `<env>` and `--env`. */
export function environment(value: string): EnvironmentName {
  const found = ENVIRONMENTS.find((name) => name === value);
  if (!found) throw new InvalidArgumentError('must be staging or production');
  return found;
}

/** Who asks, by default: the caller's login. */
export const requester = (): string => `${userInfo().username}`;

/** Prints an execution's states until it ends or `timeoutMinutes` pass; the exit code says how it ended. */
export async function follow(sfn: SFNClient, executionArn: string, timeoutMinutes: number): Promise<void> {
  const status = await followExecution(sfn, executionArn, {
    pollMs: 3000,
    timeoutMs: timeoutMinutes * 60_000,
    print: (line) => console.log(line),
    sleep: (ms) => sleep(ms),
    now: () => Date.now(),
  });
  if (status === 'RUNNING') console.log(`Still running after ${timeoutMinutes} min; follow again with: fhops follow ${executionArn}`);
  process.exitCode = status === 'SUCCEEDED' || status === 'RUNNING' ? 0 : 1;
}
