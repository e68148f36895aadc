import { type CloudWatchClient, DescribeAlarmsCommand, StateValue } from '@aws-sdk/client-cloudwatch';
import {
  DescribeReplicationGroupsCommand,
  type ElastiCacheClient,
  InvalidReplicationGroupStateFault,
  type ReplicationGroup,
  ReplicationGroupNotFoundFault,
  TestFailoverCommand,
} from '@aws-sdk/client-elasticache';
import { type DBInstance, DBInstanceNotFoundFault, DescribeDBInstancesCommand, InvalidDBInstanceStateFault, type RDSClient, RebootDBInstanceCommand } from '@aws-sdk/client-rds';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DrillCheck } from '../lib/drill-report.js';
import { type ProbeFetch, type ProbeProgress, probeHealth } from '../lib/health-probe.js';
import { awsCall } from '../lib/transient-error.js';
import { type DrillLockSettings, acquireDrillLock } from '../lib/drill-lock.js';
import type { EnvironmentName } from '../../contracts/environments.js';

/**
 * The failover drill's steps: preconditions, the database's Multi-AZ failover, the cache's test failover, the
 * application's health, each wait bounded and each poll also checking the stop conditions.
 */

export interface FailoverDrillSettings {
  readonly environment: EnvironmentName;
  readonly databaseInstanceId: string;
  readonly replicationGroupId: string;
  /** Every alarm of the environment starts with this (`financehub-staging-`). */
  readonly alarmPrefix: string;
  /** The error-rate alarms whose ALARM state, held too long, stops the drill. */
  readonly errorRateAlarms: readonly string[];
  readonly errorRateAlarmMaxMinutes: number;
  /** The environment's drill lock: no other drill (restore, DR simulation) runs while this one does. */
  readonly lock: DrillLockSettings;
  /** `ddd:hh24:mi-ddd:hh24:mi`, UTC. */
  readonly maintenanceWindow: string;
  /** The longest the drill can run: it must end before the maintenance window starts. */
  readonly drillMaxMinutes: number;
  readonly databaseWaitCapMinutes: number;
  readonly cacheWaitCapMinutes: number;
  readonly probe: { readonly url: string; readonly consecutiveSuccesses: number; readonly timeoutSeconds: number; readonly waitCapMinutes: number };
}

export interface DrillClients {
  readonly rds: RDSClient;
  readonly elasticache: ElastiCacheClient;
  readonly cloudwatch: CloudWatchClient;
  readonly dynamodb: DynamoDBClient;
  readonly fetch: ProbeFetch;
  readonly now: () => Date;
}

export interface DrillOptions {
  readonly environment?: EnvironmentName;
  readonly requestedBy?: string;
  readonly approvedBy?: string;
}

export interface DrillPlan {
  readonly checkedAt: string;
  readonly passed: boolean;
  readonly checks: DrillCheck[];
  readonly requestedBy?: string;
  readonly approvedBy?: string;
  /** When the drill lock this execution took expires; absent when another drill holds it. */
  readonly lockExpiresAt?: string;
  readonly database: { readonly instanceId: string; readonly zone?: string; readonly standbyZone?: string };
  readonly cache: { readonly replicationGroupId: string; readonly nodeGroupId?: string; readonly primary?: string; readonly replicas: string[] };
}

interface Phase {
  readonly requestedAt: string;
  readonly status: string;
  readonly failedOver: boolean;
  readonly checks: number;
  readonly elapsedSeconds: number;
  /** Seconds from the request to the failover confirmed. */
  readonly failoverSeconds?: number;
  readonly completedAt?: string;
  /** Set when the drill must stop here (a wait cap, an error-rate alarm held too long). */
  readonly stopReason?: string;
}

export interface DatabaseProgress extends Phase {
  readonly fromZone?: string;
  readonly zone?: string;
}

export interface CacheProgress extends Phase {
  readonly fromPrimary?: string;
  readonly primary?: string;
}

