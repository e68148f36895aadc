import type { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { type Started, startOnce } from '../lib/start-once.js';
import { executionName } from '../lib/workflows.js';

/**
 * Starts the smoke test of one ECS deployment, named `<service>-<deployment id>`: the release path waits for exactly
 * that execution, and a second delivery of the event (or the other terminal event of the same deployment) finds it
 * already there and starts nothing.
 */

const eventSchema = z.looseObject({
  'detail-type': z.literal('ECS Deployment State Change'),
  resources: z.array(z.string()).min(1),
  detail: z.looseObject({ deploymentId: z.string().min(1) }),
});

/** `frontend` of `arn:aws:ecs:...:service/<cluster>/<prefix>-frontend`; the state machine decides whether it is ours. */
export function serviceOfArn(serviceArn: string): string {
  return serviceArn.split('/').at(-1)?.split('-').at(-1) ?? 'unknown';
}

export async function startSmokeTest(sfn: SFNClient, stateMachineArn: string, event: unknown): Promise<Started> {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    throw new Error(`Not an ECS deployment event (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}); no smoke test started`);
  }
  return startOnce(sfn, stateMachineArn, executionName(serviceOfArn(parsed.data.resources[0] ?? ''), parsed.data.detail.deploymentId), { event: parsed.data }, 'starting the smoke test');
}
