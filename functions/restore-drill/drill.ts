import { createHash } from 'node:crypto';
import {
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  type DBInstance,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  type RDSClient,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { DrillError, classifyAwsError } from './errors.js';
import type { EnvironmentName } from '../../contracts/environments.js';

/** Tags every drill instance carries: the sweeper and the cleanup delete nothing without them. */
export const DRILL_TAG = { purpose: 'financehub:purpose', execution: 'financehub:drill-execution', environment: 'financehub:environment' } as const;
export const DRILL_PURPOSE = 'restore-drill';

export interface DrillConfig {
  readonly environment: EnvironmentName;
  readonly region: string;
  readonly sourceInstanceId: string;
  readonly replicaInstanceId: string;
  /** `${prefix}-drill-`: the only identifiers this function restores into or deletes. */
  readonly drillInstancePrefix: string;
  readonly drillSecurityGroupId: string;
  /** Polling backoff: first wait, growth factor, longest wait. */
  readonly pollInitialSeconds: number;
  readonly pollMaxSeconds: number;
  /** Waiting for the restored instance longer than this fails the drill (it could not meet the RTO anyway). */
  readonly restoreWaitCapMinutes: number;
  /** Waiting longer than this for the deletion to finish reports an orphan. */
  readonly deleteWaitCapMinutes: number;
}

/** Who started the drill and what the operator asked for; extra fields (requestedBy, approvedBy) are kept for the report. */
export interface DrillOptions {
  readonly instanceClass?: string;
  readonly requestedBy?: string;
}

/** What the rest of the drill needs to know, fixed at the start. */
export interface DrillPlan {
  readonly instanceId: string;
  readonly sourceInstanceId: string;
  readonly instanceClass: string;
  readonly subnetGroupName: string;
  readonly parameterGroupName?: string;
  readonly executionName: string;
  readonly startedAt: string;
  readonly checkedAt: string;
  readonly requestedBy?: string;
  /** When the drill lock this execution holds expires. */
  readonly lockExpiresAt?: string;
}

/** A polling loop's state: carried from one check to the next through the state machine. */
export interface PollState {
  readonly requestedAt: string;
  readonly status: string;
  readonly attempts: number;
  readonly waitedSeconds: number;
  readonly nextWaitSeconds: number;
  readonly capReached: boolean;
}

export interface RestoreProgress extends PollState {
  readonly available: boolean;
  readonly latestRestorableTime?: string;
  readonly availableAt?: string;
  readonly endpoint?: string;
  readonly port?: number;
}

export interface DeletionProgress extends PollState {
  /** This execution's instance existed when the cleanup began. */
  readonly existed: boolean;
  /** An instance of that name exists but another execution created it: left alone. */
  readonly otherExecution?: string;
  readonly gone: boolean;
  readonly goneAt?: string;
}

/**
 * `financehub-production-drill-20261101-0300-1a2b3c`: the minute the drill started and six hex digits of its execution
 * name, so two drills started in the same minute never pick the same instance (stable across retries).
 */
export function drillInstanceId(prefix: string, startedAt: Date, executionName: string): string {
  const iso = startedAt.toISOString();
  const execution = createHash('sha256').update(executionName).digest('hex').slice(0, 6);
  return `${prefix}${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 16).replace(':', '')}-${execution}`;
}

/** Next wait of a polling loop: grows by half each time up to the longest wait; the cap counts what was waited. */
export function nextPoll(previous: PollState | undefined, config: Pick<DrillConfig, 'pollInitialSeconds' | 'pollMaxSeconds'>, capMinutes: number, status: string, now: Date): PollState {
  const waited = previous ? previous.waitedSeconds + previous.nextWaitSeconds : 0;
  const next = previous ? Math.min(config.pollMaxSeconds, Math.round(previous.nextWaitSeconds * 1.5)) : config.pollInitialSeconds;
  return {
    requestedAt: previous?.requestedAt ?? now.toISOString(),
    status,
    attempts: (previous?.attempts ?? -1) + 1,
    waitedSeconds: waited,
    nextWaitSeconds: next,
    capReached: waited + next > capMinutes * 60,
  };
}

async function describe(rds: RDSClient, instanceId: string): Promise<DBInstance | undefined> {
  try {
    const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }));
    return DBInstances[0];
  } catch (error) {
    if (error instanceof DBInstanceNotFoundFault) return undefined;
    throw classifyAwsError(error, `describing ${instanceId}`);
  }
}

function tagValue(instance: DBInstance, key: string): string | undefined {
  return instance.TagList?.find((tag) => tag.Key === key)?.Value;
}

