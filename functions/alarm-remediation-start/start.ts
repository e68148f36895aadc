import type { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { type Started, startOnce } from '../lib/start-once.js';
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

export async function startRemediation(sfn: SFNClient, stateMachineArn: string, event: unknown): Promise<Started> {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    throw new Error(`Not an EventBridge event (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}); no remediation started`);
  }
  return startOnce(sfn, stateMachineArn, executionName('event', parsed.data.id), { event: parsed.data }, 'starting the remediation');
}
