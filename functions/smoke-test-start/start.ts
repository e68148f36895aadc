import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { awsCall } from '../lib/transient-error.js';
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

export interface Started {
  readonly executionName: string;
  readonly executionArn: string;
  readonly duplicate: boolean;
}

/** `frontend` of `arn:aws:ecs:...:service/<cluster>/<prefix>-frontend`; the state machine decides whether it is ours. */
export function serviceOfArn(serviceArn: string): string {
  return serviceArn.split('/').at(-1)?.split('-').at(-1) ?? 'unknown';
}

export async function startSmokeTest(sfn: SFNClient, stateMachineArn: string, event: unknown): Promise<Started> {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    throw new Error(`Not an ECS deployment event (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}); no smoke test started`);
  }
  const name = executionName(serviceOfArn(parsed.data.resources[0] ?? ''), parsed.data.detail.deploymentId);
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  try {
    const started = await awsCall('starting the smoke test', () => sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ event: parsed.data }) })));
    return { executionName: name, executionArn: started.executionArn ?? executionArn, duplicate: false };
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists) return { executionName: name, executionArn, duplicate: true };
    throw error;
  }
}
