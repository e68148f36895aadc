import type { ECSClient } from '@aws-sdk/client-ecs';
import * as z from 'zod';
import { SERVICES } from '../../contracts/environments.js';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { type CaughtError, causeMessage } from '../lib/caught-error.js';
import { type Release, type ReleaseSettings, type RolledBack, readRelease } from '../lib/release.js';

/**
 * The rollback workflow's steps: read the service's release from ECS, decide whether it can go back (to the task
 * definition its latest deployment replaced; never a rollback of a rollback), roll back and read back, report. In
 * production the state machine runs these only after its first state verified a second person's approval of this
 * exact input. Every step is safe to retry: reads change nothing, and the rollback skips the update when the service
 * already runs the previous definition.
 */

/** The input is not a rollback this environment can do; nothing was changed. */
export class InvalidRollback extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRollback';
  }
}

export const rollbackInputSchema = z.looseObject({
  environment: z.enum(['staging', 'production'], { error: 'environment must be staging or production' }),
  service: z.enum(SERVICES, { error: `service must be one of ${SERVICES.join(', ')}` }),
  requestedBy: z.string({ error: 'requestedBy (who asks) is required' }).trim().min(1, 'requestedBy (who asks) is required'),
  reason: z.string().optional(),
});

export interface RollbackPlan {
  readonly action: 'roll-back' | 'none';
  readonly reason: string;
}

export interface RollbackRequest {
  readonly service: Release['service'];
  readonly requestedBy: string;
  readonly reason: string;
  readonly approvedBy?: string;
}

export interface ReadStep {
  readonly request: RollbackRequest;
  readonly release: Release;
  readonly plan: RollbackPlan;
}

export function parseRollbackInput(settings: ReleaseSettings, input: unknown, approval?: { approvedBy?: string }): RollbackRequest {
  const parsed = rollbackInputSchema.safeParse(input);
  if (!parsed.success) throw new InvalidRollback(`Not a rollback request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`);
  if (parsed.data.environment !== settings.environment) {
    throw new InvalidRollback(`environment: this is ${settings.environment}'s rollback workflow, not ${parsed.data.environment}'s`);
  }
  return { service: parsed.data.service, requestedBy: parsed.data.requestedBy, reason: parsed.data.reason ?? 'rollback requested', approvedBy: approval?.approvedBy };
}

export function planRollback(release: Release): RollbackPlan {
  if (!release.previousTaskDefinition) {
    return { action: 'none', reason: `ECS has no record of the task definition ${release.taskDefinition} replaced: nothing to roll back to` };
  }
  if (release.isRollback) {
    return { action: 'none', reason: `${release.serviceName} already runs an older revision than the one it replaced (${release.taskDefinition}): a rollback is not rolled back further` };
  }
  return { action: 'roll-back', reason: `roll back to ${release.previousTaskDefinition}` };
}

export async function readForRollback(ecs: ECSClient, settings: ReleaseSettings, input: unknown, approval?: { approvedBy?: string }): Promise<ReadStep> {
  const request = parseRollbackInput(settings, input, approval);
  const release = await readRelease(ecs, settings, request.service);
  return { request, release, plan: planRollback(release) };
}

/** How a rollback ended: it ran (read back), it was not possible (nothing changed), or it failed on the way. */
export type RollbackVerdict = 'rolled-back' | 'not-rolled-back' | 'failed';

/** The state machine's data at the report, whichever path it took. */
export interface RollbackState {
  readonly read?: ReadStep;
  readonly rolledBack?: RolledBack;
  readonly failure?: CaughtError;
}

const describeRelease = (release: Release) => `${release.taskDefinition} (image ${release.imageTag ?? release.image ?? 'unknown'}, commit ${release.commit ?? 'unknown'}, deployed by ${release.deployedBy})`;

/** The OpsResult of a rollback: what runs now (read back), who asked and who approved, how to return to the release. */
export function rollbackResult(
  state: RollbackState,
  settings: ReleaseSettings,
  execution: { arn?: string; startedAt: string; runningNow?: string },
  now: Date,
): OpsResultInput & { readonly verdict: RollbackVerdict } {
  const base = {
    kind: 'OpsResult' as const,
    workflow: 'rollback',
    environment: settings.environment,
    startedAt: execution.startedAt,
    finishedAt: now.toISOString(),
    durationSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(execution.startedAt)) / 1000)),
    executionArn: execution.arn,
  };
  const read = state.read;
  if (!read) {
    return {
      ...base,
      verdict: 'not-rolled-back',
      outcome: 'failed',
      severity: 'warning',
      summary: `Rollback not started: ${causeMessage(state.failure) ?? 'the release could not be read'}. Nothing was changed.`,
      actionsTaken: [],
      howToUndo: `Nothing to undo. \`fhops deploy-status --env ${settings.environment}\` shows what each service runs.`,
    };
  }
  const { request, release, plan } = read;
  const who = `requested by ${request.requestedBy}${request.approvedBy ? `, approved by ${request.approvedBy}` : ''}: ${request.reason}`;
  if (state.rolledBack) {
    const done = state.rolledBack;
    return {
      ...base,
      verdict: 'rolled-back',
      outcome: 'succeeded',
      severity: settings.environment === 'production' ? 'warning' : 'info',
      summary: `Rolled back ${release.serviceName} (${who}): it ${done.alreadyRolledBack ? 'already ran' : 'now runs'} ${done.toTaskDefinition}, deployment ${done.deploymentId ?? 'unknown'}, read back from ECS.`,
      actionsTaken: [
        `Read the release: ${describeRelease(release)}, which replaced ${done.toTaskDefinition}`,
        done.alreadyRolledBack ? `Found ${release.serviceName} already on ${done.toTaskDefinition}; updated nothing` : `Updated ${release.serviceName} to ${done.toTaskDefinition} and read back its primary deployment`,
      ],
      howToUndo: `The release rolled back was ${release.taskDefinition} (commit ${release.commit ?? 'unknown'}); to return to it, re-run its release workflow, which deploys it again and smoke-tests it.`,
      requestedBy: request.requestedBy,
    };
  }
  const failure = causeMessage(state.failure);
  if (failure) {
    return {
      ...base,
      verdict: 'failed',
      outcome: 'failed',
      severity: 'critical',
      summary: `Rollback of ${release.serviceName} to ${release.previousTaskDefinition ?? 'its previous release'} failed (${who}): ${failure}. It runs ${execution.runningNow ?? 'what could not be read'} (read after the failure).`,
      actionsTaken: [`Read the release: ${describeRelease(release)}`],
      howToUndo: `Check the service with \`fhops deploy-status --env ${settings.environment}\`; ask for the rollback again once the cause is fixed.`,
      requestedBy: request.requestedBy,
    };
  }
  return {
    ...base,
    verdict: 'not-rolled-back',
    outcome: 'failed',
    severity: 'warning',
    summary: `Not rolled back (${who}): ${plan.reason}. Nothing was changed.`,
    actionsTaken: [`Read the release: ${describeRelease(release)}`],
    howToUndo: 'Nothing to undo. To change what runs, deploy a known good commit through the release path.',
    requestedBy: request.requestedBy,
  };
}
