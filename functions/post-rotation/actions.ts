import type { ECSClient } from '@aws-sdk/client-ecs';
import * as z from 'zod';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { secretKindSchema } from '../lib/rotated-secrets.js';
import { type RestartSettings, checkDeployments, postRotationResult, readBackRestarts, revocationSchema, validateRotationInput } from './restart.js';

/** The post-rotation state machine's tasks: check the input, poll the restarted services, then publish the result. */
export interface PostRotationDependencies {
  readonly ecs: ECSClient;
  readonly settings: RestartSettings;
  readonly maxChecks: number;
  readonly publish: (result: OpsResultInput) => Promise<unknown>;
  readonly now: () => Date;
}

const taskSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('validate'), input: z.unknown() }),
  z.object({ action: z.literal('checkDeployments'), cluster: z.string(), services: z.array(z.string()).min(1), attempts: z.number().int().nonnegative().optional() }),
  z.object({
    action: z.literal('report'),
    // The raw input when validation refused it: anything may be missing or malformed, and the report still goes out.
    secretId: z.unknown().optional(),
    kind: z.unknown().optional(),
    /** Which part failed, when `error` is set: the restart, or revoking the previous value after it. */
    stage: z.enum(['restart', 'revoke']).default('restart'),
    revocation: revocationSchema.optional(),
    services: z.unknown().optional(),
    rotatedAt: z.unknown().optional(),
    cluster: z.unknown().optional(),
    executionArn: z.string().optional(),
    error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
  }),
]);

const text = (value: unknown, fallback: string, max = 200) => (typeof value === 'string' && value.length > 0 ? value.slice(0, max) : fallback);

export async function runPostRotationAction(event: unknown, deps: PostRotationDependencies): Promise<unknown> {
  const task = taskSchema.parse(event);
  switch (task.action) {
    case 'validate':
      return validateRotationInput(task.input, deps.settings);
    case 'checkDeployments':
      return checkDeployments(deps.ecs, task, deps.maxChecks);
    case 'report': {
      const refused = task.error?.Error === 'InvalidRotationInput';
      const services = Array.isArray(task.services) && task.services.every((s) => typeof s === 'string') ? (task.services as string[]) : [];
      const rotatedAt = text(task.rotatedAt, deps.now().toISOString(), 40);
      // Read back only what this environment may touch; an input that did not validate names nothing trustworthy.
      const named = services.filter((s) => deps.settings.serviceNames.includes(s));
      const mine = named.length > 0 ? named : deps.settings.serviceNames;
      const restarts = refused ? undefined : await readBackRestarts(deps.ecs, { cluster: deps.settings.clusterName, services: mine, rotatedAt });
      const result = postRotationResult(
        {
          environment: deps.settings.environment,
          secretId: text(task.secretId, 'the secret'),
          kind: secretKindSchema.safeParse(task.kind).data,
          stage: task.stage,
          revocation: task.revocation,
          services: mine,
          rotatedAt,
          cluster: deps.settings.clusterName,
          executionArn: task.executionArn,
          error: task.error,
          restarts,
        },
        deps.now(),
      );
      await deps.publish(result);
      return { outcome: result.outcome, summary: result.summary };
    }
  }
}
