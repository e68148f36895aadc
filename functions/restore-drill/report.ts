import { type CaughtError, causeMessage } from '../lib/caught-error.js';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import type { DrillMeasurement, DrillReport as Evidence } from '../lib/drill-report.js';
import { type DeletionProgress, type DrillPlan, type RestoreProgress, manualDeleteCommand } from './drill.js';
import type { VerificationOutcome } from './verify.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import { type DrillEndState, drillLockLine } from '../lib/drill-lock.js';


/** The state machine's data when the drill ends, whichever path it took. */
export interface DrillState extends DrillEndState {
  readonly drill?: DrillPlan;
  readonly restored?: RestoreProgress;
  readonly verification?: VerificationOutcome & { readonly verifiedAt: string };
  readonly deletion?: DeletionProgress;
  readonly cleanupFailure?: CaughtError;
}

export interface ReportSettings {
  readonly environment: EnvironmentName;
  readonly region: string;
  readonly rtoMinutes: number;
  readonly rpoMinutes: number;
  /** How far apart the restored and the source row counts may be. */
  readonly rowCountTolerancePercent: number;
  readonly reportsBucket: string;
  /** Where the drill lock lives (the remediation guardrails table). */
  readonly lockTableName: string;
}

export interface TimelineEntry {
  readonly at: string;
  readonly step: string;
  readonly detail: string;
}

export interface DrillReport {
  readonly workflow: 'restore-drill';
  readonly environment: EnvironmentName;
  readonly executionName: string;
  readonly executionArn?: string;
  readonly drillInstance?: string;
  readonly sourceInstance?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly outcome: OpsResultInput['outcome'];
  readonly severity: OpsResultInput['severity'];
  readonly summary: string;
  readonly failedAt?: string;
  readonly failure?: string;
  readonly rtoMinutes?: number;
  readonly dataLossMinutes?: number;
  readonly targets: { readonly rtoMinutes: number; readonly rpoMinutes: number; readonly rowCountTolerancePercent: number };
  readonly verification?: VerificationOutcome;
  readonly orphan: boolean;
  readonly manualDeleteCommand?: string;
  /** What the drill created and what became of it. */
  readonly cleanedUp: string[];
  /** The drill lock, as its release left it. */
  readonly lock: string;
  readonly lockReleased: boolean;
  readonly timeline: TimelineEntry[];
}

const minutes = (fromIso: string, toIso: string) => Math.round(((Date.parse(toIso) - Date.parse(fromIso)) / 60_000) * 10) / 10;


/** The step the drill failed at: the first one whose result is missing. */
function failedStep(state: DrillState): string {
  if (!state.drill) return 'preconditions';
  if (!state.restored) return 'restore';
  if (!state.restored.available) return state.restored.capReached ? 'waiting for the restored instance (cap reached)' : 'waiting for the restored instance';
  if (!state.verification) return 'verification';
  return 'verification';
}

function timeline(state: DrillState, startedAt: string, finishedAt: string, failedAt: string | undefined, failure: string | undefined): TimelineEntry[] {
  const entries: (TimelineEntry | false | '' | undefined)[] = [
    { at: startedAt, step: 'Drill started', detail: state.requestedBy ? `requested by ${state.requestedBy}` : 'scheduled' },
    state.drill && { at: state.drill.checkedAt, step: 'Preconditions checked', detail: `no other drill running; ${state.drill.sourceInstanceId} available` },
    (state.restored ?? (state.deletion?.existed ? state.deletion : undefined)) && {
      at: state.restored?.requestedAt ?? state.deletion?.requestedAt ?? finishedAt,
      step: 'Restore requested',
      detail: `${state.drill?.sourceInstanceId} at its latest restorable time into ${state.drill?.instanceId} (${state.drill?.instanceClass}, single-AZ)${state.restored ? '' : '; its answer was lost, the cleanup found the instance'}`,
    },
    state.restored?.availableAt && {
      at: state.restored.availableAt,
      step: 'Restored instance available',
      detail: `after ${state.restored.attempts} status checks, ${Math.round((state.restored.waitedSeconds + 0) / 60)} min of waiting`,
    },
    state.verification && {
      at: state.verification.verifiedAt,
      step: 'Data verified',
      detail: state.verification.passed ? `${state.verification.tables.length} critical tables checked` : state.verification.problems.join('; '),
    },
    failedAt && failure && { at: finishedAt, step: `Failed at ${failedAt}`, detail: failure },
    state.deletion && { at: state.deletion.requestedAt, step: 'Deletion requested', detail: state.deletion.existed
        ? `${state.drill?.instanceId}, no final snapshot`
        : state.deletion.otherExecution
          ? `${state.drill?.instanceId} belongs to another drill (${state.deletion.otherExecution}): left alone`
          : 'no instance existed' },
    state.deletion?.goneAt && state.deletion.existed && { at: state.deletion.goneAt, step: 'Drill instance deleted', detail: `${state.drill?.instanceId} is gone` },
    state.cleanupFailure && { at: finishedAt, step: 'Cleanup failed', detail: causeMessage(state.cleanupFailure) ?? 'unknown' },
    { at: finishedAt, step: 'Report written', detail: '' },
  ];
  return entries.filter((entry): entry is TimelineEntry => Boolean(entry));
}

