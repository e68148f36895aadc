import * as z from 'zod';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { type AppliedOverride, type Capacity, type OverrideClients, type OverrideSettings, applyOverride, currentCapacity, replaceEarlierOverrides, restoreBaseline } from './override.js';
import { type ReportSettings, type OverrideState, overrideResult } from './report.js';
import { type OverrideLimits, type OverrideRequest, parseOverrideRequest } from './request.js';

/**
 * The scaling override's task handler: one function, one `action` per step of the state machine. Every step is safe
 * to retry: registering the same bounds twice changes nothing, and stopping an execution twice is skipped.
 */

export interface OverrideDependencies {
  readonly clients: OverrideClients;
  readonly settings: OverrideSettings;
  readonly limits: OverrideLimits;
  readonly report: ReportSettings;
  readonly publish: (result: OpsResultInput) => Promise<unknown>;
}

// The request, bounds and progress are produced by this function and carried by the state machine; parsed loosely.
const object = <T>(field: string) => z.custom<T>((value) => typeof value === 'object' && value !== null && field in value, `expected an object with ${field}`);
const request = object<OverrideRequest>('service');
const capacity = object<Capacity>('max');

export const overrideEventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('validateRequest'), input: z.unknown() }),
  z.object({ action: z.literal('replaceEarlierOverrides'), request, executionArn: z.string().min(1), startedAt: z.iso.datetime() }),
  z.object({ action: z.literal('recordCurrentScaling'), request }),
  z.object({ action: z.literal('applyOverride'), request }),
  z.object({ action: z.literal('restoreBaseline'), state: z.object({ request, override: capacity.optional() }).loose() }),
  z.object({
    action: z.literal('report'),
    stage: z.enum(['applied', 'ended', 'rejected', 'failed']),
    state: z.record(z.string(), z.unknown()),
    executionArn: z.string().optional(),
    startedAt: z.iso.datetime(),
  }),
]);

export async function runOverrideAction(event: unknown, deps: OverrideDependencies): Promise<unknown> {
  const parsed = overrideEventSchema.safeParse(event);
  if (!parsed.success) throw new Error(`Not a scaling override step: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}`);
  const step = parsed.data;
  const { clients, settings } = deps;
  switch (step.action) {
    case 'validateRequest':
      return parseOverrideRequest(step.input, deps.limits);
    case 'replaceEarlierOverrides':
      return replaceEarlierOverrides(clients, settings, step.request, { executionArn: step.executionArn, startedAt: step.startedAt });
    case 'recordCurrentScaling':
      return currentCapacity(clients, settings, step.request.service);
    case 'applyOverride': {
      if (step.request.action !== 'apply') throw new Error('Only an apply request applies an override');
      const applied: AppliedOverride = await applyOverride(clients, settings, step.request);
      return applied;
    }
    case 'restoreBaseline':
      return restoreBaseline(clients, settings, step.state.request, step.state.override);
    case 'report': {
      const state = step.state as OverrideState;
      const service = state.request?.service;
      // A failure is reported with the bounds as AWS has them now, whatever the failed step did before it failed.
      const readBack =
        step.stage === 'failed' && service ? await currentCapacity(clients, settings, service).then(({ min, max }) => ({ min, max }), () => undefined) : undefined;
      const result = overrideResult(step.stage, { ...state, readBack }, deps.report, { arn: step.executionArn, startedAt: step.startedAt }, clients.now());
      await deps.publish(result);
      return { outcome: result.outcome, severity: result.severity, summary: result.summary };
    }
  }
}
