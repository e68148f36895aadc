import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import type { WorkflowName } from '../../contracts/workflows.js';
import type { EnvironmentName } from '../../contracts/environments.js';

/**
 * A drill's evidence for auditors: JSON for machines and one HTML page for people, written under `drills/<workflow>/`
 * in the backups bucket. Generic: any drill fills in its checks, figures against targets and timeline.
 */

export interface DrillCheck {
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

export interface DrillTimelineEntry {
  readonly at: string;
  readonly step: string;
  readonly detail: string;
}

export type DrillMeasurement = NonNullable<OpsResultInput['measurements']>[number];

export interface DrillReport {
  readonly workflow: WorkflowName;
  /** Heading of the page: "Failover drill". */
  readonly title: string;
  readonly environment: EnvironmentName;
  readonly executionName: string;
  readonly executionArn?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly outcome: OpsResultInput['outcome'];
  readonly severity: OpsResultInput['severity'];
  readonly summary: string;
  readonly requestedBy?: string;
  readonly approvedBy?: string;
  /** What the drill checked (preconditions, verification), each with its verdict. */
  readonly checks: readonly DrillCheck[];
  readonly measurements: readonly DrillMeasurement[];
  readonly timeline: readonly DrillTimelineEntry[];
  /** Where things stand when the drill ended: what an on-call engineer needs first after a stop. */
  readonly currentState: readonly string[];
  /** What the drill created and what became of it (deleted, left alone, still there), read back; never empty. */
  readonly cleanedUp: readonly string[];
}

/** Same keys for the same execution, so a retried write overwrites instead of adding a copy. */
export function drillReportKeys(report: Pick<DrillReport, 'workflow' | 'startedAt' | 'executionName'>): { json: string; html: string } {
  const started = report.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const base = `drills/${report.workflow}/${started}-${report.executionName}`;
  return { json: `${base}.json`, html: `${base}.html` };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function table(headers: readonly string[], rows: readonly (readonly (string | number | undefined)[])[]): string {
  const cells = (row: readonly (string | number | undefined)[], tag: 'td' | 'th') => `<tr>${row.map((cell) => `<${tag}>${escapeHtml(String(cell ?? '—'))}</${tag}>`).join('')}</tr>`;
  return `<table>${cells(headers, 'th')}\n${rows.map((row) => cells(row, 'td')).join('\n')}</table>`;
}

/** A figure against its target: met, MISSED, or no target. */
export function verdictOf(measurement: DrillMeasurement): string {
  if (measurement.passed === undefined) return 'no target';
  return measurement.passed ? 'met' : 'MISSED';
}

/**
 * Time since the drill started, on the execution's own clock (every entry's time comes from it): `+8:08`. An entry
 * outside the execution's start and end came from another clock, and says so instead of showing a wrong offset.
 */
export function sinceStart(report: Pick<DrillReport, 'startedAt' | 'finishedAt'>, at: string): string {
  const offset = Date.parse(at) - Date.parse(report.startedAt);
  if (!Number.isFinite(offset) || offset < 0 || Date.parse(at) > Date.parse(report.finishedAt)) return 'outside the execution: another clock?';
  const total = Math.round(offset / 1000);
  const hours = Math.floor(total / 3600);
  const mm = String(Math.floor((total % 3600) / 60)).padStart(hours > 0 ? 2 : 1, '0');
  const ss = String(total % 60).padStart(2, '0');
  return hours > 0 ? `+${hours}:${mm}:${ss}` : `+${mm}:${ss}`;
}

const list = (lines: readonly string[]) => `<ul>${lines.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>`;

/**
 * A page an auditor reads without tools: the verdict, where things stand, what was cleaned up, the figures against
 * their targets (met or missed), the checks, and the timeline on the execution's clock.
 */
export function renderDrillReportHtml(report: DrillReport): string {
  const colour = report.outcome === 'succeeded' ? '#1a7f37' : report.severity === 'critical' ? '#cf222e' : '#9a6700';
  const people = [report.requestedBy && `requested by ${report.requestedBy}`, report.approvedBy && `approved by ${report.approvedBy}`].filter(Boolean).join(', ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(report.title)} ${escapeHtml(report.environment)} ${escapeHtml(report.startedAt)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}.verdict{color:${colour};font-weight:bold}</style></head>
<body>
<h1>${escapeHtml(report.title)}: ${escapeHtml(report.environment)}</h1>
<p class="verdict">${escapeHtml(report.outcome.toUpperCase())} (${escapeHtml(report.severity)})</p>
<p>${escapeHtml(report.summary)}</p>
${people ? `<p>${escapeHtml(people)}</p>` : ''}
<h2>Where things stand</h2>
${list(report.currentState)}
<h2>Cleaned up</h2>
${list(report.cleanedUp)}
<h2>Figures against targets</h2>
${
  report.measurements.length === 0
    ? '<p>No figures: the drill ended before it measured anything.</p>'
    : table(
        ['measure', 'value', 'target', 'result'],
        report.measurements.map((m) => [m.name, `${m.value} ${m.unit}`, m.target === undefined ? undefined : `${m.target} ${m.unit}`, verdictOf(m)]),
      )
}
<h2>Checks</h2>
${report.checks.length === 0 ? '<p>No checks: the drill ended before it checked anything.</p>' : table(['check', 'passed', 'detail'], report.checks.map((check) => [check.name, check.passed ? 'yes' : 'NO', check.detail]))}
<h2>Timeline</h2>
<p>One clock: the execution's, from its start at ${escapeHtml(report.startedAt)} to its end at ${escapeHtml(report.finishedAt)}.</p>
${table(['since start', 'time (UTC)', 'step', 'detail'], report.timeline.map((entry) => [sinceStart(report, entry.at), entry.at, entry.step, entry.detail]))}
<p>Execution ${escapeHtml(report.executionArn ?? report.executionName)}.</p>
</body></html>
`;
}

/** Writes the JSON and the HTML page and returns the page's S3 URL. */
export async function writeDrillReport(s3: S3Client, bucket: string, report: DrillReport): Promise<string> {
  const keys = drillReportKeys(report);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys.json, Body: JSON.stringify(report, null, 2), ContentType: 'application/json' }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys.html, Body: renderDrillReportHtml(report), ContentType: 'text/html; charset=utf-8' }));
  return `s3://${bucket}/${keys.html}`;
}
