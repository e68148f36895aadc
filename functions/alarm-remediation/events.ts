import * as z from 'zod';
import { executionName } from '../lib/workflows.js';
import { SERVICES, type ServiceName } from '../../contracts/environments.js';

/**
 * Turns what started the remediation (an EventBridge event: a CloudWatch alarm into ALARM, an RDS failover, an ECS
 * deployment failure) into the runbook to follow and the keys its guardrails use.
 */

export type Runbook = 'scale-out' | 'restart' | 'deployment' | 'verify-health' | 'notify';

export type EventKind = 'high-cpu' | 'high-memory' | 'high-error-rate' | 'high-latency' | 'rds-failover' | 'ecs-deployment-failed' | 'other';

export interface RemediationEvent {
  /** Safe for execution names: `[A-Za-z0-9_-]`, derived from the EventBridge event id. */
  readonly eventId: string;
  readonly occurredAt: string;
  readonly kind: EventKind;
  readonly runbook: Runbook;
  readonly service?: ServiceName;
  /** The alarm, database or service the event is about. */
  readonly subject: string;
  /** One line of context: the alarm's reason, the RDS message, the deployment's reason. */
  readonly detail: string;
  readonly runbookLink: string;
  /** Guardrail keys: one remediation per lock key at a time, one action per cooldown key per window. */
  readonly lockKey: string;
  readonly cooldownKey: string;
  readonly dryRunRequested: boolean;
  readonly requestedBy: string;
}

export interface EventSettings {
  /** `financehub-staging`: alarms are `<prefix>-<service>-<kind>`, services `<prefix>-<service>`. */
  readonly prefix: string;
  readonly databaseInstanceId: string;
  /** Where the runbooks live, e.g. `docs/runbooks/alarm-remediation.md`. */
  readonly runbookDocument: string;
}

/** RDS events (DB instance source) that mean a Multi-AZ failover has completed. */
export const RDS_FAILOVER_EVENT_IDS = ['RDS-EVENT-0049', 'RDS-EVENT-0065'] as const;

const eventBridgeEvent = z.object({
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  time: z.string().min(1),
  resources: z.array(z.string()).default([]),
  detail: z.record(z.string(), z.unknown()),
});

const alarmDetail = z.object({
  alarmName: z.string(),
  state: z.object({ value: z.string(), reason: z.string().default(''), timestamp: z.string().optional() }),
  configuration: z.object({ description: z.string().nullish() }).partial().optional(),
});

const rdsDetail = z.object({ EventID: z.string(), Message: z.string().default(''), SourceIdentifier: z.string().optional() });

const ecsDeploymentDetail = z.object({ eventName: z.string(), deploymentId: z.string().optional(), reason: z.string().default('') });

const input = z.looseObject({
  event: z.unknown(),
  dryRun: z.boolean().optional(),
  requestedBy: z.string().max(200).optional(),
});

/** Bad input: the remediation reports it and changes nothing. */
export class InvalidRemediationEvent extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRemediationEvent';
  }
}

const RUNBOOK_BY_KIND: Record<EventKind, Runbook> = {
  'high-cpu': 'scale-out',
  'high-memory': 'restart',
  'high-error-rate': 'deployment',
  'high-latency': 'notify',
  'rds-failover': 'verify-health',
  'ecs-deployment-failed': 'deployment',
  other: 'notify',
};

function serviceOf(name: string, prefix: string): ServiceName | undefined {
  return SERVICES.find((service) => name === `${prefix}-${service}`);
}

/** Reads the execution input `{ event, dryRun?, requestedBy? }` into the remediation's view of the event. */
export function readEvent(raw: unknown, settings: EventSettings): RemediationEvent {
  const wrapper = input.safeParse(raw);
  const parsed = eventBridgeEvent.safeParse(wrapper.success ? wrapper.data.event : undefined);
  if (!wrapper.success || !parsed.success) {
    const issues = (parsed.success ? [] : parsed.error.issues).map((issue) => `event.${issue.path.join('.')}: ${issue.message}`);
    throw new InvalidRemediationEvent(`Not an EventBridge event this remediation reads (${issues.join('; ') || 'input must be { event, dryRun?, requestedBy? }'}). Nothing was changed.`);
  }
  const event = parsed.data;
  const common = {
    eventId: executionName(event.id).slice(0, 64),
    occurredAt: event.time,
    dryRunRequested: wrapper.data.dryRun === true,
    requestedBy: wrapper.data.requestedBy ?? `EventBridge (${event['detail-type']})`,
  };
  const build = (kind: EventKind, subject: string, detail: string, service?: ServiceName): RemediationEvent => ({
    ...common,
    kind,
    runbook: RUNBOOK_BY_KIND[kind],
    service,
    subject,
    detail,
    runbookLink: `${settings.runbookDocument}#${kind}`,
    lockKey: service ?? subject,
    cooldownKey: `${kind}#${service ?? subject}`,
  });

  if (event.source === 'aws.cloudwatch' && event['detail-type'] === 'CloudWatch Alarm State Change') {
    const alarm = alarmDetail.safeParse(event.detail);
    if (!alarm.success) throw new InvalidRemediationEvent('The alarm event has no alarmName or state. Nothing was changed.');
    const { alarmName, state } = alarm.data;
    const detail = `${state.value}: ${state.reason}`;
    const match = new RegExp(`^${settings.prefix}-(frontend|backend|worker)-(high-cpu|high-memory|high-error-rate|high-latency)$`).exec(alarmName);
    if (state.value !== 'ALARM' || !match) return build('other', alarmName, detail);
    return build(match[2] as EventKind, alarmName, detail, match[1] as ServiceName);
  }
  if (event.source === 'aws.rds' && event['detail-type'] === 'RDS DB Instance Event') {
    const rds = rdsDetail.safeParse(event.detail);
    const id = rds.success ? (rds.data.SourceIdentifier ?? settings.databaseInstanceId) : 'unknown instance';
    const detail = rds.success ? `${rds.data.EventID}: ${rds.data.Message}` : 'an RDS event without EventID';
    const failover = rds.success && (RDS_FAILOVER_EVENT_IDS as readonly string[]).includes(rds.data.EventID) && id === settings.databaseInstanceId;
    return build(failover ? 'rds-failover' : 'other', id, detail);
  }
  if (event.source === 'aws.ecs' && event['detail-type'] === 'ECS Deployment State Change') {
    const deployment = ecsDeploymentDetail.safeParse(event.detail);
    const serviceName = event.resources[0]?.split('/').at(-1) ?? 'unknown service';
    const service = serviceOf(serviceName, settings.prefix);
    const detail = deployment.success ? `${deployment.data.eventName} ${deployment.data.deploymentId ?? ''}: ${deployment.data.reason}`.replace(/ :/, ':') : 'an ECS deployment event';
    const failed = deployment.success && deployment.data.eventName === 'SERVICE_DEPLOYMENT_FAILED' && service !== undefined;
    return build(failed ? 'ecs-deployment-failed' : 'other', serviceName, detail, failed ? service : undefined);
  }
  return build('other', event.resources[0] ?? event.source, `${event.source} ${event['detail-type']}`);
}