/** What became of what the drill created, as the cleanup read it back. */
function cleanupLines(state: DrillState, instanceId: string | undefined, created: boolean, orphan: boolean, region: string): string[] {
  const other = state.deletion?.otherExecution;
  if (!created) {
    return [
      other
        ? `Nothing of this drill's to clean up: ${instanceId} belongs to another drill (${other}) and was left alone.`
        : 'Nothing to clean up: the drill created no instance.',
    ];
  }
  if (orphan || !instanceId) {
    const why = state.cleanupFailure ? causeMessage(state.cleanupFailure) : `still ${state.deletion?.status ?? 'present'}`;
    return [`NOT cleaned up: ${instanceId ?? 'the drill instance'} still exists (${why}). Delete it by hand: ${instanceId ? manualDeleteCommand(instanceId, region) : 'see the runbook'}`];
  }
  return [`Deleted ${instanceId} (no final snapshot, no retained backups)${state.deletion?.goneAt ? `: RDS reported it gone at ${state.deletion.goneAt}` : ''}.`];
}

/** Turns the drill's end state into the report and its OpsResult: outcome, numbers, what was done, how to undo it. */
export function buildReport(
  state: DrillState,
  settings: ReportSettings,
  execution: { name: string; arn?: string; startedAt: string },
  finishedAt: Date,
): DrillReport {
  const finished = finishedAt.toISOString();
  const instanceId = state.drill?.instanceId;
  // Created when the restore answered, or when the cleanup found this execution's instance (the restore went through
  // behind a failure or a timeout).
  const created = Boolean(state.restored) || state.deletion?.existed === true;
  const deleted = !created || state.deletion?.gone === true;
  const orphan = created && (!deleted || state.cleanupFailure !== undefined);
  const rtoMinutes = state.verification ? minutes(execution.startedAt, state.verification.verifiedAt) : undefined;
  const dataLossMinutes = state.verification?.dataLossSeconds !== undefined ? Math.round((state.verification.dataLossSeconds / 60) * 10) / 10 : undefined;
  const failure = causeMessage(state.failure);
  const failedAt = state.failure ? failedStep(state) : undefined;
  const problems = [
    ...(state.verification && !state.verification.passed ? state.verification.problems : []),
    ...(rtoMinutes !== undefined && rtoMinutes > settings.rtoMinutes ? [`RTO ${rtoMinutes} min exceeds the ${settings.rtoMinutes}-minute target`] : []),
  ];
  const precondition = state.failure?.Error === 'PreconditionFailed' || state.failure?.Error === 'InvalidInput';

  let outcome: DrillReport['outcome'];
  let severity: DrillReport['severity'];
  let summary: string;
  if (orphan) {
    outcome = 'failed';
    severity = 'critical';
    summary = `ORPHAN REMAINS: the drill could not delete ${instanceId}; delete it by hand. ${failure ? `The drill also failed at ${failedAt}: ${failure}. ` : ''}Cleanup: ${causeMessage(state.cleanupFailure) ?? `still ${state.deletion?.status ?? 'present'} after ${Math.round((state.deletion?.waitedSeconds ?? 0) / 60)} min`}.`;
  } else if (precondition && !created) {
    outcome = 'skipped';
    severity = 'warning';
    summary = `Restore drill not started: ${failure}. Nothing was created.`;
  } else if (failure) {
    outcome = 'failed';
    severity = 'critical';
    summary = `Restore drill failed at ${failedAt}: ${failure}. ${created ? `${instanceId} was deleted.` : 'Nothing was created.'}`;
  } else if (problems.length > 0) {
    outcome = 'failed';
    severity = 'critical';
    summary = `Restore drill failed verification: ${problems.join('; ')}. ${instanceId} was deleted.`;
  } else {
    outcome = 'succeeded';
    severity = 'info';
    summary = `Restored the latest backup to ${instanceId}, verified ${state.verification?.tables.length ?? 0} tables, deleted it. RTO ${rtoMinutes} min (target ${settings.rtoMinutes}), data-loss window ${dataLossMinutes ?? 0} min (target ${settings.rpoMinutes}).`;
  }

  const lock = drillLockLine(state.lockRelease, state.lockReleaseFailure, { tableName: settings.lockTableName, region: settings.region, expiresAt: state.drill?.lockExpiresAt });
  // A lock left held stops the next drill: on-call reads it in the summary, whatever the outcome.
  if (!state.lockRelease) summary = `${summary} ${lock}`;

  return {
    workflow: 'restore-drill',
    environment: settings.environment,
    executionName: execution.name,
    executionArn: execution.arn,
    drillInstance: instanceId,
    sourceInstance: state.drill?.sourceInstanceId,
    startedAt: execution.startedAt,
    finishedAt: finished,
    outcome,
    severity,
    summary,
    failedAt,
    failure,
    rtoMinutes,
    dataLossMinutes,
    targets: { rtoMinutes: settings.rtoMinutes, rpoMinutes: settings.rpoMinutes, rowCountTolerancePercent: settings.rowCountTolerancePercent },
    verification: state.verification,
    orphan,
    manualDeleteCommand: orphan && instanceId ? manualDeleteCommand(instanceId, settings.region) : undefined,
    cleanedUp: cleanupLines(state, instanceId, created, orphan, settings.region),
    lock,
    lockReleased: state.lockRelease !== undefined,
    timeline: timeline(state, execution.startedAt, finished, failedAt, failure),
  };
}