function assertDrillInstance(config: DrillConfig, instanceId: string): void {
  if (!instanceId.startsWith(config.drillInstancePrefix) || instanceId === config.sourceInstanceId) {
    throw new DrillError('InvalidInput', `Refusing to touch ${instanceId}: drill instances are named ${config.drillInstancePrefix}<date>`);
  }
}

/**
 * Preconditions (the drill lock is already taken): the source is available. Nothing is created here; a failure ends
 * the drill before anything exists.
 */
export async function checkPreconditions(
  rds: RDSClient,
  config: DrillConfig,
  input: { executionName: string; startedAt: string; options: DrillOptions },
  now: Date,
): Promise<DrillPlan> {
  const source = await describe(rds, config.sourceInstanceId);
  if (!source) throw new DrillError('PreconditionFailed', `The source instance ${config.sourceInstanceId} does not exist.`);
  if (source.DBInstanceStatus !== 'available') {
    throw new DrillError('PreconditionFailed', `The source instance ${config.sourceInstanceId} is ${source.DBInstanceStatus ?? 'in an unknown state'}, not available.`);
  }
  const subnetGroupName = source.DBSubnetGroup?.DBSubnetGroupName;
  if (!subnetGroupName) throw new DrillError('PreconditionFailed', `The source instance ${config.sourceInstanceId} reports no DB subnet group.`);
  return {
    instanceId: drillInstanceId(config.drillInstancePrefix, new Date(input.startedAt), input.executionName),
    sourceInstanceId: config.sourceInstanceId,
    instanceClass: input.options.instanceClass ?? source.DBInstanceClass ?? 'db.t3.large',
    subnetGroupName,
    parameterGroupName: source.DBParameterGroups?.[0]?.DBParameterGroupName,
    executionName: input.executionName,
    startedAt: input.startedAt,
    checkedAt: now.toISOString(),
    requestedBy: input.options.requestedBy,
  };
}

/**
 * Restores the source's latest restorable time into the drill instance: single-AZ, the source's database subnets,
 * the drill security group (reachable only from the ops functions), no deletion protection, tagged as a drill.
 * A retry after a lost response finds its own instance (same execution tag) and carries on.
 */
export async function startRestore(rds: RDSClient, config: DrillConfig, plan: DrillPlan, now: Date): Promise<RestoreProgress> {
  assertDrillInstance(config, plan.instanceId);
  let restoreTime: Date | undefined;
  try {
    const { DBInstance: created } = await rds.send(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceIdentifier: plan.sourceInstanceId,
        TargetDBInstanceIdentifier: plan.instanceId,
        UseLatestRestorableTime: true,
        DBInstanceClass: plan.instanceClass,
        MultiAZ: false,
        DBSubnetGroupName: plan.subnetGroupName,
        VpcSecurityGroupIds: [config.drillSecurityGroupId],
        DBParameterGroupName: plan.parameterGroupName,
        PubliclyAccessible: false,
        DeletionProtection: false,
        AutoMinorVersionUpgrade: false,
        CopyTagsToSnapshot: false,
        Tags: [
          { Key: DRILL_TAG.purpose, Value: DRILL_PURPOSE },
          { Key: DRILL_TAG.execution, Value: plan.executionName },
          { Key: DRILL_TAG.environment, Value: config.environment },
        ],
      }),
    );
    restoreTime = created?.LatestRestorableTime;
  } catch (error) {
    if (!(error instanceof DBInstanceAlreadyExistsFault)) {
      const classified = classifyAwsError(error, `restoring ${plan.sourceInstanceId} into ${plan.instanceId}`);
      if (classified.name === 'TransientError') throw classified;
      throw new DrillError('RestoreFailed', `RDS refused the restore of ${plan.sourceInstanceId} into ${plan.instanceId}: ${classified.name}: ${classified.message}`, { cause: error });
    }
    const existing = await describe(rds, plan.instanceId);
    if (!existing || tagValue(existing, DRILL_TAG.execution) !== plan.executionName) {
      throw new DrillError('RestoreFailed', `${plan.instanceId} already exists and belongs to another drill; this drill created nothing.`, { cause: error });
    }
  }
  return {
    ...nextPoll(undefined, config, config.restoreWaitCapMinutes, 'creating', now),
    available: false,
    latestRestorableTime: restoreTime?.toISOString(),
  };
}

const RESTORE_FAILED_STATES = new Set(['failed', 'incompatible-restore', 'incompatible-parameters', 'incompatible-network', 'storage-full', 'inaccessible-encryption-credentials', 'restore-error']);