export interface ApplicationProgress extends ProbeProgress {
  readonly stopReason?: string;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const WEEK_MINUTES = 7 * 24 * 60;

function minuteOfWeek(point: string): number {
  const [day = '', hours = '', minutes = ''] = point.trim().toLowerCase().split(':');
  const index = DAYS.indexOf(day);
  if (index < 0 || !/^\d\d$/.test(hours) || !/^\d\d$/.test(minutes)) throw new Error(`Not a maintenance window point: "${point}" (expected ddd:hh24:mi)`);
  return index * 1440 + Number(hours) * 60 + Number(minutes);
}

/** Whether `now` is inside the weekly window, or so close before it that a drill of `marginMinutes` would run into it. */
export function maintenanceWindowConflict(window: string, now: Date, marginMinutes: number): { conflict: boolean; inside: boolean; minutesUntilStart: number } {
  const [startText = '', endText = ''] = window.split('-');
  const start = minuteOfWeek(startText);
  const end = minuteOfWeek(endText);
  const current = now.getUTCDay() * 1440 + now.getUTCHours() * 60 + now.getUTCMinutes();
  const length = (end - start + WEEK_MINUTES) % WEEK_MINUTES;
  const inside = (current - start + WEEK_MINUTES) % WEEK_MINUTES < length;
  const minutesUntilStart = (start - current + WEEK_MINUTES) % WEEK_MINUTES;
  return { conflict: inside || minutesUntilStart < marginMinutes, inside, minutesUntilStart };
}

const seconds = (fromIso: string, to: Date) => Math.max(0, Math.round((to.getTime() - Date.parse(fromIso)) / 1000));

/** The instance, or undefined when RDS does not know it (a precondition to report, not an error). */
async function describeDatabase(clients: DrillClients, id: string): Promise<DBInstance | undefined> {
  try {
    const { DBInstances = [] } = await awsCall(`describing ${id}`, () => clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })));
    return DBInstances[0];
  } catch (error) {
    if (error instanceof DBInstanceNotFoundFault) return undefined;
    throw error;
  }
}

/** The replication group, or undefined when ElastiCache does not know it. */
async function describeCache(clients: DrillClients, id: string): Promise<ReplicationGroup | undefined> {
  try {
    const { ReplicationGroups = [] } = await awsCall(`describing ${id}`, () => clients.elasticache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id })));
    return ReplicationGroups[0];
  } catch (error) {
    if (error instanceof ReplicationGroupNotFoundFault) return undefined;
    throw error;
  }
}

function cacheRoles(group: ReplicationGroup | undefined, nodeGroupId?: string): { nodeGroupId?: string; primary?: string; replicas: string[]; available: boolean } {
  const nodeGroup = (group?.NodeGroups ?? []).find((candidate) => !nodeGroupId || candidate.NodeGroupId === nodeGroupId);
  const members = nodeGroup?.NodeGroupMembers ?? [];
  return {
    nodeGroupId: nodeGroup?.NodeGroupId,
    primary: members.find((member) => member.CurrentRole === 'primary')?.CacheClusterId,
    replicas: members.filter((member) => member.CurrentRole === 'replica').map((member) => member.CacheClusterId ?? ''),
    available: group?.Status === 'available' && (nodeGroup?.Status ?? 'available') === 'available',
  };
}

/** The stop condition shared by every wait: an error-rate alarm in ALARM for longer than allowed. */
export async function errorRateStop(clients: DrillClients, settings: FailoverDrillSettings): Promise<string | undefined> {
  const { MetricAlarms = [] } = await awsCall('reading the error-rate alarms', () =>
    clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [...settings.errorRateAlarms], StateValue: StateValue.ALARM })),
  );
  const now = clients.now();
  const heldTooLong = MetricAlarms.filter((alarm) => alarm.StateUpdatedTimestamp && now.getTime() - alarm.StateUpdatedTimestamp.getTime() > settings.errorRateAlarmMaxMinutes * 60_000);
  if (heldTooLong.length === 0) return undefined;
  const names = heldTooLong.map((alarm) => `${alarm.AlarmName} (in ALARM for ${Math.round((now.getTime() - (alarm.StateUpdatedTimestamp?.getTime() ?? 0)) / 60_000)} min)`);
  return `error rate too high for too long: ${names.join(', ')}; limit ${settings.errorRateAlarmMaxMinutes} min`;
}

