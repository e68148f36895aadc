import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type CaughtError, causeMessage } from '../lib/caught-error.js';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { type DeletionProgress, type DrillPlan, type RestoreProgress, manualDeleteCommand } from './drill.js';
import type { VerificationOutcome } from './verify.js';
import type { EnvironmentName } from '../../contracts/environments.js';


/** The state machine's data when the drill ends, whichever path it took. */
export interface DrillState {
  readonly drill?: DrillPlan;
  readonly restored?: RestoreProgress;
  readonly verification?: VerificationOutcome & { readonly verifiedAt: string };
  readonly deletion?: DeletionProgress;
  readonly failure?: CaughtError;
  readonly cleanupFailure?: CaughtError;
  readonly requestedBy?: string;
}

export interface ReportSettings {
  readonly environment: EnvironmentName;
  readonly region: string;
  readonly rtoMinutes: number;
  readonly rpoMinutes: number;
  readonly reportsBucket: string;
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
  readonly targets: { readonly rtoMinutes: number; readonly rpoMinutes: number };
  readonly verification?: VerificationOutcome;
  readonly orphan: boolean;
  readonly manualDeleteCommand?: string;
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
    targets: { rtoMinutes: settings.rtoMinutes, rpoMinutes: settings.rpoMinutes },
    verification: state.verification,
    orphan,
    manualDeleteCommand: orphan && instanceId ? manualDeleteCommand(instanceId, settings.region) : undefined,
    timeline: timeline(state, execution.startedAt, finished, failedAt, failure),
  };
}

export function reportKeys(report: Pick<DrillReport, 'startedAt' | 'executionName'>): { json: string; html: string } {
  const base = `drills/restore-drill/${report.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}-${report.executionName}`;
  return { json: `${base}.json`, html: `${base}.html` };
}

export function opsResultOf(report: DrillReport, reportUrl: string): OpsResultInput {
  const measurements: OpsResultInput['measurements'] = [];
  if (report.rtoMinutes !== undefined) measurements.push({ name: 'RTO', value: report.rtoMinutes, unit: 'min', target: report.targets.rtoMinutes, passed: report.rtoMinutes <= report.targets.rtoMinutes });
  if (report.dataLossMinutes !== undefined) {
    measurements.push({ name: 'Data-loss window', value: report.dataLossMinutes, unit: 'min', target: report.targets.rpoMinutes, passed: report.dataLossMinutes <= report.targets.rpoMinutes });
  }
  for (const table of report.verification?.tables ?? []) {
    if (table.deviationPercent !== undefined) measurements.push({ name: `Row-count deviation ${table.table}`, value: table.deviationPercent, unit: '%', passed: table.rowsWithinTolerance });
  }
  const created = report.timeline.some((entry) => entry.step === 'Restore requested');
  const actionsTaken = [
    ...(created ? [`Restored ${report.sourceInstance} at its latest restorable time to ${report.drillInstance}`] : []),
    ...(report.verification ? ['Verified schema, tables, row counts and newest writes with SQL'] : []),
    ...(created ? [report.orphan ? `Tried to delete ${report.drillInstance}: it still exists` : `Deleted ${report.drillInstance} (no final snapshot, no retained backups)`] : []),
    `Wrote the report to ${reportUrl}`,
  ];
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
    howToUndo: report.orphan
      ? `Delete the orphan by hand: ${report.manualDeleteCommand}`
      : 'Nothing to undo: the drill changes nothing of the source and deletes what it created. Runbook: docs/runbooks/restore-drill.md',
    reportUrl,
    executionArn: report.executionArn,
    requestedBy: report.timeline[0]?.detail.startsWith('requested by ') ? report.timeline[0].detail.slice('requested by '.length) : undefined,
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** A page an auditor reads without tools: the verdict, the figures against their targets, the timeline. */
export function renderHtml(report: DrillReport): string {
  const row = (cells: (string | number | undefined)[]) => `<tr>${cells.map((cell) => `<td>${escapeHtml(String(cell ?? '—'))}</td>`).join('')}</tr>`;
  const colour = report.outcome === 'succeeded' ? '#1a7f37' : report.severity === 'critical' ? '#cf222e' : '#9a6700';
  const tables = (report.verification?.tables ?? [])
    .map((t) => row([t.table, t.exists ? 'yes' : 'MISSING', t.restoredRows, t.sourceRows, t.deviationPercent === undefined ? undefined : `${t.deviationPercent}%`, t.timestampColumn, t.restoredNewestWrite, t.lossSeconds === undefined ? undefined : `${t.lossSeconds} s`]))
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Restore drill ${escapeHtml(report.environment)} ${escapeHtml(report.startedAt)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}.verdict{color:${colour};font-weight:bold}</style></head>
<body>
<h1>Restore drill: ${escapeHtml(report.environment)}</h1>
<p class="verdict">${escapeHtml(report.outcome.toUpperCase())} (${escapeHtml(report.severity)})</p>
<p>${escapeHtml(report.summary)}</p>
${report.manualDeleteCommand ? `<p><strong>Run by hand:</strong> <code>${escapeHtml(report.manualDeleteCommand)}</code></p>` : ''}
<h2>Figures</h2>
<table><tr><th>measure</th><th>value</th><th>target</th></tr>
${row(['RTO (start to verified)', report.rtoMinutes === undefined ? undefined : `${report.rtoMinutes} min`, `${report.targets.rtoMinutes} min`])}
${row(['Data-loss window', report.dataLossMinutes === undefined ? undefined : `${report.dataLossMinutes} min`, `${report.targets.rpoMinutes} min`])}
</table>
<h2>Critical tables</h2>
<table><tr><th>table</th><th>exists</th><th>restored rows</th><th>source rows</th><th>deviation</th><th>timestamp column</th><th>newest write</th><th>loss</th></tr>
${tables}
</table>
<h2>Timeline</h2>
<table><tr><th>time (UTC)</th><th>step</th><th>detail</th></tr>
${report.timeline.map((entry) => row([entry.at, entry.step, entry.detail])).join('\n')}
</table>
<p>Execution ${escapeHtml(report.executionArn ?? report.executionName)}; source ${escapeHtml(report.sourceInstance ?? '—')}; drill instance ${escapeHtml(report.drillInstance ?? 'none')}.</p>
</body></html>
`;
}

/** Writes the JSON and the HTML page under `drills/` (same keys on a retry) and returns the HTML's S3 URL. */
export async function writeReport(s3: S3Client, bucket: string, report: DrillReport): Promise<string> {
  const keys = reportKeys(report);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys.json, Body: JSON.stringify(report, null, 2), ContentType: 'application/json' }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys.html, Body: renderHtml(report), ContentType: 'text/html; charset=utf-8' }));
  return `s3://${bucket}/${keys.html}`;
}
