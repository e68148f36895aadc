import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { awsCall } from '../lib/transient-error.js';
import { executionName } from '../lib/workflows.js';

/**
 * Starts the remediation for one EventBridge event, named after the event's id: EventBridge delivers at least once,
 * and a second delivery of the same event finds its execution already there and starts nothing.
 */

const eventSchema = z.looseObject({
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
});

export interface Started {
  readonly executionName: string;
  readonly executionArn: string;
  /** True when this event's remediation was already started (a duplicate delivery). */
  readonly duplicate: boolean;
}

export async function startRemediation(sfn: SFNClient, stateMachineArn: string, event: unknown): Promise<Started> {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    throw new Error(`Not an EventBridge event (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}); no remediation started`);
  }
  const name = executionName('event', parsed.data.id);
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  try {
    const started = await awsCall('starting the remediation', () =>
      sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ event: parsed.data }) })),
    );
    return { executionName: name, executionArn: started.executionArn ?? executionArn, duplicate: false };
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists) return { executionName: name, executionArn, duplicate: true };
    throw error;
  }
}