/** Every precondition, each reported; the drill acts only when all pass. */
export async function checkPreconditions(
  clients: DrillClients,
  settings: FailoverDrillSettings,
  options: DrillOptions,
  execution: { readonly arn: string; readonly startedAt: Date },
): Promise<DrillPlan> {
  const checks: DrillCheck[] = [];
  const check = (name: string, passed: boolean, detail: string) => checks.push({ name, passed, detail });

  if (options.environment && options.environment !== settings.environment) {
    check('Environment', false, `asked for ${options.environment}, but this is the ${settings.environment} drill`);
  }
  if (settings.environment === 'production') {
    const approver = options.approvedBy?.trim();
    const second = approver && approver !== options.requestedBy?.trim();
    check('Approval', Boolean(second), second ? `approved by ${approver}` : approver ? 'approvedBy must be a second person, not the requester' : 'production needs approvedBy in the input');
  } else {
    check('Approval', true, 'not needed in staging');
  }

  const database = await describeDatabase(clients, settings.databaseInstanceId);
  const databaseReady = database?.MultiAZ === true && database.DBInstanceStatus === 'available';
  check(
    'Database Multi-AZ and available',
    databaseReady,
    database
      ? `${settings.databaseInstanceId}: ${database.DBInstanceStatus}, ${database.MultiAZ ? `Multi-AZ (primary ${database.AvailabilityZone}, standby ${database.SecondaryAvailabilityZone ?? 'unknown'})` : 'single-AZ'}`
      : `${settings.databaseInstanceId} not found`,
  );

  const group = await describeCache(clients, settings.replicationGroupId);
  const roles = cacheRoles(group);
  const cacheReady = group?.AutomaticFailover === 'enabled' && roles.replicas.length > 0 && roles.primary !== undefined && roles.available;
  check(
    'Cache automatic failover with a replica',
    cacheReady,
    group
      ? `${settings.replicationGroupId}: ${group.Status}, automatic failover ${group.AutomaticFailover}, primary ${roles.primary ?? 'none'}, replicas ${roles.replicas.join(', ') || 'none'}`
      : `${settings.replicationGroupId} not found`,
  );

  const { MetricAlarms = [] } = await awsCall('listing alarms in ALARM', () =>
    clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: settings.alarmPrefix, StateValue: StateValue.ALARM })),
  );
  const alarming = MetricAlarms.map((alarm) => alarm.AlarmName ?? '');
  check('No alarm in ALARM', alarming.length === 0, alarming.length === 0 ? `no ${settings.alarmPrefix}* alarm in ALARM` : `in ALARM: ${alarming.join(', ')}`);

  // A conditional write, not a list of running executions: of two drills started together exactly one gets it.
  const lock = await acquireDrillLock(clients.dynamodb, settings.lock, { owner: execution.arn, drill: 'failover-drill', startedAt: execution.startedAt }, clients.now());
  check('No other drill running', lock.acquired, lock.acquired ? `this drill holds the drill lock until ${lock.expiresAt}` : lock.detail);

  const window = maintenanceWindowConflict(settings.maintenanceWindow, clients.now(), settings.drillMaxMinutes);
  check(
    'Outside the maintenance window',
    !window.conflict,
    window.inside
      ? `inside the maintenance window ${settings.maintenanceWindow}`
      : window.conflict
        ? `the maintenance window ${settings.maintenanceWindow} starts in ${window.minutesUntilStart} min, before the drill could end (${settings.drillMaxMinutes} min)`
        : `the maintenance window ${settings.maintenanceWindow} starts in ${Math.round(window.minutesUntilStart / 60)} h`,
  );

  return {
    checkedAt: clients.now().toISOString(),
    passed: checks.every((c) => c.passed),
    checks,
    requestedBy: options.requestedBy,
    approvedBy: options.approvedBy,
    lockExpiresAt: lock.acquired ? lock.expiresAt : undefined,
    database: { instanceId: settings.databaseInstanceId, zone: database?.AvailabilityZone, standbyZone: database?.SecondaryAvailabilityZone },
    cache: { replicationGroupId: settings.replicationGroupId, nodeGroupId: roles.nodeGroupId, primary: roles.primary, replicas: roles.replicas },
  };
}

