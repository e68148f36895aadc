import type { DBInstance } from '@aws-sdk/client-rds';
import type { DrillMeasurement, DrillReport, DrillTimelineEntry } from '../lib/drill-report.js';
import { causeMessage } from '../lib/caught-error.js';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import type { ApplicationProgress, CacheProgress, DatabaseProgress, DrillPlan } from './drill.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import { type DrillEndState, drillLockLine } from '../lib/drill-lock.js';


/** The state machine's data when the drill ends, whichever path it took. */
export interface DrillState extends DrillEndState {
  readonly plan?: DrillPlan;
  readonly database?: DatabaseProgress;
  readonly cache?: CacheProgress;
  readonly application?: ApplicationProgress;
  readonly approvedBy?: string;
}

export interface ReportSettings {
  readonly environment: EnvironmentName;
  readonly region: string;
  readonly databaseInstanceId: string;
  readonly replicationGroupId: string;
  readonly consecutiveSuccesses: number;
  readonly targets: { readonly databaseFailoverSeconds: number; readonly cacheFailoverSeconds: number; readonly applicationHealthySeconds: number };
  /** Where the drill lock lives (the remediation guardrails table). */
  readonly lockTableName: string;
}

/** Where things are now (fresh from AWS when it answered). */
export interface Snapshot {
  readonly database?: Pick<DBInstance, 'DBInstanceStatus' | 'AvailabilityZone'>;
  readonly cache?: { readonly status?: string; readonly primary?: string };
}


/** The phase the drill was in when it ended early: the first one not confirmed. */
function phaseOf(state: DrillState): string {
  if (!state.plan) return 'the preconditions';
  if (!state.database?.failedOver) return 'the database failover';
  if (!state.cache?.failedOver) return 'the cache failover';
  return 'the application health check';
}

const round = (value: number) => Math.round(value * 10) / 10;

function measurements(state: DrillState, settings: ReportSettings): DrillMeasurement[] {
  const { targets } = settings;
  const found: DrillMeasurement[] = [];
  const phase = (name: string, progress: DatabaseProgress | CacheProgress | undefined, target: number) => {
    if (!progress) return;
    const value = progress.failoverSeconds ?? progress.elapsedSeconds;
    found.push({ name, value, unit: 's', target, passed: progress.failedOver && value <= target });
  };
  phase('Database failover', state.database, targets.databaseFailoverSeconds);
  phase('Cache failover', state.cache, targets.cacheFailoverSeconds);
  const application = state.application;
  if (application && state.database) {
    const end = application.healthyAt ?? application.lastProbeAt;
    const value = round((Date.parse(end) - Date.parse(state.database.requestedAt)) / 1000);
    found.push({ name: 'Time to healthy application', value, unit: 's', target: targets.applicationHealthySeconds, passed: application.healthy && value <= targets.applicationHealthySeconds });
  }
  return found;
}

/** What AWS says now about a resource the drill may have changed, compared with the plan's reading before the drill. */
type Touched = 'changed' | 'unchanged' | 'unknown';

/** Read back, never assumed: a step may have done its work and then failed or timed out before it said so. */
function touched(state: DrillState, snapshot: Snapshot): { database: Touched; cache: Touched } {
  const plan = state.plan;
  // Nothing acts before every precondition passed.
  if (!plan?.passed) return { database: 'unchanged', cache: 'unchanged' };
  const database: Touched = snapshot.database
    ? snapshot.database.AvailabilityZone !== plan.database.zone || snapshot.database.DBInstanceStatus === 'rebooting'
      ? 'changed'
      : 'unchanged'
    : 'unknown';
  const cache: Touched = snapshot.cache ? (snapshot.cache.primary !== plan.cache.primary || snapshot.cache.status === 'modifying' ? 'changed' : 'unchanged') : 'unknown';
  return { database: state.database ? 'changed' : database, cache: state.cache ? 'changed' : cache };
}

