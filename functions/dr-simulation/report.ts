import type { OpsResultInput } from '../../contracts/ops-result.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import { type CaughtError, causeMessage } from '../lib/caught-error.js';
import { type DrillEndState, drillLockLine } from '../lib/drill-lock.js';
import type { DrillCheck, DrillMeasurement, DrillReport, DrillTimelineEntry } from '../lib/drill-report.js';
import { type BackendProgress, type RestoreProgress, type SimulationConfig, type SimulationPlan, type TeardownProgress, costSoFar, manualTeardownCommands } from './simulation.js';

/** The state machine's data when the simulation ends, whichever path it took. */
export interface SimulationState extends DrillEndState {
  readonly plan?: SimulationPlan;
  readonly restores?: RestoreProgress;
  readonly backend?: BackendProgress;
  readonly teardown?: TeardownProgress;
  readonly teardownFailure?: CaughtError;
  readonly approvedBy?: string;
}

export interface ReportSettings {
  readonly environment: EnvironmentName;
  readonly reportsBucket: string;
  readonly config: Pick<SimulationConfig, 'drRegion' | 'cluster' | 'rtoMinutes' | 'rpoMinutes' | 'maxCostUsd'>;
  /** The drill lock's table and region, for the line that says how to release it by hand. */
  readonly lockTableName: string;
  readonly region: string;
}

export interface BuiltReport {
  readonly evidence: DrillReport;
  readonly rtoMinutes?: number;
  readonly dataLossMinutes?: number;
  readonly costUsd?: number;
  /** Something the simulation created may still exist. */
  readonly leftBehind: boolean;
  /** Undefined when the lock's release was answered; else the line saying it is still held and how to release it. */
  readonly lockStillHeld?: string;
}

const minutes = (fromIso: string, toIso: string) => Math.round(((Date.parse(toIso) - Date.parse(fromIso)) / 60_000) * 10) / 10;

/** Where the simulation stood when it stopped early: the first phase not confirmed. */
function phaseOf(state: SimulationState): string {
  if (!state.plan) return 'the preconditions';
  if (!state.restores?.ready) return 'the restores';
  if (!state.backend) return 'starting the backend';
  if (!state.backend.healthy) return 'waiting for /api/health';
  return 'the verification';
}

function failureOf(state: SimulationState): string | undefined {
  if (state.failure) return causeMessage(state.failure)?.replace(/\.+$/, '');
  if (state.restores?.stopReason && !state.restores.ready) return `Stopped: ${state.restores.stopReason}`;
  if (state.backend?.stopReason && !state.backend.healthy) return `Stopped: ${state.backend.stopReason}`;
  return undefined;
}

function checks(state: SimulationState): DrillCheck[] {
  const found: DrillCheck[] = [];
  const { plan, restores, backend } = state;
  if (plan) {
    found.push({ name: 'Replicated automated backups', passed: true, detail: `${plan.automatedBackupsArn}, restorable to ${plan.latestRestorableTime}` });
    found.push({ name: 'EFS copy in the DR vault', passed: true, detail: `${plan.recoveryPointArn} from ${plan.recoveryPointCreatedAt}` });
    found.push({ name: 'Replicated image', passed: true, detail: plan.image });
  }
  if (restores) {
    found.push({ name: 'Database restored', passed: restores.databaseAvailableAt !== undefined, detail: `${plan?.instanceId ?? 'instance'} ${restores.databaseStatus}${restores.endpoint ? ` at ${restores.endpoint}` : ''}` });
    found.push({ name: 'File system restored', passed: restores.fileSystemRestoredAt !== undefined, detail: `restore job ${restores.restoreJobId} ${restores.restoreJobStatus}${restores.fileSystemId ? `, ${restores.fileSystemId}` : ''}` });
  }
  if (backend) {
    found.push({ name: 'Backend healthy', passed: backend.healthy, detail: `${backend.probes} probes of /api/health, last ${backend.lastProbe ?? 'none'} (task ${backend.lastStatus})` });
    const verification = backend.verification;
    if (verification) {
      found.push({
        name: 'Verification SQL',
        passed: verification.passed,
        detail: verification.passed ? verification.tables.map((t) => `${t.table}: ${t.rows ?? 0} rows`).join('; ') : verification.problems.join('; '),
      });
    }
  }
  if (state.teardown || state.teardownFailure) {
    const { teardown } = state;
    found.push({
      name: 'Teardown',
      passed: teardown?.gone === true && !state.teardownFailure,
      detail: teardown?.gone ? `nothing of ${plan?.executionName ?? 'the execution'} left (read back)` : (teardown?.pending.join('; ') ?? causeMessage(state.teardownFailure) ?? 'not confirmed'),
    });
  }
  return found;
}

