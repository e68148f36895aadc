import type { OpsResult } from '../../contracts/ops-result.js';
import { type AlarmChange, type EcsEvent, type Notification, type RdsEvent, environmentOf, rdsEventCode, rdsIsCritical } from './messages.js';

export type Severity = 'critical' | 'warning' | 'info' | 'resolved';
export type Channel = 'incidents' | 'ops';

export interface SlackPayload {
  readonly text: string;
  readonly attachments: { readonly color: string; readonly blocks: unknown[] }[];
}

export interface FormatContext {
  readonly region: string;
  /** Suppressed state changes of a flapping alarm since the last post. */
  readonly suppressedChanges?: number;
  /** https base of docs/runbooks: `docs/runbooks/<name>.md` in a message becomes a link there. @default left as a path */
  readonly runbooksUrl?: string;
}

/** AWS console pages a browser can open, for what results name by ARN or s3:// URL. */
export function consoleUrl(region: string, target: string): string | undefined {
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(target);
  if (s3) return `https://s3.console.aws.amazon.com/s3/object/${s3[1]}?region=${region}&prefix=${encodeURIComponent(s3[2] ?? '')}`;
  if (/^arn:aws:states:[a-z0-9-]+:\d{12}:execution:/.test(target)) {
    const executionRegion = target.split(':')[3];
    return `https://${executionRegion}.console.aws.amazon.com/states/home?region=${executionRegion}#/v2/executions/details/${encodeURIComponent(target)}`;
  }
  return undefined;
}

/** Runbook paths (`docs/runbooks/restore-drill.md#data-loss`) as Slack links to the configured repository. */
function linkRunbooks(text: string, runbooksUrl: string | undefined): string {
  if (!runbooksUrl) return text;
  return text.replace(/docs\/runbooks\/([a-z0-9-]+)\.md(#[a-z0-9-]+)?/g, (_path, name: string, anchor?: string) => `<${runbooksUrl}/${name}.md${anchor ?? ''}|runbook ${name}>`);
}

/** Every mrkdwn text of the blocks with its runbook paths linked (plain_text headers cannot hold links). */
function withRunbookLinks(payload: SlackPayload, runbooksUrl: string | undefined): SlackPayload {
  if (!runbooksUrl) return payload;
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (typeof node !== 'object' || node === null) return node;
    const record = node as Record<string, unknown>;
    if (record.type === 'mrkdwn' && typeof record.text === 'string') return { ...record, text: linkRunbooks(record.text, runbooksUrl) };
    return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, visit(value)]));
  };
  return { ...payload, attachments: payload.attachments.map((a) => ({ ...a, blocks: visit(a.blocks) as unknown[] })) };
}