/**
 * Reboots the primary with failover to the standby. It reads first: a retry after a request that went through (its
 * answer lost, or the function timed out) finds the database rebooting or already in the other zone and does not fail
 * it over a second time.
 */
export async function failOverDatabase(clients: DrillClients, plan: DrillPlan): Promise<DatabaseProgress> {
  const id = plan.database.instanceId;
  const before = await describeDatabase(clients, id);
  const requestedAt = clients.now().toISOString();
  const progress = (status: string, zone: string | undefined): DatabaseProgress => ({ requestedAt, fromZone: plan.database.zone, status, zone, failedOver: false, checks: 0, elapsedSeconds: 0 });
  if (before && (before.DBInstanceStatus === 'rebooting' || (plan.database.zone !== undefined && before.AvailabilityZone !== undefined && before.AvailabilityZone !== plan.database.zone))) {
    return progress(before.DBInstanceStatus ?? 'rebooting', before.AvailabilityZone);
  }
  try {
    const { DBInstance } = await awsCall(`rebooting ${id} with failover`, () => clients.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: id, ForceFailover: true })));
    return progress(DBInstance?.DBInstanceStatus ?? 'rebooting', plan.database.zone);
  } catch (error) {
    if (!(error instanceof InvalidDBInstanceStateFault)) throw error;
    const current = await describeDatabase(clients, id);
    if (current?.DBInstanceStatus !== 'rebooting') throw error;
    return progress('rebooting', current.AvailabilityZone);
  }
}

/** Available again in another zone means failed over; the wait cap and the error-rate alarms stop the drill. */
export async function checkDatabase(clients: DrillClients, settings: FailoverDrillSettings, plan: DrillPlan, previous: DatabaseProgress): Promise<DatabaseProgress> {
  const instance = await describeDatabase(clients, plan.database.instanceId);
  const now = clients.now();
  const elapsedSeconds = seconds(previous.requestedAt, now);
  const status = instance?.DBInstanceStatus ?? 'not found';
  const zone = instance?.AvailabilityZone;
  const failedOver = status === 'available' && zone !== undefined && zone !== previous.fromZone;
  const progress = { ...previous, status, zone, checks: previous.checks + 1, elapsedSeconds, failedOver };
  if (failedOver) return { ...progress, failoverSeconds: elapsedSeconds, completedAt: now.toISOString() };
  const stopReason =
    (await errorRateStop(clients, settings)) ??
    (elapsedSeconds >= settings.databaseWaitCapMinutes * 60
      ? `the database was not available in another zone within ${settings.databaseWaitCapMinutes} min (${status} in ${zone ?? 'unknown zone'})`
      : undefined);
  return { ...progress, stopReason };
}

/**
 * Tests the failover of the cache's node group. It reads first: a retry after a request that went through finds the
 * group modifying or with a new primary already and does not fail it over a second time.
 */
