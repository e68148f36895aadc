import type { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { writeDrillReport } from '../lib/drill-report.js';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { logger } from '../lib/powertools.js';
import {
  type ApplicationProgress,
  type CacheProgress,
  type DatabaseProgress,
  type DrillClients,
  type DrillPlan,
  type FailoverDrillSettings,
  checkCache,
  checkDatabase,
  checkPreconditions,
  currentState,
  failOverCache,
  failOverDatabase,
  probeApplication,
} from './drill.js';
import { type DrillState, type ReportSettings, buildReport, opsResultOf } from './report.js';
import { ENVIRONMENTS } from '../../contracts/environments.js';
import { releaseDrillLock } from '../lib/drill-lock.js';

/**
 * The failover drill's task handler: one function, one `action` per step of the state machine. Each action is safe
 * to retry: the failover requests recognise a request already under way.
 */

export interface FailoverDrillDependencies {
  readonly clients: DrillClients;
  readonly s3: S3Client;
  readonly settings: FailoverDrillSettings;
  readonly report: ReportSettings & { readonly reportsBucket: string };
  readonly publish: (result: OpsResultInput) => Promise<unknown>;
}

/** Operators start the drill with `{ environment, requestedBy, approvedBy }`; anything else is ignored. */
const operatorOptions = z.looseObject({
  environment: z.enum(ENVIRONMENTS).optional(),
  requestedBy: z.string().max(200).optional(),
  approvedBy: z.string().max(200).optional(),
});

// Plans and progress are produced by this function and carried by the state machine; parsed loosely.
const object = <T>(field: string) => z.custom<T>((value) => typeof value === 'object' && value !== null && field in value, `expected an object with ${field}`);
const plan = object<DrillPlan>('checks');
const database = object<DatabaseProgress>('requestedAt');
const cache = object<CacheProgress>('requestedAt');

export const drillEventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('checkPreconditions'), executionName: z.string().min(1), executionArn: z.string().min(1), startedAt: z.iso.datetime(), options: z.unknown() }),
  z.object({ action: z.literal('failOverDatabase'), plan }),
  z.object({ action: z.literal('checkDatabase'), plan, previous: database }),
  z.object({ action: z.literal('failOverCache'), plan }),
  z.object({ action: z.literal('checkCache'), plan, previous: cache }),
  z.object({ action: z.literal('probeApplication'), state: z.object({ application: z.custom<ApplicationProgress>().optional() }).loose() }),
  z.object({ action: z.literal('releaseLock'), executionArn: z.string().min(1) }),
  z.object({ action: z.literal('writeReport'), state: z.record(z.string(), z.unknown()), executionName: z.string().min(1), executionArn: z.string().optional(), startedAt: z.iso.datetime() }),
]);

export type DrillEvent = z.infer<typeof drillEventSchema>;

/** Writes the report (JSON + HTML) and publishes the OpsResult; a report that cannot be stored is still published. */
async function report(deps: FailoverDrillDependencies, event: Extract<DrillEvent, { action: 'writeReport' }>) {
  const state = event.state as DrillState;
  // Read back whenever the drill got past its preconditions: a failed step may have failed over before it failed.
  const snapshot = state.plan?.passed ? await currentState(deps.clients, state.plan) : {};
  const built = buildReport(state, deps.report, { name: event.executionName, arn: event.executionArn, startedAt: event.startedAt }, snapshot, deps.clients.now());
  let reportUrl: string;
  try {
    reportUrl = await writeDrillReport(deps.s3, deps.report.reportsBucket, built);
  } catch (error) {
    logger.error('The drill report could not be written; publishing the result without it', { error });
    reportUrl = `not written: ${error instanceof Error ? error.message : String(error)}`;
  }
  await deps.publish(opsResultOf(built, state, deps.report, reportUrl, snapshot));
  return { outcome: built.outcome, severity: built.severity, summary: built.summary, reportUrl };
}

export async function runDrillAction(event: unknown, deps: FailoverDrillDependencies): Promise<unknown> {
  const parsed = drillEventSchema.safeParse(event);
  if (!parsed.success) throw new Error(`Not a failover drill step: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}`);
  const step = parsed.data;
  const { clients, settings } = deps;
  switch (step.action) {
    case 'checkPreconditions': {
      const options = operatorOptions.safeParse(step.options ?? {});
      const given = options.success ? options.data : {};
      const result = await checkPreconditions(clients, settings, given, { arn: step.executionArn, startedAt: new Date(step.startedAt) });
      if (!options.success) {
        result.checks.unshift({ name: 'Input', passed: false, detail: options.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
        return { ...result, passed: false };
      }
      return result;
    }
    case 'failOverDatabase':
      return failOverDatabase(clients, step.plan);
    case 'checkDatabase':
      return checkDatabase(clients, settings, step.plan, step.previous);
    case 'failOverCache':
      return failOverCache(clients, step.plan);
    case 'checkCache':
      return checkCache(clients, settings, step.plan, step.previous);
    case 'probeApplication':
      return probeApplication(clients, settings, step.state.application);
    case 'releaseLock':
      return releaseDrillLock(clients.dynamodb, settings.lock, step.executionArn);
    case 'writeReport':
      return report(deps, step);
  }
}
