import { type ApplicationAutoScalingClient, DescribeScalableTargetsCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeExecutionCommand, ExecutionDoesNotExist, ExecutionStatus, ListExecutionsCommand, type SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { awsCall } from '../lib/transient-error.js';
import type { ApplyRequest, OverrideRequest } from './request.js';
import type { ServiceName } from '../../contracts/environments.js';

/**
 * A scaling override changes the service's Application Auto Scaling bounds (never the desired count, which the
 * scaling policy would undo), waits in its own execution, and restores the baseline. A newer override of the same
 * service stops the older execution first, so exactly one revert is pending per service.
 */

export interface OverrideSettings {
  readonly clusterName: string;
  /** `${prefix}-` + service = the ECS service name. */
  readonly servicePrefix: string;
  /** This state machine, whose running executions are the overrides in force. */
  readonly stateMachineArn: string;
}

export interface OverrideClients {
  readonly autoscaling: ApplicationAutoScalingClient;
  readonly sfn: SFNClient;
  readonly now: () => Date;
}

export interface Capacity {
  readonly min: number;
  readonly max: number;
}

export interface ReplacedOverride {
  readonly executionName: string;
  readonly executionArn: string;
  readonly startedAt?: string;
  readonly min?: number;
  readonly max?: number;
  readonly requestedBy?: string;
}

export interface AppliedOverride extends Capacity {
  readonly appliedAt: string;
  /** When the Wait state ends and the baseline comes back. */
  readonly revertAt: string;
}

export interface Reverted extends Capacity {
  readonly revertedAt: string;
  /** False when the bounds were no longer this override's (someone changed them since): left as they were. */
  readonly restored: boolean;
  /** The baseline was registered by this step (not already in place). */
  readonly registered?: boolean;
  readonly found: Capacity;
}

const SCALABLE_DIMENSION = 'ecs:service:DesiredCount';

export function resourceId(settings: OverrideSettings, service: ServiceName): string {
  return `service/${settings.clusterName}/${settings.servicePrefix}${service}`;
}

/** The manual command that puts the bounds back, for reports when the workflow could not. */
export function manualRevertCommand(settings: OverrideSettings, service: ServiceName, baseline: Capacity): string {
  return `aws application-autoscaling register-scalable-target --service-namespace ecs --scalable-dimension ${SCALABLE_DIMENSION} --resource-id ${resourceId(settings, service)} --min-capacity ${baseline.min} --max-capacity ${baseline.max}`;
}

function serviceOfInput(input: string | undefined): { service?: string; min?: number; max?: number; requestedBy?: string } {
  try {
    const parsed = JSON.parse(input ?? '{}') as Record<string, unknown>;
    return {
      service: typeof parsed.service === 'string' ? parsed.service : undefined,
      min: typeof parsed.min === 'number' ? parsed.min : undefined,
      max: typeof parsed.max === 'number' ? parsed.max : undefined,
      requestedBy: typeof parsed.requestedBy === 'string' ? parsed.requestedBy : undefined,
    };
  } catch {
    return {};
  }
}

/**
 * Stops every running override of the same service that started before this execution (so of two started together,
 * the newer wins); their pending reverts go with them. Safe to retry: an execution already stopped is skipped.
 */
export async function replaceEarlierOverrides(
  clients: OverrideClients,
  settings: OverrideSettings,
  request: OverrideRequest,
  own: { executionArn: string; startedAt: string },
): Promise<ReplacedOverride[]> {
  const ownStart = Date.parse(own.startedAt);
  const candidates = [];
  let nextToken: string | undefined;
  do {
    const page = await awsCall('listing running overrides', () =>
      clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: settings.stateMachineArn, statusFilter: ExecutionStatus.RUNNING, maxResults: 100, nextToken })),
    );
    for (const execution of page.executions ?? []) {
      const started = execution.startDate?.getTime() ?? 0;
      const earlier = started < ownStart || (started === ownStart && (execution.executionArn ?? '') < own.executionArn);
      if (execution.executionArn && execution.executionArn !== own.executionArn && earlier) candidates.push(execution);
    }
    nextToken = page.nextToken;
  } while (nextToken);

  const replaced: ReplacedOverride[] = [];
  for (const candidate of candidates) {
    const executionArn = candidate.executionArn ?? '';
    let described;
    try {
      described = await awsCall(`reading override ${candidate.name}`, () => clients.sfn.send(new DescribeExecutionCommand({ executionArn })));
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) continue;
      throw error;
    }
    const other = serviceOfInput(described.input);
    if (described.status !== ExecutionStatus.RUNNING || other.service !== request.service) continue;
    await awsCall(`stopping override ${candidate.name}`, () =>
      clients.sfn.send(
        new StopExecutionCommand({
          executionArn,
          error: 'OverrideReplaced',
          cause: `Replaced by ${own.executionArn.split(':').at(-1)} (${request.action === 'revert' ? 'early revert' : 'a newer override'} requested by ${request.requestedBy}); its revert is no longer pending.`,
        }),
      ),
    );
    replaced.push({ executionName: candidate.name ?? executionArn, executionArn, startedAt: candidate.startDate?.toISOString(), min: other.min, max: other.max, requestedBy: other.requestedBy });
  }
  return replaced;
}

