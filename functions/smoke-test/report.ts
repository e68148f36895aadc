import { type CaughtError, causeMessage } from '../lib/caught-error.js';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import type { WatchProgress } from './checks.js';
import type { DeploymentReading } from './deployment.js';
import type { RolledBack } from '../lib/release.js';
import type { RollbackPlan } from './rollback.js';

/** The state machine's data at the report, whichever path it took. */
export interface SmokeTestState {
  readonly deployment?: DeploymentReading;
  readonly watch?: WatchProgress;
  readonly plan?: RollbackPlan;
  readonly rollback?: RolledBack;
  /** A step that failed before the verdict (reading the deployment, a check round). */
  readonly failure?: CaughtError;
  /** The rollback itself failed. */
  readonly rollbackFailure?: CaughtError;
}

export interface ReportSettings {
  readonly environment: 'staging' | 'production';
  readonly clusterName: string;
  readonly slashCommand: string;
}

export type Verdict = 'passed' | 'failed' | 'ignored' | 'unknown';

/** How to roll back: `fhops rollback` in staging; in production a request a second person approves. */
export function rollbackHint(settings: ReportSettings, service: string, to: string | undefined): string {
  if (!to) return `No earlier task definition is on record for ${service}: deploy a known good commit through the release path.`;
  return settings.environment === 'production'
    ? `To roll back to ${to}: ask with \`${settings.slashCommand} rollback production ${service} <reason>\` in the production ops channel; once a second person approves, the rollback workflow rolls back, reads it back and reports here.`
    : `To roll back to ${to}: \`fhops rollback ${service} --env ${settings.environment}\` (or \`${settings.slashCommand} rollback ${settings.environment} ${service}\`).`;
}

/** The OpsResult on-call reads: service, image, who deployed it, the verdict, the figures, what was done, how to undo it. */
export function smokeTestResult(state: SmokeTestState, settings: ReportSettings, execution: { arn?: string; startedAt: string; runningNow?: string }, now: Date): OpsResultInput & { verdict: Verdict } {
  const base = {
    kind: 'OpsResult' as const,
    workflow: 'smoke-test',
    environment: settings.environment,
    startedAt: execution.startedAt,
    finishedAt: now.toISOString(),
    durationSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(execution.startedAt)) / 1000)),
    executionArn: execution.arn,
  };
  if (state.deployment?.ignored) {
    // Only a misrouted event or a hand start gets here (the rule matches this environment's cluster): worth a line.
    return {
      ...base,
      verdict: 'ignored',
      outcome: 'skipped',
      severity: 'info',
      summary: `Smoke test skipped: ${state.deployment.reason}. Nothing was probed or changed.`,
      actionsTaken: ['Read the event and compared it with this environment'],
      howToUndo: 'Nothing to undo.',
    };
  }
  const deployment = state.deployment;
  if (!deployment) {
    return {
      ...base,
      verdict: 'unknown',
      outcome: 'failed',
      severity: 'warning',
      summary: `Smoke test could not start: ${causeMessage(state.failure) ?? 'the deployment could not be read'}. Nothing was changed.`,
      howToUndo: 'Nothing to undo. Check the release with `fhops deploy-status --env ' + settings.environment + '`.',
    };
  }

  const release = `${deployment.service} ${deployment.imageTag ?? deployment.image ?? deployment.taskDefinition} (commit ${deployment.commit ?? 'unknown'}, deployed by ${deployment.deployedBy})`;
  const watch = state.watch;
  const failedDeployment = deployment.eventName === 'SERVICE_DEPLOYMENT_FAILED';
  const verdict: Verdict = failedDeployment ? 'failed' : (watch?.verdict ?? 'unknown');
  const measurements = watch
    ? [
        { name: 'Clean rounds', value: watch.cleanRounds, unit: `of ${watch.rounds}`, target: watch.plannedRounds, passed: watch.verdict === 'passed' },
        { name: 'Probes answered 2xx', value: watch.probeSuccesses, unit: `of ${watch.probeAttempts}` },
        { name: 'Slowest probe', value: watch.slowestProbeMs, unit: 'ms' },
        ...watch.lastRound.targets.map((t) => ({ name: `${t.name} healthy targets`, value: t.healthy, unit: `(${t.unhealthy} unhealthy)` })),
        { name: 'Watched', value: watch.elapsedSeconds, unit: 's' },
      ]
    : [];
  const alarms = watch ? watch.lastRound.alarms.map((a) => `${a.name} ${a.state}`).join(', ') : undefined;
  const actionsTaken = [
    ...(watch ? [`Probed ${watch.lastRound.probes.map((p) => p.url).join(' and ')} and read the targets' health and the alarms, ${watch.rounds} rounds (last: ${alarms})`] : []),
    ...(state.rollback
      ? [`${state.rollback.alreadyRolledBack ? 'Found' : 'Rolled back:'} ${deployment.serviceName} ${state.rollback.alreadyRolledBack ? 'already running' : 'now runs'} ${state.rollback.toTaskDefinition} (deployment ${state.rollback.deploymentId ?? 'unknown'}, read back from ECS)`]
      : []),
  ];
  const checkFailure = causeMessage(state.failure);
  const rollbackFailure = causeMessage(state.rollbackFailure);

  if (verdict === 'passed') {
    return {
      ...base,
      verdict,
      outcome: 'succeeded',
      severity: 'info',
      summary: `Release passed its smoke test: ${release}. ${watch?.cleanRounds} of ${watch?.rounds} rounds clean, alarms OK.`,
      measurements,
      actionsTaken,
      howToUndo: rollbackHint(settings, deployment.service, deployment.previousTaskDefinition),
      requestedBy: deployment.deployedBy,
    };
  }

  const why = failedDeployment
    ? `ECS failed the deployment: ${deployment.eventReason ?? 'no reason given'}`
    : (watch?.failureReason ?? checkFailure ?? 'the checks did not finish');
  const done = state.rollback
    ? `Rolled back to ${state.rollback.toTaskDefinition}.`
    : rollbackFailure
      ? `The rollback to ${deployment.previousTaskDefinition} failed (${rollbackFailure}); ${deployment.serviceName} runs ${execution.runningNow ?? 'what could not be read'} (read after the failure).`
      : `Not rolled back: ${state.plan?.reason ?? 'no rollback was planned'}.`;
  const undo = state.rollback
    ? `The failed release was ${deployment.taskDefinition}; to deploy it again, fix it and release a new commit (\`fhops deploy-status --env ${settings.environment}\` shows what runs).`
    : rollbackHint(settings, deployment.service, deployment.previousTaskDefinition);
  return {
    ...base,
    verdict,
    outcome: 'failed',
    severity: settings.environment === 'production' || rollbackFailure ? 'critical' : 'warning',
    summary: `Release failed its smoke test: ${release}: ${why}. ${done}`,
    measurements,
    actionsTaken,
    howToUndo: undo,
    requestedBy: deployment.deployedBy,
  };
}