/** One poll of the restored instance: available (with its endpoint), still restoring (wait longer), or failed. */
export async function checkRestore(rds: RDSClient, config: DrillConfig, plan: DrillPlan, previous: RestoreProgress, now: Date): Promise<RestoreProgress> {
  const instance = await describe(rds, plan.instanceId);
  const status = instance?.DBInstanceStatus ?? 'not-found';
  if (!instance || RESTORE_FAILED_STATES.has(status)) {
    throw new DrillError('RestoreFailed', `The restored instance ${plan.instanceId} is ${status} after ${previous.waitedSeconds + previous.nextWaitSeconds} s.`);
  }
  const poll = nextPoll(previous, config, config.restoreWaitCapMinutes, status, now);
  const available = status === 'available' && instance.Endpoint?.Address !== undefined;
  return {
    ...poll,
    available,
    latestRestorableTime: previous.latestRestorableTime,
    availableAt: available ? now.toISOString() : undefined,
    endpoint: instance.Endpoint?.Address,
    port: instance.Endpoint?.Port,
    capReached: !available && poll.capReached,
  };
}

/** Instance states in which RDS answers DeleteDBInstance with InvalidDBInstanceState until they end. */
const NOT_YET_DELETABLE = new Set(['creating', 'modifying', 'backing-up', 'rebooting', 'renaming', 'upgrading', 'starting', 'stopping']);

/** The state machine retries this for about 45 minutes (the instance finishing its restore), then reports an orphan. */
function notDeletableYet(instanceId: string, status: string, cause?: unknown): DrillError {
  return new DrillError('InstanceNotDeletableYet', `RDS refuses to delete ${instanceId} while it is ${status} (InvalidDBInstanceState); the cleanup asks again for up to 45 minutes before it reports the instance. Once it is available, RDS accepts the deletion.`, { cause });
}

async function requestDeletion(rds: RDSClient, instanceId: string): Promise<void> {
  await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: instanceId, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }));
}

/**
 * Deletes the drill instance (no final snapshot, no retained automated backups), whatever state the drill
 * reached: absent is fine, already deleting is fine. It deletes only an instance tagged as a drill of this very
 * execution: another drill's instance of the same name is left alone and reported.
 */
export async function deleteDrillInstance(rds: RDSClient, config: DrillConfig, instanceId: string, executionName: string, now: Date): Promise<DeletionProgress> {
  assertDrillInstance(config, instanceId);
  const instance = await describe(rds, instanceId);
  const base = nextPoll(undefined, config, config.deleteWaitCapMinutes, instance?.DBInstanceStatus ?? 'not-found', now);
  if (!instance) return { ...base, existed: false, gone: true, goneAt: now.toISOString(), capReached: false };
  if (tagValue(instance, DRILL_TAG.purpose) !== DRILL_PURPOSE) {
    throw new DrillError('CleanupFailed', `${instanceId} does not carry the ${DRILL_TAG.purpose}=${DRILL_PURPOSE} tag; not deleting it.`);
  }
  const owner = tagValue(instance, DRILL_TAG.execution);
  if (owner !== executionName) {
    return { ...base, existed: false, gone: true, otherExecution: owner ?? 'unknown', capReached: false };
  }
  const status = instance.DBInstanceStatus ?? 'unknown';
  if (status !== 'deleting') {
    // RDS refuses to delete an instance still being created (or modified, backed up): asking would only be refused.
    if (NOT_YET_DELETABLE.has(status)) throw notDeletableYet(instanceId, status);
    try {
      await requestDeletion(rds, instanceId);
    } catch (error) {
      if (error instanceof DBInstanceNotFoundFault) return { ...base, existed: true, gone: true, goneAt: now.toISOString(), capReached: false };
      if (error instanceof InvalidDBInstanceStateFault) throw notDeletableYet(instanceId, status, error);
      throw classifyAwsError(error, `deleting ${instanceId}`);
    }
  }
  return { ...base, status: 'deleting', existed: true, gone: false };
}

/** One poll of the deletion: gone when RDS no longer knows the instance. */
export async function confirmDeletion(rds: RDSClient, config: DrillConfig, instanceId: string, previous: DeletionProgress, now: Date): Promise<DeletionProgress> {
  const instance = await describe(rds, instanceId);
  const poll = nextPoll(previous, config, config.deleteWaitCapMinutes, instance?.DBInstanceStatus ?? 'deleted', now);
  if (!instance) return { ...poll, existed: previous.existed, gone: true, goneAt: now.toISOString(), capReached: false };
  return { ...poll, existed: previous.existed, gone: false };
}

/** The command an operator runs when the drill could not delete its instance. */
export function manualDeleteCommand(instanceId: string, region: string): string {
  return `aws rds delete-db-instance --db-instance-identifier ${instanceId} --skip-final-snapshot --delete-automated-backups --region ${region}`;
}