function currentStateLines(state: DrillState, settings: ReportSettings, snapshot: Snapshot): string[] {
  const plan = state.plan;
  const found = touched(state, snapshot);
  const lines: string[] = [];
  if (state.database) {
    const database = snapshot.database ?? { DBInstanceStatus: state.database.status, AvailabilityZone: state.database.zone };
    lines.push(
      `Database ${settings.databaseInstanceId}: ${database.DBInstanceStatus ?? 'unknown'} in ${database.AvailabilityZone ?? 'unknown zone'} (was ${state.database.fromZone ?? 'unknown'}; ${state.database.failedOver ? 'failed over' : 'failover NOT confirmed'}).`,
    );
  } else if (found.database === 'changed') {
    lines.push(
      `Database ${settings.databaseInstanceId}: ${snapshot.database?.DBInstanceStatus ?? 'unknown'} in ${snapshot.database?.AvailabilityZone ?? 'unknown zone'} (was ${plan?.database.zone ?? 'unknown'}): it WAS failed over or is rebooting (read back), although the drill's step did not confirm it.`,
    );
  } else if (found.database === 'unknown') {
    lines.push(`Database ${settings.databaseInstanceId}: could NOT be read back (primary was in ${plan?.database.zone ?? 'unknown zone'} before the drill): check it now.`);
  } else {
    lines.push(`Database ${settings.databaseInstanceId}: not touched, primary in ${snapshot.database?.AvailabilityZone ?? plan?.database.zone ?? 'unknown zone'}${snapshot.database ? ' (read back)' : ''}.`);
  }
  if (state.cache) {
    const cache = snapshot.cache ?? { status: state.cache.status, primary: state.cache.primary };
    lines.push(
      `Cache ${settings.replicationGroupId}: ${cache.status ?? 'unknown'}, primary ${cache.primary ?? 'unknown'} (was ${state.cache.fromPrimary ?? 'unknown'}; ${state.cache.failedOver ? 'failed over' : 'failover NOT confirmed'}).`,
    );
  } else if (found.cache === 'changed') {
    lines.push(
      `Cache ${settings.replicationGroupId}: ${snapshot.cache?.status ?? 'unknown'}, primary ${snapshot.cache?.primary ?? 'unknown'} (was ${plan?.cache.primary ?? 'unknown'}): it WAS failed over or is failing over (read back), although the drill's step did not confirm it.`,
    );
  } else if (found.cache === 'unknown') {
    lines.push(`Cache ${settings.replicationGroupId}: could NOT be read back (primary was ${plan?.cache.primary ?? 'unknown'} before the drill): check it now.`);
  } else {
    lines.push(`Cache ${settings.replicationGroupId}: not touched (primary ${snapshot.cache?.primary ?? plan?.cache.primary ?? 'unknown'}${snapshot.cache ? ', read back' : ''}).`);
  }
  if (!state.database && found.database !== 'changed' && found.cache !== 'changed') return lines;
  const application = state.application;
  lines.push(
    application
      ? application.healthy
        ? `Application: healthy (${settings.consecutiveSuccesses} successes in a row from ${application.url}).`
        : `Application: NOT confirmed healthy (${application.consecutiveSuccesses} of ${settings.consecutiveSuccesses} successes in a row, last ${application.lastStatus ?? application.lastError ?? 'no answer'}).`
      : 'Application: not probed yet.',
  );
  return lines;
}

