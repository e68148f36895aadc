import { type CaughtError, causeMessage } from '../lib/caught-error.js';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import type { ProbeProgress } from '../lib/health-probe.js';
import type { RemediationEvent } from './events.js';
import type { Guard, Switches } from './guardrails.js';
import type { Plan } from './runbooks.js';
import type { EnvironmentName } from '../../contracts/environments.js';


/** The state machine's data when the remediation ends, whichever path it took. */
export interface RemediationState {
  readonly incident?: RemediationEvent;
  readonly switches?: Switches;
  readonly plan?: Plan | { readonly action: 'verify-health'; readonly reason: string };
  readonly guard?: Guard;
  /** What the action returned: a deployment id, or the scaling override's execution. */
  readonly action?: { readonly deploymentId?: string; readonly executionArn?: string; readonly alreadyStarted?: boolean };
  readonly application?: ProbeProgress & { readonly stopReason?: string };
  readonly failure?: CaughtError;
  /** What releasing the lock answered: false when it had been taken over (or had expired and was taken). */
  readonly release?: { readonly released: boolean };
  /** Releasing the lock failed even after its retries: the lock is held until it expires. */
  readonly releaseFailure?: CaughtError;
}

export interface ReportSettings {
  readonly environment: EnvironmentName;
  readonly region: string;
  /** The guardrails table, for the command that releases a lock left held. */
  readonly tableName: string;
  readonly clusterName: string;
  readonly servicePrefix: string;
  readonly killSwitchParameter: string;
  readonly dryRunParameter: string;
  readonly consecutiveSuccesses: number;
}

/** Why a step failed, for the on-call; the shared reading of a Catch's Cause. */
const failureMessage = (error: CaughtError | undefined): string => causeMessage(error) ?? 'unknown error';

/** "would raise max ..." / "raised max ...": one phrase per planned action. */
function describeAction(plan: NonNullable<RemediationState['plan']>, incident: RemediationEvent, done: boolean): string {
  const service = incident.service ?? incident.subject;
  switch (plan.action) {
    case 'scale-out':
      return `${done ? 'started a scaling override raising' : 'raise'} the max capacity of ${service} from ${plan.from.max} to ${plan.override.max} for ${plan.override.durationMinutes} min`;
    case 'restart':
      return `${done ? 'started' : 'start'} a rolling restart of ${service}`;
    case 'roll-back':
      return `${done ? 'rolled' : 'roll'} ${service} back from ${plan.fromTaskDefinition} to ${plan.toTaskDefinition}`;
    case 'verify-health':
      return `${done ? 'probed' : 'probe'} the application's health endpoint until it answers several times in a row`;
    case 'none':
      return `do nothing (${plan.reason})`;
  }
}

function undoFor(plan: NonNullable<RemediationState['plan']>, incident: RemediationEvent, settings: ReportSettings): string {
  const service = incident.service ?? incident.subject;
  switch (plan.action) {
    case 'scale-out':
      return `The override reverts by itself after ${plan.override.durationMinutes} min. To revert now: \`fhops scale-revert ${settings.environment} ${service}\` or \`/ops scale-revert ${settings.environment} ${service}\`.`;
    case 'restart':
      return 'A restart is not undone: the new tasks run the same task definition. If they fail to start, the deployment circuit breaker rolls back by itself.';
    case 'roll-back':
      return `To go forward again: aws ecs update-service --region ${settings.region} --cluster ${settings.clusterName} --service ${settings.servicePrefix}${service} --task-definition ${plan.fromTaskDefinition}`;
    case 'verify-health':
    case 'none':
      return 'Nothing to undo: nothing was changed.';
  }
}

/** What became of the service lock, as the release step answered: never assumed. */
function lockOutcome(state: RemediationState): { line: string; held: boolean } {
  const guard = state.guard;
  if (!guard?.acquired) return { line: '', held: false };
  if (state.releaseFailure) {
    return {
      line: ` The lock on ${guard.lockKey} could NOT be released (${failureMessage(state.releaseFailure)}): no other remediation of ${guard.lockKey} runs until it expires${guard.lockUntil ? ` at ${guard.lockUntil}` : ''}.`,
      held: true,
    };
  }
  if (state.release?.released === true) return { line: ` The lock on ${guard.lockKey} is released.`, held: false };
  if (state.release?.released === false) return { line: ` The lock on ${guard.lockKey} was no longer this remediation's (it had expired and been taken over).`, held: false };
  return { line: ` Whether the lock on ${guard.lockKey} was released is unknown: it expires by itself${guard.lockUntil ? ` at ${guard.lockUntil}` : ''}.`, held: true };
}

