import * as z from 'zod';
import type { EnvironmentName } from '../../contracts/environments.js';
import type { AuditEntry } from '../lib/audit.js';
import { logger } from '../lib/powertools.js';

/** EventBridge "Step Functions Execution Status Change": the fields the audit trail keeps. */
export const executionChangeSchema = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  time: z.string(),
  detail: z.object({
    executionArn: z.string(),
    stateMachineArn: z.string(),
    name: z.string(),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
    input: z.string().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});

export type ExecutionChange = z.infer<typeof executionChangeSchema>;

/** Who an execution names as its requester (the schedule or rule that started it when it names nobody). */
function requesterOf(input: string | null | undefined): string | undefined {
  if (!input) return undefined;
  try {
    const parsed = JSON.parse(input) as { requestedBy?: unknown };
    return typeof parsed.requestedBy === 'string' && parsed.requestedBy.trim().length > 0 ? parsed.requestedBy.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** One audit line per start and per end of every ops workflow execution of the environment. */
export function auditEntryFor(change: ExecutionChange, environment: EnvironmentName): AuditEntry {
  const { detail } = change;
  const workflow = detail.stateMachineArn.split(':').pop() ?? detail.stateMachineArn;
  const started = detail.status === 'RUNNING';
  return {
    at: change.time,
    environment,
    what: started ? 'start' : 'result',
    who: requesterOf(detail.input) ?? 'automation (schedule or event rule)',
    from: `workflow:${workflow}`,
    action: started ? `${workflow} started (${detail.name})` : `${workflow} ${detail.status.toLowerCase().replace('_', ' ')} (${detail.name})`,
    executionArn: detail.executionArn,
    detail: detail.error ? `${detail.error}${detail.cause ? `: ${detail.cause.slice(0, 500)}` : ''}` : undefined,
  };
}

export interface AuditExecutionsDependencies {
  readonly environment: EnvironmentName;
  readonly append: (entries: readonly AuditEntry[]) => Promise<void>;
}

/**
 * A malformed event is logged and dropped (a retry cannot fix it); a failed write is rethrown so EventBridge retries
 * it (the rule's retry policy and dead-letter queue).
 */
export async function auditExecutionChange(event: unknown, deps: AuditExecutionsDependencies): Promise<'audited' | 'ignored'> {
  const parsed = executionChangeSchema.safeParse(event);
  if (!parsed.success) {
    logger.error('Not a Step Functions status change; not audited', { issues: parsed.error.issues });
    return 'ignored';
  }
  await deps.append([auditEntryFor(parsed.data, deps.environment)]);
  return 'audited';
}