const COLOR: Record<Severity, string> = { critical: '#d0021b', warning: '#f5a623', info: '#4a90e2', resolved: '#2eb67d' };
const ICON: Record<Severity, string> = { critical: ':rotating_light:', warning: ':warning:', info: ':information_source:', resolved: ':white_check_mark:' };

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 2900) } });
/** A section of up to 10 labelled fields; none when no pair has a value (Slack rejects an empty `fields`). */
const fields = (pairs: [string, string][]) => {
  const filled = pairs.filter(([, v]) => v.length > 0);
  if (filled.length === 0) return undefined;
  return { type: 'section', fields: filled.slice(0, 10).map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${v}`.slice(0, 1900) })) };
};
const context = (text: string) => ({ type: 'context', elements: [{ type: 'mrkdwn', text: text.slice(0, 2900) }] });

function payload(severity: Severity, title: string, blocks: (object | undefined)[]): SlackPayload {
  return {
    text: `${ICON[severity]} ${title}`,
    attachments: [{ color: COLOR[severity], blocks: [{ type: 'header', text: { type: 'plain_text', text: `${ICON[severity]} ${title}`.slice(0, 150), emoji: true } }, ...blocks.filter((block) => block !== undefined)] }],
  };
}

export function severityOf(notification: Notification): Severity {
  switch (notification.kind) {
    case 'alarm': {
      const state = notification.alarm.NewStateValue;
      if (state === 'OK') return 'resolved';
      if (state === 'INSUFFICIENT_DATA') return 'warning';
      return environmentOf(notification.alarm.AlarmName) === 'production' ? 'critical' : 'warning';
    }
    case 'rds':
      return rdsIsCritical(notification.event) && environmentOf(notification.event['Source ID']) === 'production' ? 'critical' : 'warning';
    case 'ecs':
      return 'warning';
    case 'ops-result': {
      const { result } = notification;
      if (result.severity === 'critical') return 'critical';
      if (result.outcome === 'failed') return /drill|rotation/.test(result.workflow) ? 'critical' : 'warning';
      return result.severity === 'warning' ? 'warning' : 'info';
    }
    case 'text':
      return 'info';
  }
}

/** Critical messages wake people up in the incidents channel; a production resolution follows its alarm there. */
export function channelOf(notification: Notification, severity: Severity): Channel {
  if (severity === 'critical') return 'incidents';
  if (notification.kind === 'alarm' && severity === 'resolved' && environmentOf(notification.alarm.AlarmName) === 'production') return 'incidents';
  return 'ops';
}

/** `Threshold Crossed: 3 out of the last 5 datapoints [91.2 (24/11/26 03:00:00), ...]` -> 91.2 */
export function currentValue(reason: string): string | undefined {
  return /\[(-?\d+(?:\.\d+)?)/.exec(reason)?.[1];
}

function alarmMessage(alarm: AlarmChange, severity: Severity, ctx: FormatContext): SlackPayload {
  const env = environmentOf(alarm.AlarmName) ?? 'unknown environment';
  const trigger = alarm.Trigger;
  const metric = trigger.MetricName ?? trigger.Metrics?.find((m) => m.Expression)?.Label ?? 'metric expression';
  const value = currentValue(alarm.NewStateReason);
  const console = `https://${ctx.region}.console.aws.amazon.com/cloudwatch/home?region=${ctx.region}#alarmsV2:alarm/${encodeURIComponent(alarm.AlarmName)}`;
  const kind = /-(high-[a-z-]+)$/.exec(alarm.AlarmName)?.[1];
  const flapping = ctx.suppressedChanges ? ` It changed state ${ctx.suppressedChanges} more time(s) since the last post (flapping).` : '';
  const title =
    alarm.NewStateValue === 'OK'
      ? `Resolved: ${alarm.AlarmName}`
      : alarm.NewStateValue === 'ALARM'
        ? `ALARM: ${alarm.AlarmName}`
        : `No data: ${alarm.AlarmName}`;
  return payload(severity, title, [
    section(
      `*What happened:* ${alarm.AlarmDescription ?? alarm.AlarmName} went from ${alarm.OldStateValue ?? '?'} to *${alarm.NewStateValue}* in ${env}.${flapping}\n` +
        `_${alarm.NewStateReason.slice(0, 500)}_`,
    ),
    fields([
      ['Environment', env],
      ['Metric', `${trigger.Namespace ?? ''} ${metric}`.trim()],
      ['Threshold', trigger.Threshold === undefined || trigger.Threshold === null ? '' : `${trigger.ComparisonOperator ?? ''} ${trigger.Threshold}`.trim()],
      ['Current value', value ?? 'see reason'],
      ['Since', alarm.StateChangeTime],
    ]),
    section(
      alarm.NewStateValue === 'ALARM'
        ? `*What is being done:* alarm-remediation picks the runbook for this alarm and posts what it did, with how to undo it.\n*How to undo:* nothing to undo for the alarm itself.`
        : `*What was done:* nothing further; this closes the alarm.\n*How to undo:* nothing to undo.`,
    ),
    context(`<${console}|Open in CloudWatch> · Runbook: docs/runbooks/alarm-remediation.md${kind ? `#${kind}` : ''}`),
  ]);
}

function rdsMessage(event: RdsEvent, severity: Severity, ctx: FormatContext): SlackPayload {
  const code = rdsEventCode(event);
  const env = environmentOf(event['Source ID']) ?? 'unknown environment';
  const link = event['Identifier Link'] ?? `https://${ctx.region}.console.aws.amazon.com/rds/home?region=${ctx.region}#database:id=${event['Source ID']}`;
  return payload(severity, `RDS ${event['Source ID']}: ${event['Event Message']}`, [
    section(`*What happened:* ${event['Event Message']} (${code}) on ${event['Source ID']} in ${env} at ${event['Event Time']}.`),
    section(
      /failover/i.test(event['Event Message'])
        ? '*What is being done:* alarm-remediation checks the application health endpoint and reports.\n*How to undo:* a failover is not undone; the old primary becomes the standby.'
        : '*What was done:* nothing automatic.\n*How to undo:* nothing to undo.',
    ),
    context(`<${link}|Open in RDS> · ${event['Event Source']} · ${code}`),
  ]);
}

function ecsMessage(event: EcsEvent, severity: Severity): SlackPayload {
  const detail = event.detail as Record<string, unknown>;
  const service = String(detail.group ?? event.resources[0] ?? '').replace(/^service:/, '').split('/').pop() ?? 'unknown service';
  if (event['detail-type'] === 'ECS Deployment State Change') {
    return payload(severity, `Deployment failed: ${service}`, [
      section(`*What happened:* ${String(detail.eventName ?? 'deployment event')} on ${service}: ${String(detail.reason ?? 'no reason given')}.`),
      section('*What was done:* the deployment circuit breaker rolled the service back to its last healthy task definition.\n*How to undo:* fix the image and deploy again; nothing to undo.'),
      context(`deployment ${String(detail.deploymentId ?? '?')} · ${event.time}`),
    ]);
  }
  const containers = Array.isArray(detail.containers) ? (detail.containers as { name?: string; exitCode?: number; reason?: string }[]) : [];
  return payload(severity, `Task stopped: ${service}`, [
    section(`*What happened:* a task of ${service} stopped (${String(detail.stopCode ?? '?')}): ${String(detail.stoppedReason ?? 'no reason given')}.`),
    fields(containers.map((c) => [c.name ?? 'container', `exit ${c.exitCode ?? '?'}${c.reason ? `: ${c.reason}` : ''}`] as [string, string])),
    section('*What was done:* ECS starts a replacement task to keep the desired count.\n*How to undo:* nothing to undo.'),
    context(`${String(detail.taskArn ?? '')} · ${event.time}`),
  ]);
}

function opsResultMessage(result: OpsResult, severity: Severity, ctx: FormatContext): SlackPayload {
  const report = result.reportUrl ? consoleUrl(ctx.region, result.reportUrl) : undefined;
  const execution = result.executionArn ? consoleUrl(ctx.region, result.executionArn) : undefined;
  const links = [
    report ? `<${report}|Report>` : result.reportUrl ? `Report: ${result.reportUrl}` : '',
    execution ? `<${execution}|Execution in the console>` : '',
    result.executionArn ? `\`fhops status ${result.executionArn}\`` : '',
  ].filter(Boolean);
  const measured = result.measurements.map((m) => {
    const verdict = m.passed === undefined ? '' : m.passed ? ' :white_check_mark:' : ' :x:';
    const target = m.target === undefined ? '' : ` (target ${m.target} ${m.unit})`;
    return `• ${m.name}: *${m.value} ${m.unit}*${target}${verdict}`;
  });
  return payload(severity, `${result.workflow} ${result.outcome} in ${result.environment}`, [
    section(`*What happened:* ${result.summary}`),
    fields([
      ['Environment', result.environment],
      ['Outcome', result.outcome],
      ['Duration', `${Math.round(result.durationSeconds)} s`],
      ['Requested by', result.requestedBy ?? 'schedule'],
    ]),
    ...(measured.length ? [section(`*Measured:*\n${measured.join('\n')}`)] : []),
    section(`*What was done:*\n${result.actionsTaken.length ? result.actionsTaken.map((a) => `• ${a}`).join('\n') : 'nothing was changed'}`),
    section(`*How to undo:* ${result.howToUndo ?? 'nothing to undo'}`),
    context(links.join(' · ') || `${result.startedAt} → ${result.finishedAt}`),
  ]);
}

export function formatNotification(notification: Notification, severity: Severity, ctx: FormatContext): SlackPayload {
  return withRunbookLinks(formatBlocks(notification, severity, ctx), ctx.runbooksUrl);
}

function formatBlocks(notification: Notification, severity: Severity, ctx: FormatContext): SlackPayload {
  switch (notification.kind) {
    case 'alarm':
      return alarmMessage(notification.alarm, severity, ctx);
    case 'rds':
      return rdsMessage(notification.event, severity, ctx);
    case 'ecs':
      return ecsMessage(notification.event, severity);
    case 'ops-result':
      return opsResultMessage(notification.result, severity, ctx);
    case 'text':
      return payload(severity, notification.subject ?? 'Notification', [section(`\`\`\`${notification.text.slice(0, 2800)}\`\`\``)]);
  }
}