function timeline(state: DrillState, startedAt: string, finishedAt: string, ending: string | undefined): DrillTimelineEntry[] {
  const { plan, database, cache, application } = state;
  const entries: (DrillTimelineEntry | false | '' | undefined)[] = [
    { at: startedAt, step: 'Drill started', detail: plan?.requestedBy ?? state.requestedBy ? `requested by ${plan?.requestedBy ?? state.requestedBy}` : 'scheduled' },
    plan && { at: plan.checkedAt, step: 'Preconditions checked', detail: plan.checks.map((c) => `${c.name}: ${c.passed ? 'ok' : 'FAILED'}`).join('; ') },
    database && { at: database.requestedAt, step: 'Database failover requested', detail: `reboot with failover from ${database.fromZone ?? 'unknown zone'}` },
    database?.completedAt && { at: database.completedAt, step: 'Database failed over', detail: `available in ${database.zone} after ${database.failoverSeconds} s (${database.checks} checks)` },
    cache && { at: cache.requestedAt, step: 'Cache failover requested', detail: `test failover, primary was ${cache.fromPrimary ?? 'unknown'}` },
    cache?.completedAt && { at: cache.completedAt, step: 'Cache failed over', detail: `new primary ${cache.primary} after ${cache.failoverSeconds} s (${cache.checks} checks)` },
    application?.healthyAt && { at: application.healthyAt, step: 'Application healthy', detail: `${application.successes} of ${application.attempts} probes succeeded` },
    ending !== undefined && { at: finishedAt, step: 'Drill ended early', detail: ending },
    { at: finishedAt, step: 'Report written', detail: '' },
  ];
  return entries.filter((entry): entry is DrillTimelineEntry => Boolean(entry));
}

/** The drill lock as the release step left it. */
const lockLine = (state: DrillState, settings: ReportSettings) =>
  drillLockLine(state.lockRelease, state.lockReleaseFailure, { tableName: settings.lockTableName, region: settings.region, expiresAt: state.plan?.lockExpiresAt });

/** Turns the drill's end state into its report: verdict, figures against targets, where things stand. */
export function buildReport(
  state: DrillState,
  settings: ReportSettings,
  execution: { name: string; arn?: string; startedAt: string },
  snapshot: Snapshot,
  finishedAt: Date,
): DrillReport {
  const finished = finishedAt.toISOString();
  const found = touched(state, snapshot);
  const acted = found.database !== 'unchanged' || found.cache !== 'unchanged';
  const stop = state.database?.stopReason ?? state.cache?.stopReason ?? state.application?.stopReason;
  const failure = causeMessage(state.failure);
  const figures = measurements(state, settings);
  const missed = figures.filter((m) => m.passed === false);
  const lock = lockLine(state, settings);
  const currentState = [...currentStateLines(state, settings, snapshot), lock];
  const phase = phaseOf(state);

  let outcome: DrillReport['outcome'];
  let severity: DrillReport['severity'];
  let summary: string;
  let ending: string | undefined;
  if (state.plan && !state.plan.passed) {
    outcome = 'skipped';
    severity = 'warning';
    summary = `Failover drill not started: ${state.plan.checks.filter((c) => !c.passed).map((c) => `${c.name} (${c.detail})`).join('; ')}. Nothing was changed.`;
  } else if (stop) {
    outcome = 'failed';
    severity = 'critical';
    ending = `stopped during ${phase}: ${stop}`;
    summary = `Failover drill STOPPED during ${phase}: ${stop}. On-call: check the application now. ${currentState.join(' ')}`;
  } else if (failure) {
    outcome = 'failed';
    severity = acted ? 'critical' : 'warning';
    ending = `failed during ${phase}: ${failure}`;
    summary = acted
      ? `Failover drill FAILED during ${phase}: ${failure}. On-call: check the application now. ${currentState.join(' ')}`
      : `Failover drill could not start: ${failure}. Nothing was changed${state.plan ? ' (read back from RDS and ElastiCache)' : ''}.`;
  } else if (missed.length > 0) {
    outcome = 'failed';
    severity = 'warning';
    summary = `Failover drill completed but missed targets: ${missed.map((m) => `${m.name} ${m.value} ${m.unit} (target ${m.target} ${m.unit})`).join('; ')}. The application is healthy.`;
  } else {
    outcome = 'succeeded';
    severity = 'info';
    summary = `Failover drill passed: ${figures.map((m) => `${m.name.toLowerCase()} ${m.value} ${m.unit} (target ${m.target})`).join(', ')}.`;
  }
  // A lock left held stops the next drill: on-call reads it in the summary, whatever the outcome.
  if (!state.lockRelease && !summary.includes(lock)) summary = `${summary} ${lock}`;

  return {
    workflow: 'failover-drill',
    title: 'Failover drill',
    environment: settings.environment,
    executionName: execution.name,
    executionArn: execution.arn,
    startedAt: execution.startedAt,
    finishedAt: finished,
    outcome,
    severity,
    summary,
    requestedBy: state.plan?.requestedBy ?? state.requestedBy,
    approvedBy: state.plan?.approvedBy ?? state.approvedBy,
    checks: state.plan?.checks ?? [],
    measurements: figures,
    timeline: timeline(state, execution.startedAt, finished, ending),
    currentState,
    // The drill moves primaries and creates nothing; a failover is not rolled back (how to move them back is in the result).
    cleanedUp: [
      !acted
        ? 'Nothing to clean up: the drill creates no resources and changed nothing.'
        : found.database === 'unknown' || found.cache === 'unknown'
          ? 'Nothing to clean up: the drill creates no resources. What it changed could not all be read back: see where things stand.'
          : 'Nothing to clean up: the drill creates no resources. The failover itself stays in place (see where things stand).',
    ],
  };
}

