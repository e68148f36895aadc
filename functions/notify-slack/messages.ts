import * as z from 'zod';
import { type OpsResult, opsResultSchema } from '../../contracts/ops-result.js';
import type { EnvironmentName } from '../../contracts/environments.js';

/** What arrives on the notification topic, recognised by shape. Anything else stays readable text. */
export type Notification =
  | { readonly kind: 'alarm'; readonly alarm: AlarmChange }
  | { readonly kind: 'rds'; readonly event: RdsEvent }
  | { readonly kind: 'ecs'; readonly event: EcsEvent }
  | { readonly kind: 'ops-result'; readonly result: OpsResult }
  | { readonly kind: 'text'; readonly subject?: string; readonly text: string };

const alarmSchema = z.object({
  AlarmName: z.string(),
  AlarmDescription: z.string().nullish(),
  NewStateValue: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
  OldStateValue: z.string().nullish(),
  NewStateReason: z.string().default(''),
  StateChangeTime: z.string(),
  AlarmArn: z.string().optional(),
  Trigger: z
    .object({
      MetricName: z.string().nullish(),
      Namespace: z.string().nullish(),
      Threshold: z.number().nullish(),
      ComparisonOperator: z.string().nullish(),
      Period: z.number().nullish(),
      EvaluationPeriods: z.number().nullish(),
      Metrics: z.array(z.object({ Expression: z.string().optional(), Label: z.string().optional() })).nullish(),
    })
    .partial()
    .default({}),
});
export type AlarmChange = z.infer<typeof alarmSchema>;

const rdsSchema = z.object({
  'Event Source': z.string(),
  'Event Time': z.string(),
  'Source ID': z.string(),
  'Event ID': z.string(),
  'Event Message': z.string(),
  'Identifier Link': z.string().optional(),
});
export type RdsEvent = z.infer<typeof rdsSchema>;

const ecsSchema = z.object({
  source: z.literal('aws.ecs'),
  'detail-type': z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()).default([]),
  detail: z.record(z.string(), z.unknown()),
});
export type EcsEvent = z.infer<typeof ecsSchema>;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Recognises an SNS message; never throws, so nothing is dropped. */
export function classify(message: string, subject?: string): Notification {
  const json = parseJson(message);
  if (json && typeof json === 'object') {
    const result = opsResultSchema.safeParse(json);
    if (result.success) return { kind: 'ops-result', result: result.data };
    const alarm = alarmSchema.safeParse(json);
    if (alarm.success) return { kind: 'alarm', alarm: alarm.data };
    const rds = rdsSchema.safeParse(json);
    if (rds.success) return { kind: 'rds', event: rds.data };
    const ecs = ecsSchema.safeParse(json);
    if (ecs.success) return { kind: 'ecs', event: ecs.data };
  }
  return { kind: 'text', subject, text: message };
}

/** `financehub-production-backend-high-cpu` -> production; anything not ours -> undefined. */
export function environmentOf(name: string): EnvironmentName | undefined {
  const match = /financehub-(staging|production)\b/.exec(name);
  return match ? (match[1] as EnvironmentName) : undefined;
}

/** The RDS event code, e.g. `RDS-EVENT-0049`, from the documentation link RDS sends as Event ID. */
export function rdsEventCode(event: RdsEvent): string {
  return /RDS-EVENT-\d+/.exec(event['Event ID'])?.[0] ?? event['Event ID'];
}

/** The RDS events an operator must act on or know about at once. */
const RDS_CRITICAL = /failover|fail|shutdown|storage-full|low storage|restart/i;

export function rdsIsCritical(event: RdsEvent): boolean {
  return RDS_CRITICAL.test(event['Event Message']);
}
