import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import * as z from 'zod';
import type { ProbeFetch } from '../lib/health-probe.js';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { type CheckSettings, type WatchProgress, checkRound } from './checks.js';
import { type Deployment, type DeploymentSettings, readDeployment } from './deployment.js';
import { rollBack, runningAfterFailure } from '../lib/release.js';
import { type SmokeTestState, smokeTestResult } from './report.js';
import { type RollbackSettings, planRollback } from './rollback.js';

/**
 * The smoke test's task handler: one function, one `action` per step of the state machine. Every step is safe to
 * retry: reads change nothing, a check round only probes, and the rollback skips the update when the service already
 * runs the previous definition.
 */

export interface SmokeTestClients {
  readonly ecs: ECSClient;
  readonly elb: ElasticLoadBalancingV2Client;
  readonly cloudwatch: CloudWatchClient;
  readonly fetch: ProbeFetch;
  readonly now: () => Date;
}

export interface SmokeTestDependencies {
  readonly clients: SmokeTestClients;
  readonly deployment: DeploymentSettings;
  readonly checks: CheckSettings;
  readonly rollback: RollbackSettings;
  readonly publish: (result: OpsResultInput) => Promise<unknown>;
}

// The deployment and the progress are produced by this function and carried by the state machine; parsed loosely.
const object = <T>(field: string) => z.custom<T>((value) => typeof value === 'object' && value !== null && field in value, `expected an object with ${field}`);
const deployment = object<Deployment>('taskDefinition');

export const smokeTestEventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('readDeployment'), input: z.unknown() }),
  z.object({ action: z.literal('checkRound'), previous: object<WatchProgress>('rounds').optional() }),
  z.object({ action: z.literal('planRollback'), deployment }),
  z.object({ action: z.literal('rollBack'), deployment }),
  z.object({ action: z.literal('report'), state: z.record(z.string(), z.unknown()), executionArn: z.string().optional(), startedAt: z.iso.datetime() }),
]);

export async function runSmokeTestAction(event: unknown, deps: SmokeTestDependencies): Promise<unknown> {
  const parsed = smokeTestEventSchema.safeParse(event);
  if (!parsed.success) throw new Error(`Not a smoke-test step: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}`);
  const step = parsed.data;
  const { clients } = deps;
  switch (step.action) {
    case 'readDeployment':
      return readDeployment(clients.ecs, deps.deployment, step.input);
    case 'checkRound':
      return checkRound(clients, deps.checks, step.previous);
    case 'planRollback':
      return planRollback(deps.rollback, step.deployment);
    case 'rollBack':
      return rollBack(clients.ecs, deps.rollback, step.deployment, clients.now);
    case 'report': {
      const state = step.state as SmokeTestState;
      const runningNow = state.rollbackFailure && state.deployment && !state.deployment.ignored ? await runningAfterFailure(clients.ecs, deps.rollback, state.deployment.serviceName) : undefined;
      const result = smokeTestResult(state, deps.rollback, { arn: step.executionArn, startedAt: step.startedAt, runningNow }, clients.now());
      const { verdict, ...published } = result;
      await deps.publish(published);
      return { verdict, outcome: result.outcome, summary: result.summary };
    }
  }
}