/** The bounds in force now; a service without a scalable target cannot be overridden. */
export async function currentCapacity(clients: OverrideClients, settings: OverrideSettings, service: ServiceName): Promise<Capacity & { recordedAt: string }> {
  const id = resourceId(settings, service);
  const { ScalableTargets = [] } = await awsCall(`reading the scalable target of ${service}`, () =>
    clients.autoscaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [id], ScalableDimension: SCALABLE_DIMENSION })),
  );
  const target = ScalableTargets[0];
  if (target?.MinCapacity === undefined || target.MaxCapacity === undefined) {
    throw new Error(`${id} has no scalable target: its autoscaling is not set up, so there is nothing to override`);
  }
  return { min: target.MinCapacity, max: target.MaxCapacity, recordedAt: clients.now().toISOString() };
}

async function register(clients: OverrideClients, settings: OverrideSettings, service: ServiceName, capacity: Capacity): Promise<void> {
  await awsCall(`registering ${service} min ${capacity.min} max ${capacity.max}`, () =>
    clients.autoscaling.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ResourceId: resourceId(settings, service),
        ScalableDimension: SCALABLE_DIMENSION,
        MinCapacity: capacity.min,
        MaxCapacity: capacity.max,
      }),
    ),
  );
}

/** Applies the override's bounds and says when the revert is due. Registering the same bounds again is harmless. */
export async function applyOverride(clients: OverrideClients, settings: OverrideSettings, request: ApplyRequest): Promise<AppliedOverride> {
  await register(clients, settings, request.service, { min: request.min, max: request.max });
  const appliedAt = clients.now();
  return {
    min: request.min,
    max: request.max,
    appliedAt: appliedAt.toISOString(),
    revertAt: new Date(appliedAt.getTime() + request.durationMinutes * 60_000).toISOString(),
  };
}

/**
 * Restores the baseline. An early revert always does; a scheduled one only while the bounds are still the ones this
 * override applied, so a change made since (by hand, or an override whose stop raced this revert) is left alone.
 */
export async function restoreBaseline(clients: OverrideClients, settings: OverrideSettings, request: OverrideRequest, applied: Capacity | undefined): Promise<Reverted> {
  const found = await currentCapacity(clients, settings, request.service);
  // Already the baseline: a retry after a revert whose answer was lost (or the function timed out after it).
  const atBaseline = request.action === 'apply' && found.min === request.baseline.min && found.max === request.baseline.max;
  const stillOurs = request.action === 'revert' || !applied || (found.min === applied.min && found.max === applied.max);
  if (stillOurs && !atBaseline) await register(clients, settings, request.service, request.baseline);
  return {
    ...(stillOurs || atBaseline ? request.baseline : { min: found.min, max: found.max }),
    found: { min: found.min, max: found.max },
    restored: stillOurs || atBaseline,
    registered: stillOurs && !atBaseline,
    revertedAt: clients.now().toISOString(),
  };
}
