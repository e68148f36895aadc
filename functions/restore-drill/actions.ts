import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import * as z from 'zod';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger, metrics } from '../lib/powertools.js';
import { type DeletionProgress, type DrillConfig, type DrillPlan, type RestoreProgress, checkPreconditions, checkRestore, confirmDeletion, deleteDrillInstance, startRestore } from './drill.js';
import { isTransient } from '../lib/transient-error.js';
import { type DrillLockSettings, acquireDrillLock, releaseDrillLock } from '../lib/drill-lock.js';
import { DrillError, classifyAwsError } from './errors.js';
import { writeDrillReport } from '../lib/drill-report.js';
import { type DrillState, type ReportSettings, buildReport, evidenceOf, opsResultOf } from './report.js';
import { type VerificationOutcome, verifyRestoredDatabase } from './verify.js';
import { ENVIRONMENTS } from '../../contracts/environments.js';

/**
 * The restore drill's task handler: one function, one `action` per step of the state machine, so the drill's
 * permissions and network access live in one place. Each action is safe to retry.
 */

export interface DrillDependencies {
  readonly rds: RDSClient;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly lock: DrillLockSettings;
  readonly config: DrillConfig;
  readonly report: ReportSettings;
  readonly verification: { readonly schema: string; readonly criticalTables: readonly string[]; readonly rowCountTolerancePercent: number };
  /** Opens a connection with the master credentials to a host (the drill instance, the replica); undefined host = the source. */
  readonly connect: (host?: string, port?: number) => Promise<pg.Client>;
  readonly publish: (result: OpsResultInput) => Promise<unknown>;
  readonly now: () => Date;
}

const operatorOptions = z.object({
  environment: z.enum(ENVIRONMENTS).optional(),
  instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'an RDS instance class such as db.t3.large').optional(),
  requestedBy: z.string().max(200).optional(),
});

// Plans and progress are produced by this function and carried by the state machine; parsed loosely.
const plan = z.custom<DrillPlan>((value) => typeof value === 'object' && value !== null && typeof (value as DrillPlan).instanceId === 'string');
const restoreProgress = z.custom<RestoreProgress>((value) => typeof value === 'object' && value !== null && typeof (value as RestoreProgress).requestedAt === 'string');
const deletionProgress = z.custom<DeletionProgress>((value) => typeof value === 'object' && value !== null && typeof (value as DeletionProgress).requestedAt === 'string');

export const drillEventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('checkPreconditions'), executionName: z.string().min(1), executionArn: z.string().min(1), startedAt: z.iso.datetime(), options: z.unknown() }),
  z.object({ action: z.literal('startRestore'), plan }),
  z.object({ action: z.literal('checkRestore'), plan, previous: restoreProgress }),
  z.object({ action: z.literal('verifyRestore'), plan, restored: restoreProgress }),
  z.object({ action: z.literal('deleteInstance'), instanceId: z.string().min(1), executionName: z.string().min(1) }),
  z.object({ action: z.literal('confirmDeletion'), instanceId: z.string().min(1), previous: deletionProgress }),
  z.object({ action: z.literal('releaseLock'), executionArn: z.string().min(1) }),
  z.object({ action: z.literal('writeReport'), state: z.record(z.string(), z.unknown()), executionName: z.string().min(1), executionArn: z.string().optional(), startedAt: z.iso.datetime() }),
]);

export type DrillEvent = z.infer<typeof drillEventSchema>;

const reasonOf = (reason: unknown) => (reason instanceof Error ? reason.message : String(reason));

async function verifyRestore(deps: DrillDependencies, drill: DrillPlan, restored: RestoreProgress): Promise<VerificationOutcome & { verifiedAt: string }> {
  if (!restored.available || !restored.endpoint) throw new DrillError('VerificationFailed', `${drill.instanceId} has no endpoint yet; nothing to verify.`);
  const restoreTime = new Date(restored.latestRestorableTime ?? restored.requestedAt);
  const [restoredDb, sourceDb] = await Promise.allSettled([deps.connect(restored.endpoint, restored.port), deps.connect()]);
  try {
    // A throttled secret read or a 5xx says nothing about the restore: the step's Retry tries again.
    for (const connection of [restoredDb, sourceDb]) if (connection.status === 'rejected' && isTransient(connection.reason)) throw classifyAwsError(connection.reason, 'connecting for the verification');
    if (restoredDb.status === 'rejected') throw new DrillError('VerificationFailed', `Cannot connect to the restored instance ${drill.instanceId}: ${reasonOf(restoredDb.reason)}`, { cause: restoredDb.reason });
    if (sourceDb.status === 'rejected') throw new DrillError('VerificationFailed', `Cannot connect to the source (read replica or primary) to compare: ${reasonOf(sourceDb.reason)}`, { cause: sourceDb.reason });
    const outcome = await verifyRestoredDatabase(restoredDb.value, sourceDb.value, { ...deps.verification, rpoMinutes: deps.report.rpoMinutes, restoreTime });
    return { ...outcome, verifiedAt: deps.now().toISOString() };
  } finally {
    for (const connection of [restoredDb, sourceDb]) if (connection.status === 'fulfilled') await connection.value.end().catch(() => undefined);
  }
}