export async function failOverCache(clients: DrillClients, plan: DrillPlan): Promise<CacheProgress> {
  const { replicationGroupId, nodeGroupId } = plan.cache;
  if (!nodeGroupId) throw new Error(`${replicationGroupId} has no node group to fail over`);
  const before = await describeCache(clients, replicationGroupId);
  const requestedAt = clients.now().toISOString();
  const progress = (status: string, primary: string | undefined): CacheProgress => ({ requestedAt, fromPrimary: plan.cache.primary, status, primary, failedOver: false, checks: 0, elapsedSeconds: 0 });
  const roles = cacheRoles(before, nodeGroupId);
  if (before && (before.Status === 'modifying' || (roles.primary !== undefined && roles.primary !== plan.cache.primary))) {
    return progress(before.Status ?? 'modifying', roles.primary);
  }
  try {
    const { ReplicationGroup } = await awsCall(`testing failover of ${replicationGroupId}`, () =>
      clients.elasticache.send(new TestFailoverCommand({ ReplicationGroupId: replicationGroupId, NodeGroupId: nodeGroupId })),
    );
    return progress(ReplicationGroup?.Status ?? 'modifying', plan.cache.primary);
  } catch (error) {
    if (!(error instanceof InvalidReplicationGroupStateFault)) throw error;
    const current = await describeCache(clients, replicationGroupId);
    if (current?.Status !== 'modifying') throw error;
    return progress('modifying', cacheRoles(current, nodeGroupId).primary);
  }
}

/** Available with a different primary means failed over; the wait cap and the error-rate alarms stop the drill. */
export async function checkCache(clients: DrillClients, settings: FailoverDrillSettings, plan: DrillPlan, previous: CacheProgress): Promise<CacheProgress> {
  const group = await describeCache(clients, plan.cache.replicationGroupId);
  const roles = cacheRoles(group, plan.cache.nodeGroupId);
  const now = clients.now();
  const elapsedSeconds = seconds(previous.requestedAt, now);
  const status = group?.Status ?? 'not found';
  const failedOver = roles.available && roles.primary !== undefined && roles.primary !== previous.fromPrimary;
  const progress = { ...previous, status, primary: roles.primary, checks: previous.checks + 1, elapsedSeconds, failedOver };
  if (failedOver) return { ...progress, failoverSeconds: elapsedSeconds, completedAt: now.toISOString() };
  const stopReason =
    (await errorRateStop(clients, settings)) ??
    (elapsedSeconds >= settings.cacheWaitCapMinutes * 60
      ? `the cache had no new primary within ${settings.cacheWaitCapMinutes} min (${status}, primary ${roles.primary ?? 'none'})`
      : undefined);
  return { ...progress, stopReason };
}

/** One probe of the health endpoint; healthy after N successes in a row, stopped at the cap or on the error-rate alarms. */
export async function probeApplication(clients: DrillClients, settings: FailoverDrillSettings, previous: ApplicationProgress | undefined): Promise<ApplicationProgress> {
  const progress = await probeHealth(clients.fetch, settings.probe, previous, clients.now);
  if (progress.healthy) return progress;
  const stopReason =
    (await errorRateStop(clients, settings)) ??
    (progress.capReached
      ? `the application was not healthy within ${settings.probe.waitCapMinutes} min (${progress.consecutiveSuccesses} of ${settings.probe.consecutiveSuccesses} successes in a row)`
      : undefined);
  return { ...progress, stopReason };
}

/** Where the database and the cache are now, for the report; last known values when AWS cannot say. */
export async function currentState(clients: DrillClients, plan: DrillPlan): Promise<{ database?: DBInstance; cache?: ReturnType<typeof cacheRoles> & { status?: string } }> {
  const [database, cache] = await Promise.all([
    describeDatabase(clients, plan.database.instanceId).catch(() => undefined),
    describeCache(clients, plan.cache.replicationGroupId).catch(() => undefined),
  ]);
  return { database, cache: cache ? { ...cacheRoles(cache, plan.cache.nodeGroupId), status: cache.Status } : undefined };
}