function timeline(state: SimulationState, startedAt: string, finishedAt: string, failure: string | undefined): DrillTimelineEntry[] {
  const { plan, restores, backend, teardown } = state;
  const entries: (DrillTimelineEntry | false | undefined | '')[] = [
    { at: startedAt, step: 'Simulation started', detail: plan?.requestedBy ?? state.requestedBy ? `requested by ${plan?.requestedBy ?? state.requestedBy}` : 'scheduled' },
    plan && { at: plan.checkedAt, step: 'Preconditions checked', detail: `no other simulation running; backups restorable to ${plan.latestRestorableTime}` },
    restores && { at: restores.databaseRequestedAt, step: 'Restores requested', detail: `database to ${restores.restorePoint} into ${plan?.instanceId ?? ''}; file system from ${plan?.recoveryPointArn ?? ''}` },
    restores?.databaseAvailableAt && { at: restores.databaseAvailableAt, step: 'Database available', detail: restores.endpoint ?? '' },
    restores?.fileSystemRestoredAt && { at: restores.fileSystemRestoredAt, step: 'File system restored', detail: restores.fileSystemId ?? '' },
    backend && { at: backend.requestedAt, step: 'Backend started', detail: backend.taskArn },
    backend?.runningAt && { at: backend.runningAt, step: 'Backend running', detail: backend.address ?? '' },
    backend?.healthyAt && { at: backend.healthyAt, step: 'Backend healthy', detail: `${backend.consecutiveSuccesses} successes in a row` },
    failure !== undefined && { at: finishedAt, step: `Stopped during ${phaseOf(state)}`, detail: failure },
    teardown?.goneAt && { at: teardown.goneAt, step: 'Teardown confirmed', detail: teardown.actions.join('; ') },
  ];
  return entries.filter((entry): entry is DrillTimelineEntry => Boolean(entry));
}

