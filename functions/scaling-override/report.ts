import type { OpsResultInput } from '../../contracts/ops-result.js';
import type { CaughtError } from '../lib/caught-error.js';
import { type AppliedOverride, type Capacity, type OverrideSettings, type ReplacedOverride, type Reverted, manualRevertCommand } from './override.js';
import type { OverrideRequest } from './request.js';
import type { EnvironmentName } from '../../contracts/environments.js';

/** The state machine's data at a report, whichever path it took. */
export interface OverrideState {
  readonly request?: OverrideRequest;
  readonly replaced?: readonly ReplacedOverride[];
  readonly current?: Capacity & { readonly recordedAt: string };
  readonly override?: AppliedOverride;
  readonly reverted?: Reverted;
  readonly failure?: CaughtError;
  /** The bounds read back from AWS when a failure is reported: undefined when they could not be read. */
  readonly readBack?: Capacity;
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
        actionsTaken: [
          ...replaced,
          !restored
            ? 'Changed nothing: the bounds were no longer this override\'s'
            : reverted?.registered === false
              ? `Found the ${service} service's scalable target at the baseline ${bounds(reverted)} already`
              : `Registered the baseline ${bounds(reverted)} for the ${service} service's scalable target`,
        ],
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
      const found = state.readBack;
      const knownService = request !== undefined;
      const same = (a: Capacity | undefined, b: Capacity | undefined) => a !== undefined && b !== undefined && a.min === b.min && a.max === b.max;
      const requested = request?.action === 'apply' ? { min: request.min, max: request.max } : undefined;
      // What is in force is read back, never assumed from how far the execution got: a step may have done its work
      // and then timed out, or failed before it.
      const inForce = found
        ? same(found, request?.baseline)
          ? 'baseline'
          : same(found, state.override ?? requested)
            ? 'override'
            : same(found, state.current)
              ? 'unchanged'
              : 'other'
        : 'unknown';
      const reached = state.current !== undefined;
      const replacedLost = replaced.length > 0;
      const now = found ? `The bounds now read ${bounds(found)} (read back from Application Auto Scaling)` : 'The bounds could NOT be read back from Application Auto Scaling: check them now';
      let summary: string;
      let severity: OpsResultInput['severity'];
      if (inForce === 'override' && !same(found, request?.baseline)) {
        severity = 'critical';
        summary = `Scaling override on ${service} FAILED: ${causeMessage(state.failure)}. ${now}: the override's bounds are in force and will NOT revert by themselves.`;
      } else if (inForce === 'baseline' || (inForce === 'unchanged' && !replacedLost)) {
        severity = 'warning';
        summary = `Scaling override on ${service} failed: ${causeMessage(state.failure)}. ${now}${inForce === 'baseline' ? ', the baseline' : ', as before the request'}; no revert is pending.`;
      } else if (inForce === 'unchanged' && replacedLost) {
        severity = 'critical';
        summary = `Scaling override on ${service} FAILED after it stopped the earlier override: ${causeMessage(state.failure)}. The earlier bounds (${bounds(found)}) stay in force and will NOT revert by themselves.`;
      } else if (inForce === 'unknown' && !reached && !replacedLost) {
        severity = 'warning';
        summary = `Scaling override on ${service} failed before it changed anything: ${causeMessage(state.failure)}. The bounds were not changed.`;
      } else {
        severity = 'critical';
        summary = `Scaling override on ${service} FAILED: ${causeMessage(state.failure)}. ${now}${inForce === 'other' ? ', which are neither the baseline nor this override' : ''}; this execution leaves no revert pending.`;
      }
      return {
        ...base,
        outcome: 'failed',
        severity,
        summary,
        actionsTaken: [...replaced, ...(state.override ? [`Registered ${bounds(state.override)} for ${service}`] : []), ...(found ? [`Read the bounds back: ${bounds(found)}`] : []), 'Stopped at the failure'],
        howToUndo: knownService
          ? inForce === 'baseline' || (inForce === 'unchanged' && !replacedLost)
            ? `Nothing to undo: the bounds are ${inForce === 'baseline' ? 'the baseline' : 'as they were'}. Runbook: docs/runbooks/scaling-override.md`
            : `Restore the baseline by hand: ${manualRevertCommand(settings, request.service, request.baseline)} (or \`fhops scale-revert ${settings.environment} ${service}\`).`
          : 'Nothing to undo. Runbook: docs/runbooks/scaling-override.md',
      };
    }
  }
}
