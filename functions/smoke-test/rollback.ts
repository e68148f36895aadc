import type { ReleaseSettings } from '../lib/release.js';
import type { Deployment } from './deployment.js';

/**
 * What a failed release leads to (the rollback itself is functions/lib/release.ts): only completed deployments are
 * rolled back here, since a failed one was already taken back by ECS's circuit breaker, and a deployment that is itself
 * a rollback is never rolled back further.
 */

export interface RollbackSettings extends ReleaseSettings {
  readonly mode: 'automatic' | 'approval';
  /** This environment's Slack command, which asks for a rollback that needs two people. */
  readonly slashCommand: string;
}

export interface RollbackPlan {
  readonly action: 'roll-back' | 'none';
  readonly reason: string;
}

export function planRollback(settings: RollbackSettings, deployment: Deployment): RollbackPlan {
  if (deployment.eventName === 'SERVICE_DEPLOYMENT_FAILED') {
    return { action: 'none', reason: `ECS failed the deployment (${deployment.eventReason ?? 'no reason given'}); its circuit breaker rolls the service back to its last working definition` };
  }
  if (!deployment.previousTaskDefinition) return { action: 'none', reason: 'ECS has no record of the task definition this deployment replaced: nothing to roll back to' };
  if (deployment.isRollback) {
    return { action: 'none', reason: `this deployment already went back to an older revision (${deployment.taskDefinition}); it is not rolled back further` };
  }
  if (settings.mode === 'approval') {
    return { action: 'none', reason: `a rollback in ${settings.environment} needs two people: one asks for it, a second approves (below)` };
  }
  return { action: 'roll-back', reason: `roll back to ${deployment.previousTaskDefinition}` };
}