function measurementsOf(report: DrillReport): DrillMeasurement[] {
  const measurements: DrillMeasurement[] = [];
  if (report.rtoMinutes !== undefined) measurements.push({ name: 'RTO', value: report.rtoMinutes, unit: 'min', target: report.targets.rtoMinutes, passed: report.rtoMinutes <= report.targets.rtoMinutes });
  if (report.dataLossMinutes !== undefined) {
    measurements.push({ name: 'Data-loss window', value: report.dataLossMinutes, unit: 'min', target: report.targets.rpoMinutes, passed: report.dataLossMinutes <= report.targets.rpoMinutes });
  }
  for (const table of report.verification?.tables ?? []) {
    if (table.deviationPercent !== undefined) {
      measurements.push({ name: `Row-count deviation ${table.table}`, value: table.deviationPercent, unit: '%', target: report.targets.rowCountTolerancePercent, passed: table.rowsWithinTolerance });
    }
  }
  return measurements;
}

const requestedByOf = (report: DrillReport) => (report.timeline[0]?.detail.startsWith('requested by ') ? report.timeline[0].detail.slice('requested by '.length) : undefined);

export function opsResultOf(report: DrillReport, reportUrl: string): OpsResultInput {
  const measurements = measurementsOf(report);
  const created = report.timeline.some((entry) => entry.step === 'Restore requested');
  const actionsTaken = [
    ...(created ? [`Restored ${report.sourceInstance} at its latest restorable time to ${report.drillInstance}`] : []),
    ...(report.verification ? ['Verified schema, tables, row counts and newest writes with SQL'] : []),
    ...(created ? [report.orphan ? `Tried to delete ${report.drillInstance}: it still exists` : `Deleted ${report.drillInstance} (no final snapshot, no retained backups)`] : []),
    report.lock,
    `Wrote the report to ${reportUrl}`,
  ];
  const undo = report.orphan
    ? `Delete the orphan by hand: ${report.manualDeleteCommand}`
    : 'Nothing to undo: the drill changes nothing of the source and deletes what it created. Runbook: docs/runbooks/restore-drill.md';
  return {
    kind: 'OpsResult',
    workflow: 'restore-drill',
    environment: report.environment,
    outcome: report.outcome,
    severity: report.severity,
    summary: report.summary,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    durationSeconds: Math.max(0, Math.round((Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000)),
    measurements,
    actionsTaken,
    howToUndo: report.lockReleased ? undo : `${undo} ${report.lock}`,
    reportUrl,
    executionArn: report.executionArn,
    requestedBy: requestedByOf(report),
  };
}

/** The drill's evidence as every drill writes it (functions/lib/drill-report.ts): checks, figures, timeline, where things stand. */
export function evidenceOf(report: DrillReport): Evidence {
  const verification = report.verification;
  const created = report.timeline.some((entry) => entry.step === 'Restore requested');
  return {
    workflow: 'restore-drill',
    title: 'Restore drill',
    environment: report.environment,
    executionName: report.executionName,
    executionArn: report.executionArn,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    outcome: report.outcome,
    severity: report.severity,
    summary: report.summary,
    requestedBy: requestedByOf(report),
    checks: verification
      ? [
          { name: 'Application schema restored', passed: verification.schemaExists, detail: verification.schemaExists ? 'present' : 'missing' },
          ...verification.tables.map((t) => ({
            name: `Table ${t.table}`,
            passed: t.exists && t.rowsWithinTolerance,
            detail: t.exists
              ? `${t.restoredRows ?? '—'} rows restored, ${t.sourceRows ?? '—'} in the source${t.deviationPercent === undefined ? '' : ` (${t.deviationPercent}% apart)`}; newest write ${t.restoredNewestWrite ?? '—'}${t.timestampColumn ? ` (${t.timestampColumn})` : ''}${t.lossSeconds === undefined ? '' : `, ${t.lossSeconds} s behind the source`}`
              : 'MISSING from the restore',
          })),
        ]
      : [],
    measurements: measurementsOf(report),
    timeline: report.timeline,
    currentState: [
      report.orphan
        ? `${report.drillInstance} still exists: run by hand ${report.manualDeleteCommand}`
        : created
          ? `${report.drillInstance} was deleted (no final snapshot, no retained backups)`
          : 'Nothing was created',
      `The source ${report.sourceInstance ?? 'database'} was only read`,
      report.lock,
    ],
    cleanedUp: report.cleanedUp,
  };
}