/** The simulation's verdict and evidence from its end state: RTO against 4 h, data-loss window against 15 min, what is left. */
export function buildReport(state: SimulationState, settings: ReportSettings, execution: { name: string; arn?: string; startedAt: string }, finishedAt: Date): BuiltReport {
  const { config } = settings;
  const finished = finishedAt.toISOString();
  const { plan, restores, backend, teardown } = state;
  const failure = failureOf(state);
  const rtoMinutes = backend?.healthyAt ? minutes(execution.startedAt, backend.healthyAt) : undefined;
  const dataLossMinutes = restores ? minutes(restores.restorePoint, restores.databaseRequestedAt) : undefined;
  const costUsd = plan ? costSoFar(plan, teardown?.goneAt ? new Date(teardown.goneAt) : finishedAt) : undefined;
  // Nothing exists before the restores are requested; after that only the read-back teardown says it is gone.
  const restoreRequested = state.restores !== undefined || (state.plan !== undefined && state.failure !== undefined && !/AnotherDrillRunning|PreconditionFailed/.test(state.failure.Error));
  const leftBehind = restoreRequested && teardown?.gone !== true;
  const verificationPassed = backend?.verification?.passed === true;
  const measurements: DrillMeasurement[] = [];
  if (rtoMinutes !== undefined) measurements.push({ name: 'RTO (start to healthy)', value: rtoMinutes, unit: 'min', target: config.rtoMinutes, passed: rtoMinutes <= config.rtoMinutes });
  if (dataLossMinutes !== undefined) measurements.push({ name: 'Data-loss window', value: dataLossMinutes, unit: 'min', target: config.rpoMinutes, passed: dataLossMinutes <= config.rpoMinutes });
  if (costUsd !== undefined) measurements.push({ name: 'Estimated cost', value: costUsd, unit: 'USD', target: config.maxCostUsd, passed: costUsd <= config.maxCostUsd });
  const missed = measurements.filter((m) => m.passed === false && m.unit === 'min').map((m) => `${m.name} ${m.value} min > ${m.target} min`);
  const skipped = state.failure?.Error === 'AnotherDrillRunning';
  const succeeded = !failure && backend?.healthy === true && verificationPassed && missed.length === 0 && !leftBehind && !state.teardownFailure;
  const outcome: OpsResultInput['outcome'] = skipped ? 'skipped' : succeeded ? 'succeeded' : 'failed';
  const severity: OpsResultInput['severity'] = outcome === 'succeeded' ? 'info' : skipped ? 'warning' : leftBehind ? 'critical' : 'critical';
  const left = leftBehind
    ? ` Resources of this simulation may still exist in ${config.drRegion}${teardown?.pending.length ? `: ${teardown.pending.join('; ')}` : ''}; remove them by hand (commands in the report).`
    : restoreRequested
      ? ` Everything it created in ${config.drRegion} is deleted (read back).`
      : ' Nothing was created.';
  const figures = [rtoMinutes !== undefined && `RTO ${rtoMinutes} min (target ${config.rtoMinutes})`, dataLossMinutes !== undefined && `data-loss window ${dataLossMinutes} min (target ${config.rpoMinutes})`]
    .filter(Boolean)
    .join(', ');
  const verdict =
    outcome === 'succeeded'
      ? `DR simulation passed in ${config.drRegion}: ${figures}; /api/health healthy and the verification SQL passed on the restored database.${left}`
      : skipped
        ? `DR simulation not run: ${failure ?? 'another simulation is running'}${left}`
        : failure
          ? `DR simulation FAILED during ${phaseOf(state)}: ${failure}.${left}`
          : `DR simulation FAILED${missed.length ? ` (missed targets: ${missed.join(', ')})` : ''}: ${backend?.verification && !verificationPassed ? `verification SQL: ${backend.verification.problems.join('; ')}` : figures}.${left}`;
  // The lock as DynamoDB answered its release; a release that failed is said in the summary, with how to undo it.
  const lock = drillLockLine(state.lockRelease, state.lockReleaseFailure, { tableName: settings.lockTableName, region: settings.region, expiresAt: plan?.lockExpiresAt });
  const summary = state.lockRelease ? verdict : `${verdict} ${lock}`;
  const resources = [
    plan && (restores || teardown) ? `Database ${plan.instanceId}: ${teardown?.gone ? 'deleted' : (teardown?.pending.find((p) => p.startsWith('database')) ?? (restores ? 'may exist' : 'never created'))}.` : '',
    restores?.fileSystemId ? `File system ${restores.fileSystemId}: ${teardown?.gone ? 'deleted' : 'may exist'}.` : restores ? `EFS restore job ${restores.restoreJobId}: ${restores.restoreJobStatus}.` : '',
    backend ? `Backend task ${backend.taskArn}: ${teardown?.gone ? 'stopped' : backend.lastStatus}.` : '',
  ].filter((line) => line.length > 0);
  const cleanedUp = resources.length > 0 ? resources : [restoreRequested ? `Restores were requested in ${config.drRegion}; ${teardown?.gone ? 'everything the simulation created is deleted (read back)' : 'what they created may still exist'}.` : 'Nothing was created: the simulation stopped before it requested a restore.'];
  const currentState = [
    leftBehind ? `Resources of this simulation may still exist in ${config.drRegion}; remove them with the commands below.` : restoreRequested ? `Nothing of this simulation remains in ${config.drRegion} (read back).` : `Nothing was created in ${config.drRegion}.`,
    `The platform in the primary region was not touched: the simulation creates and deletes in ${config.drRegion} only.`,
    lock,
    ...(leftBehind && plan ? manualTeardownCommands(config, plan) : []),
  ];
  const evidence: DrillReport = {
    workflow: 'dr-simulation',
    title: 'DR simulation',
    environment: settings.environment,
    executionName: execution.name,
    executionArn: execution.arn,
    startedAt: execution.startedAt,
    finishedAt: finished,
    outcome,
    severity,
    summary,
    requestedBy: plan?.requestedBy ?? state.requestedBy,
    approvedBy: plan?.approvedBy ?? state.approvedBy,
    checks: checks(state),
    measurements,
    timeline: timeline(state, execution.startedAt, finished, failure),
    currentState,
    cleanedUp,
  };
  return { evidence, rtoMinutes, dataLossMinutes, costUsd, leftBehind, lockStillHeld: state.lockRelease ? undefined : lock };
}

/** The OpsResult on-call reads: what happened, what was done, how to undo what is left. */
export function opsResultOf(built: BuiltReport, reportUrl: string, teardown: TeardownProgress | undefined): OpsResultInput {
  const { evidence } = built;
  return {
    kind: 'OpsResult',
    workflow: 'dr-simulation',
    environment: evidence.environment,
    outcome: evidence.outcome,
    severity: evidence.severity,
    summary: evidence.summary,
    startedAt: evidence.startedAt,
    finishedAt: evidence.finishedAt,
    durationSeconds: Math.max(0, Math.round((Date.parse(evidence.finishedAt) - Date.parse(evidence.startedAt)) / 1000)),
    measurements: [...evidence.measurements],
    actionsTaken: [...(teardown?.actions ?? [])],
    howToUndo: [
      built.leftBehind ? evidence.currentState.filter((line) => line.startsWith('aws ')).join('\n') : 'Nothing to undo: the simulation ran in the DR region only and removed what it created.',
      built.lockStillHeld,
    ]
      .filter(Boolean)
      .join('\n'),
    reportUrl,
    executionArn: evidence.executionArn,
    requestedBy: evidence.requestedBy,
  };
}