/** The remediation's OpsResult: what triggered it, what the guardrails said, what was done, and how to undo it. */
export function remediationResult(state: RemediationState, settings: ReportSettings, execution: { arn?: string; startedAt: string }, now: Date): OpsResultInput {
  const { incident, switches, plan, guard, failure } = state;
  const base = {
    kind: 'OpsResult' as const,
    workflow: 'alarm-remediation',
    environment: settings.environment,
    startedAt: execution.startedAt,
    finishedAt: now.toISOString(),
    durationSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(execution.startedAt)) / 1000)),
    executionArn: execution.arn,
    requestedBy: incident?.requestedBy,
  };
  if (!incident) {
    return {
      ...base,
      outcome: 'failed',
      severity: 'warning',
      summary: `Remediation could not read its event: ${failureMessage(failure)}`,
      actionsTaken: ['Nothing was changed'],
      howToUndo: 'Nothing to undo. Runbook: docs/runbooks/alarm-remediation.md',
    };
  }
  // Alarm reasons usually end with a period already; the summary adds its own.
  const context = `${incident.subject} (${incident.kind}): ${incident.detail.replace(/\.+$/, '')}`;
  const runbook = `Runbook: ${incident.runbookLink}`;
  const nothing = { actionsTaken: ['Nothing was changed'], howToUndo: `Nothing to undo: nothing was changed. ${runbook}` };

  if (!switches) {
    return { ...base, outcome: 'failed', severity: 'critical', summary: `Remediation of ${context} could not check its guardrails, so it did nothing: ${failureMessage(failure)}. ${runbook}`, ...nothing };
  }
  if (switches.killSwitch) {
    return {
      ...base,
      outcome: 'skipped',
      severity: 'warning',
      summary: `Automatic remediation is PAUSED (${settings.killSwitchParameter} is on): ${context}. It would follow the ${incident.runbook} runbook; nothing was done. ${runbook}`,
      actionsTaken: ['Nothing was changed: the kill switch is on'],
      howToUndo: `Resume automatic remediation: aws ssm put-parameter --region ${settings.region} --name ${settings.killSwitchParameter} --value off --overwrite`,
    };
  }
  if (!plan) {
    if (failure) return { ...base, outcome: 'failed', severity: 'critical', summary: `Remediation of ${context} could not plan: ${failureMessage(failure)}. Nothing was changed. ${runbook}`, ...nothing };
    return { ...base, outcome: 'succeeded', severity: 'warning', summary: `${context}. No automatic action for ${incident.kind}. ${runbook}`, ...nothing };
  }
  if (plan.action === 'none') {
    return { ...base, outcome: 'succeeded', severity: 'warning', summary: `${context}. No action: ${plan.reason}. ${runbook}`, ...nothing };
  }
  if (switches.dryRun) {
    return {
      ...base,
      outcome: 'skipped',
      severity: 'info',
      summary: `DRY RUN (${switches.dryRunSource ?? 'dry run'}): ${context}. Would ${describeAction(plan, incident, false)}: ${plan.reason}. Nothing was changed.`,
      actionsTaken: ['Nothing was changed: dry run'],
      howToUndo: `Nothing to undo. To act for real: aws ssm put-parameter --region ${settings.region} --name ${settings.dryRunParameter} --value off --overwrite`,
    };
  }
  if (guard && !guard.acquired) {
    return { ...base, outcome: 'skipped', severity: 'info', summary: `${context}. No action: ${guard.detail}. ${runbook}`, ...nothing };
  }
  const cooldown = guard?.acquired ? ` Cooldown on ${guard.cooldownKey} until ${guard.cooldownUntil}.` : '';
  const lock = lockOutcome(state);
  const releaseUndo = lock.held && guard?.acquired ? ` To release the lock now: aws dynamodb delete-item --region ${settings.region} --table-name ${settings.tableName} --key '{"pk":{"S":"lock#${guard.lockKey}"}}'.` : '';
  if (failure) {
    return {
      ...base,
      outcome: 'failed',
      severity: 'critical',
      summary: `Remediation of ${context} FAILED trying to ${describeAction(plan, incident, false)}: ${failureMessage(failure)}.${lock.line}${cooldown} A person must look now. ${runbook}`,
      actionsTaken: [`Tried to ${describeAction(plan, incident, false)}`],
      howToUndo: `${undoFor(plan, incident, settings)}${releaseUndo} ${runbook}`,
    };
  }
  if (plan.action === 'verify-health') {
    const app = state.application;
    const healthy = app?.healthy === true;
    return {
      ...base,
      outcome: healthy ? 'succeeded' : 'failed',
      severity: healthy ? 'info' : 'critical',
      summary: healthy
        ? `${context}. The application is healthy: ${settings.consecutiveSuccesses} successes in a row from ${app.url} after ${app.elapsedSeconds} s.${lock.held ? lock.line : ''}`
        : `${context}. The application is NOT healthy: ${app?.stopReason ?? 'no probe result'}.${lock.held ? lock.line : ''} A person must look now. ${runbook}`,
      measurements: app ? [{ name: 'Health probes', value: app.attempts, unit: 'probes' }, { name: 'Time to healthy', value: app.elapsedSeconds, unit: 's' }] : [],
      actionsTaken: [`Probed ${app?.url ?? 'the health endpoint'} ${app?.attempts ?? 0} times`],
      howToUndo: `Nothing to undo: the verification only reads.${releaseUndo}`,
    };
  }
  const detail = state.action?.executionArn
    ? ` (${state.action.alreadyStarted ? 'already started: ' : ''}${state.action.executionArn})`
    : state.action?.deploymentId
      ? ` (deployment ${state.action.deploymentId})`
      : '';
  return {
    ...base,
    outcome: 'succeeded',
    severity: 'warning',
    summary: `${context}. Automatically ${describeAction(plan, incident, true)}${detail}: ${plan.reason}.${cooldown}${lock.held ? lock.line : ''}`,
    actionsTaken: [`${describeAction(plan, incident, true)}${detail}`],
    howToUndo: `${undoFor(plan, incident, settings)}${releaseUndo} ${runbook}`,
  };
}