/** Builds the report, writes it (JSON + HTML) under drills/, publishes the OpsResult; a report that cannot be stored is still published. */
async function report(deps: DrillDependencies, event: Extract<DrillEvent, { action: 'writeReport' }>) {
  const state = event.state as DrillState;
  const built = buildReport(state, deps.report, { name: event.executionName, arn: event.executionArn, startedAt: event.startedAt }, deps.now());
  let reportUrl: string;
  try {
    reportUrl = await writeDrillReport(deps.s3, deps.report.reportsBucket, evidenceOf(built));
  } catch (error) {
    logger.error('The drill report could not be written; publishing the result without it', { error });
    reportUrl = `not written: ${error instanceof Error ? error.message : String(error)}`;
  }
  const result = opsResultOf(built, reportUrl);
  metrics.addMetric('RestoreDrillFailed', MetricUnit.Count, built.outcome === 'failed' ? 1 : 0);
  metrics.addMetric('RestoreDrillOrphan', MetricUnit.Count, built.orphan ? 1 : 0);
  if (built.rtoMinutes !== undefined) metrics.addMetric('RestoreDrillRtoMinutes', MetricUnit.NoUnit, built.rtoMinutes);
  if (built.dataLossMinutes !== undefined) metrics.addMetric('RestoreDrillDataLossMinutes', MetricUnit.NoUnit, built.dataLossMinutes);
  try {
    await deps.publish(result);
  } catch (error) {
    throw classifyAwsError(error, 'publishing the drill result');
  }
  return { outcome: built.outcome, severity: built.severity, summary: built.summary, orphan: built.orphan, reportUrl };
}

export async function runDrillAction(event: unknown, deps: DrillDependencies): Promise<unknown> {
  const parsed = drillEventSchema.safeParse(event);
  if (!parsed.success) throw new DrillError('InvalidInput', `Not a restore-drill step: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}`);
  const step = parsed.data;
  const now = deps.now();
  switch (step.action) {
    case 'checkPreconditions': {
      const options = operatorOptions.safeParse(step.options ?? {});
      if (!options.success) throw new DrillError('InvalidInput', `Invalid drill options: ${options.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      if (options.data.environment && options.data.environment !== deps.config.environment) {
        throw new DrillError('InvalidInput', `This is the ${deps.config.environment} drill; it was asked to run for ${options.data.environment}.`);
      }
      // One drill at a time in the environment, by a conditional write: the second of two started together stops here.
      const lock = await acquireDrillLock(deps.dynamodb, deps.lock, { owner: step.executionArn, drill: 'restore-drill', startedAt: new Date(step.startedAt) }, now);
      if (!lock.acquired) throw new DrillError('PreconditionFailed', `Another drill of ${deps.config.environment} is running: ${lock.heldBy}${lock.heldByDrill ? ` (${lock.heldByDrill})` : ''} holds the drill lock until ${lock.expiresAt ?? 'it ends'}; this drill created nothing`);
      const plan = await checkPreconditions(deps.rds, deps.config, { executionName: step.executionName, startedAt: step.startedAt, options: options.data }, now);
      return { ...plan, lockExpiresAt: lock.expiresAt };
    }
    case 'releaseLock':
      return releaseDrillLock(deps.dynamodb, deps.lock, step.executionArn);
    case 'startRestore':
      return startRestore(deps.rds, deps.config, step.plan, now);
    case 'checkRestore':
      return checkRestore(deps.rds, deps.config, step.plan, step.previous, now);
    case 'verifyRestore':
      return verifyRestore(deps, step.plan, step.restored);
    case 'deleteInstance':
      return deleteDrillInstance(deps.rds, deps.config, step.instanceId, step.executionName, now);
    case 'confirmDeletion':
      return confirmDeletion(deps.rds, deps.config, step.instanceId, step.previous, now);
    case 'writeReport':
      return report(deps, step);
  }
}
