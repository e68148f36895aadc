import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { ENVIRONMENTS } from '../../contracts/environments.js';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { type DrillLockSettings, acquireDrillLock, releaseDrillLock } from '../lib/drill-lock.js';
import { writeDrillReport } from '../lib/drill-report.js';
import { logger, metrics } from '../lib/powertools.js';
import { classifyAwsError } from '../restore-drill/errors.js';
import { SimulationError } from './errors.js';
import { type ReportSettings, type SimulationState, buildReport, opsResultOf } from './report.js';
import {
  type BackendProgress,
  type RestoreProgress,
  type SimulationDependencies,
  type SimulationPlan,
  type TeardownProgress,
  checkBackend,
  checkRestores,
  planSimulation,
  startBackend,
  startRestores,
  tearDown,
} from './simulation.js';

/**
 * The DR simulation's task handler: one function, one `action` per step of the state machine, so the simulation's
 * permissions live in one place. Each action is safe to retry.
 */

export interface ActionDependencies extends SimulationDependencies {
  /** S3 in the DR region: the reports bucket lives there. */
  readonly reports: S3Client;
  /** The environment's drill lock (this region): one drill at a time, the simulation included. */
  readonly dynamodb: DynamoDBClient;
  readonly lock: DrillLockSettings;
  readonly report: ReportSettings;
  readonly publish: (result: OpsResultInput) => Promise<unknown>;
  readonly now: () => Date;
}

const operatorOptions = z.object({
  environment: z.enum(ENVIRONMENTS).optional(),
  requestedBy: z.string().max(200).optional(),
  approvedBy: z.string().max(200).optional(),
  scheduledTime: z.string().optional(),
});

// Plans and progress are produced by this function and carried by the state machine; parsed loosely.
const carried = <T>(field: keyof T & string) => z.custom<T>((value) => typeof value === 'object' && value !== null && field in value);
const plan = carried<SimulationPlan>('instanceId');
const restores = carried<RestoreProgress>('restoreJobId');
const backend = carried<BackendProgress>('taskArn');
const teardown = carried<TeardownProgress>('pending');

export const simulationEventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('plan'), executionName: z.string().min(1), executionArn: z.string().min(1), startedAt: z.iso.datetime(), options: z.unknown() }),
  z.object({ action: z.literal('startRestores'), plan }),
  z.object({ action: z.literal('checkRestores'), plan, previous: restores }),
  z.object({ action: z.literal('startBackend'), plan, restores }),
  z.object({ action: z.literal('checkBackend'), plan, restores, previous: backend }),
  z.object({ action: z.literal('tearDown'), plan, previous: teardown.optional() }),
  z.object({ action: z.literal('releaseLock'), executionArn: z.string().min(1) }),
  z.object({ action: z.literal('writeReport'), state: z.record(z.string(), z.unknown()), executionName: z.string().min(1), executionArn: z.string().optional(), startedAt: z.iso.datetime() }),
]);

/** Builds the report, writes it (JSON + HTML) to the DR reports bucket, publishes the OpsResult; a report that cannot be stored is still published. */
async function report(deps: ActionDependencies, event: Extract<z.infer<typeof simulationEventSchema>, { action: 'writeReport' }>) {
  const state = event.state as SimulationState;
  const built = buildReport(state, deps.report, { name: event.executionName, arn: event.executionArn, startedAt: event.startedAt }, deps.now());
  let reportUrl: string;
  try {
    reportUrl = await writeDrillReport(deps.reports, deps.report.reportsBucket, built.evidence);
  } catch (error) {
    logger.error('The simulation report could not be written; publishing the result without it', { error });
    reportUrl = `not written: ${error instanceof Error ? error.message : String(error)}`;
  }
  metrics.addMetric('DrSimulationFailed', MetricUnit.Count, built.evidence.outcome === 'failed' ? 1 : 0);
  metrics.addMetric('DrSimulationLeftBehind', MetricUnit.Count, built.leftBehind ? 1 : 0);
  if (built.rtoMinutes !== undefined) metrics.addMetric('DrSimulationRtoMinutes', MetricUnit.NoUnit, built.rtoMinutes);
  if (built.dataLossMinutes !== undefined) metrics.addMetric('DrSimulationDataLossMinutes', MetricUnit.NoUnit, built.dataLossMinutes);
  try {
    await deps.publish(opsResultOf(built, reportUrl, state.teardown));
  } catch (error) {
    throw classifyAwsError(error, 'publishing the simulation result');
  }
  return { outcome: built.evidence.outcome, severity: built.evidence.severity, summary: built.evidence.summary, leftBehind: built.leftBehind, reportUrl };
}

export async function runSimulationAction(event: unknown, deps: ActionDependencies): Promise<unknown> {
  const parsed = simulationEventSchema.safeParse(event);
  if (!parsed.success) throw new SimulationError('InvalidInput', `Not a dr-simulation step: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}`);
  const step = parsed.data;
  const now = deps.now();
  switch (step.action) {
    case 'plan': {
      const options = operatorOptions.safeParse(step.options ?? {});
      if (!options.success) throw new SimulationError('InvalidInput', `Invalid simulation input: ${options.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      if (options.data.environment && options.data.environment !== deps.config.environment) {
        throw new SimulationError('InvalidInput', `This is the ${deps.config.environment} simulation; it was asked to run for ${options.data.environment}.`);
      }
      // One drill at a time in the environment, by a conditional write: the second of two started together stops here.
      const lock = await acquireDrillLock(deps.dynamodb, deps.lock, { owner: step.executionArn, drill: 'dr-simulation', startedAt: new Date(step.startedAt) }, now);
      if (!lock.acquired) {
        throw new SimulationError('AnotherDrillRunning', `Another drill of ${deps.config.environment} is running: ${lock.heldBy}${lock.heldByDrill ? ` (${lock.heldByDrill})` : ''} holds the drill lock until ${lock.expiresAt ?? 'it ends'}; this simulation created nothing`);
      }
      const plan = await planSimulation(deps, { executionName: step.executionName, startedAt: step.startedAt, requestedBy: options.data.requestedBy, approvedBy: options.data.approvedBy }, now);
      return { ...plan, lockExpiresAt: lock.expiresAt };
    }
    case 'releaseLock':
      return releaseDrillLock(deps.dynamodb, deps.lock, step.executionArn);
    case 'startRestores':
      return startRestores(deps, step.plan, now);
    case 'checkRestores':
      return checkRestores(deps, step.plan, step.previous, now);
    case 'startBackend':
      return startBackend(deps, step.plan, step.restores, now);
    case 'checkBackend':
      return checkBackend(deps, step.plan, step.restores, step.previous, now);
    case 'tearDown':
      return tearDown(deps, step.plan, step.previous, now);
    case 'writeReport':
      return report(deps, step);
  }
}