/** The OpsResult of a drill report: what happened, what was done, how to undo it. */
export function opsResultOf(report: DrillReport, state: DrillState, settings: ReportSettings, reportUrl: string, snapshot: Snapshot = {}): OpsResultInput {
  const { database, cache, application } = state;
  const found = touched(state, snapshot);
  const actionsTaken = [
    ...(state.plan ? [`Checked ${state.plan.checks.length} preconditions`] : []),
    ...(database
      ? [`Rebooted ${settings.databaseInstanceId} with failover (from ${database.fromZone ?? 'unknown zone'}${database.failedOver ? ` to ${database.zone}` : ''})`]
      : found.database === 'changed'
        ? [`Requested the failover of ${settings.databaseInstanceId}: read back ${snapshot.database?.DBInstanceStatus ?? 'unknown'} in ${snapshot.database?.AvailabilityZone ?? 'unknown zone'} (was ${state.plan?.database.zone ?? 'unknown'})`]
        : []),
    ...(cache
      ? [`Tested failover of ${settings.replicationGroupId} (primary ${cache.fromPrimary ?? 'unknown'}${cache.failedOver ? ` -> ${cache.primary}` : ''})`]
      : found.cache === 'changed'
        ? [`Requested the test failover of ${settings.replicationGroupId}: read back primary ${snapshot.cache?.primary ?? 'unknown'} (was ${state.plan?.cache.primary ?? 'unknown'})`]
        : []),
    ...(application ? [`Probed ${application.url} ${application.attempts} times`] : []),
    lockLine(state, settings),
    `Wrote the report to ${reportUrl}`,
  ];
  const nodeGroup = state.plan?.cache.nodeGroupId ?? '0001';
  const howToUndo =
    found.database !== 'unchanged' || found.cache !== 'unchanged'
      ? `A failover is not rolled back: both stay Multi-AZ with a standby. To move the primaries back, run the drill again or by hand: aws rds reboot-db-instance --region ${settings.region} --db-instance-identifier ${settings.databaseInstanceId} --force-failover; aws elasticache test-failover --region ${settings.region} --replication-group-id ${settings.replicationGroupId} --node-group-id ${nodeGroup}. Runbook: docs/runbooks/failover-drill.md`
      : 'Nothing to undo: the drill changed nothing. Runbook: docs/runbooks/failover-drill.md';
  return {
    kind: 'OpsResult',
    workflow: 'failover-drill',
    environment: report.environment,
    outcome: report.outcome,
    severity: report.severity,
    summary: report.summary,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    durationSeconds: Math.max(0, Math.round((Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000)),
    measurements: [...report.measurements],
    actionsTaken,
    howToUndo: state.lockRelease ? howToUndo : `${howToUndo} ${lockLine(state, settings)}`,
    reportUrl,
    executionArn: report.executionArn,
    requestedBy: report.requestedBy,
  };
}
