import type { OpsResultInput } from '../../contracts/ops-result.js';
import { type AppliedOverride, type Capacity, type OverrideSettings, type ReplacedOverride, type Reverted, manualRevertCommand } from './override.js';
import type { OverrideRequest } from './request.js';
import type { EnvironmentName } from '../../contracts/environments.js';

/** What a Catch adds to the state: Step Functions' error name and cause. */
export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string;
}

/** The state machine's data at a report, whichever path it took. */
export interface OverrideState {
  readonly request?: OverrideRequest;
  readonly replaced?: readonly ReplacedOverride[];
  readonly current?: Capacity & { readonly recordedAt: string };
  readonly override?: AppliedOverride;
  readonly reverted?: Reverted;
  readonly failure?: CaughtError;
  /** From the raw input, for reports on requests that did not parse. */
  readonly requestedBy?: unknown;
  readonly service?: unknown;
}

export type ReportStage = 'applied' | 'ended' | 'rejected' | 'failed';

export interface ReportSettings extends OverrideSettings {
  readonly environment: EnvironmentName;
}

/** The message inside a Catch's Cause: Lambda's JSON error document or the SDK's text. */
export function causeMessage(error: CaughtError | undefined): string {
  if (!error) return 'unknown error';
  try {
    const parsed = JSON.parse(error.Cause ?? '') as { errorMessage?: string };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: an SDK integration's plain message.
  }
  return `${error.Error}: ${error.Cause ?? 'no cause given'}`;
}

const bounds = (capacity: Capacity | undefined) => (capacity ? `min ${capacity.min}, max ${capacity.max}` : 'unknown bounds');

function earlyRevertHint(settings: ReportSettings, service: string): string {
  return `To revert early: \`fhops scale-revert ${settings.environment} ${service}\` or \`/ops scale-revert ${settings.environment} ${service}\`.`;
}

function replacedLines(replaced: readonly ReplacedOverride[] | undefined): string[] {
  return (replaced ?? []).map(
    (r) => `Stopped the earlier override ${r.executionName}${r.min !== undefined ? ` (min ${r.min}, max ${r.max}${r.requestedBy ? `, by ${r.requestedBy}` : ''})` : ''}: its revert is no longer pending`,
  );
}

/** The OpsResult of each change: who, why, until when, and how to revert early. */
export function overrideResult(
  stage: ReportStage,
  state: OverrideState,
  settings: ReportSettings,
  execution: { arn?: string; startedAt: string },
  now: Date,
): OpsResultInput {
  const request = state.request;
  const service = request?.service ?? (typeof state.service === 'string' ? state.service : 'unknown service');
  const requestedBy = request?.requestedBy ?? (typeof state.requestedBy === 'string' ? state.requestedBy : undefined);
  const who = requestedBy ? `requested by ${requestedBy}${request?.approvedBy ? `, approved by ${request.approvedBy}` : ''}` : 'requester unknown';
  const why = request?.reason ? `: ${request.reason}` : '';
  const base = {
    kind: 'OpsResult' as const,
    workflow: 'scaling-override',
    environment: settings.environment,
    startedAt: execution.startedAt,
    finishedAt: now.toISOString(),
    durationSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(execution.startedAt)) / 1000)),
    executionArn: execution.arn,
    requestedBy,
  };
  const replaced = replacedLines(state.replaced);

  switch (stage) {
    case 'applied': {
      const override = state.override;
      const summary = `Scaling override on ${service}: ${bounds(state.current)} -> ${bounds(override)} until ${override?.revertAt} (${request?.action === 'apply' ? request.durationMinutes : '?'} min), ${who}${why}.`;
      return {
        ...base,
        outcome: 'succeeded',
        severity: settings.environment === 'production' ? 'warning' : 'info',
        summary: replaced.length > 0 ? `${summary} It replaces the earlier override.` : summary,
        actionsTaken: [...replaced, `Registered ${bounds(override)} for ${state.request ? `the ${service} service's scalable target` : service} (was ${bounds(state.current)})`],
        measurements: override ? [{ name: 'Override max capacity', value: override.max, unit: 'tasks' }] : [],
        howToUndo: `It reverts by itself at ${override?.revertAt} to the baseline (${bounds(request?.baseline)}). ${earlyRevertHint(settings, service)}`,
      };
    }
    case 'ended': {
      const reverted = state.reverted;
      const early = request?.action === 'revert';
      const restored = reverted?.restored !== false;
      const summary = !restored
        ? `Scaling override on ${service} ended, but its bounds had been changed since (now ${bounds(reverted?.found)}): left as they are, not reset to the baseline (${bounds(request?.baseline)}).`
        : early
          ? `Scaling override on ${service} reverted early, ${who}${why}: back to the baseline ${bounds(reverted)} (was ${bounds(reverted?.found)}).`
          : `Scaling override on ${service} ended as scheduled: back to the baseline ${bounds(reverted)} (was ${bounds(reverted?.found)}).`;
      return {
        ...base,
        outcome: 'succeeded',
        severity: restored ? 'info' : 'warning',
        summary: early && replaced.length === 0 ? `${summary} No override was running.` : summary,
        actionsTaken: [...replaced, restored ? `Registered the baseline ${bounds(reverted)} for the ${service} service's scalable target` : 'Changed nothing: the bounds were no longer this override\'s'],
        howToUndo: `To override again: \`fhops scale ${settings.environment} ${service} <min> <max> <minutes> <reason>\` or \`/ops scale ${settings.environment} ${service} ...\`.`,
      };
    }
    case 'rejected':
      return {
        ...base,
        outcome: 'failed',
        severity: 'warning',
        summary: causeMessage(state.failure),
        actionsTaken: ['Nothing was changed'],
        howToUndo: 'Nothing to undo. Correct the request and start it again. Runbook: docs/runbooks/scaling-override.md',
      };
    case 'failed': {
      const applied = state.override !== undefined && state.reverted === undefined;
      // An earlier override stopped here no longer reverts by itself either.
      const orphaned = !applied && replaced.length > 0 && state.reverted === undefined;
      const knownService = request !== undefined;
      return {
        ...base,
        outcome: 'failed',
        severity: applied || orphaned ? 'critical' : 'warning',
        summary: applied
          ? `Scaling override on ${service} FAILED after it was applied (${bounds(state.override)}): ${causeMessage(state.failure)}. The override stays in force and will NOT revert by itself.`
          : orphaned
            ? `Scaling override on ${service} FAILED after it stopped the earlier override: ${causeMessage(state.failure)}. The earlier bounds (${bounds(state.current)}) stay in force and will NOT revert by themselves.`
            : `Scaling override on ${service} failed: ${causeMessage(state.failure)}. The bounds were not changed.`,
        actionsTaken: [...replaced, ...(state.override ? [`Registered ${bounds(state.override)} for ${service}`] : []), 'Stopped at the failure'],
        howToUndo: knownService
          ? `Restore the baseline by hand: ${manualRevertCommand(settings, request.service, request.baseline)} (or \`fhops scale-revert ${settings.environment} ${service}\`).`
          : 'Nothing to undo. Runbook: docs/runbooks/scaling-override.md',
      };
    }
  }
}
