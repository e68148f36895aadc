import type { ECSClient } from '@aws-sdk/client-ecs';
import * as z from 'zod';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { type Release, type ReleaseSettings, rollBack, runningAfterFailure } from '../lib/release.js';
import { type RollbackState, readForRollback, rollbackResult } from './rollback.js';

export interface RollbackClients {
  readonly ecs: ECSClient;
  readonly now: () => Date;
}

export interface RollbackDependencies {
  readonly clients: RollbackClients;
  readonly settings: ReleaseSettings;
  readonly publish: (result: OpsResultInput) => Promise<unknown>;
}

// The release and the state are produced by this function and carried by the state machine; parsed loosely.
const release = z.custom<Release>((value) => typeof value === 'object' && value !== null && 'taskDefinition' in value, 'expected the release read by the first step');

export const rollbackEventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('readRelease'), input: z.unknown(), approval: z.object({ approvedBy: z.string().optional() }).loose().optional() }),
  z.object({ action: z.literal('rollBack'), release }),
  z.object({ action: z.literal('report'), state: z.record(z.string(), z.unknown()), executionArn: z.string().optional(), startedAt: z.iso.datetime() }),
]);

/** One function, one `action` per step of the rollback state machine. */
export async function runRollbackAction(event: unknown, deps: RollbackDependencies): Promise<unknown> {
  const parsed = rollbackEventSchema.safeParse(event);
  if (!parsed.success) throw new Error(`Not a rollback step: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}`);
  const step = parsed.data;
  const { clients, settings } = deps;
  switch (step.action) {
    case 'readRelease':
      return readForRollback(clients.ecs, settings, step.input, step.approval);
    case 'rollBack':
      return rollBack(clients.ecs, settings, step.release, clients.now);
    case 'report': {
      const state = step.state as RollbackState;
      const runningNow = state.failure && state.read ? await runningAfterFailure(clients.ecs, settings, state.read.release.serviceName) : undefined;
      const { verdict, ...result } = rollbackResult(state, settings, { arn: step.executionArn, startedAt: step.startedAt, runningNow }, clients.now());
      await deps.publish(result);
      return { verdict, outcome: result.outcome, summary: result.summary };
    }
  }
}
