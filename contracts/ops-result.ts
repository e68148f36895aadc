import * as z from 'zod';
import { ENVIRONMENTS } from './environments.js';

/**
 * What every workflow of this project publishes to the notification topic when it ends, success or failure.
 * Read at 3 AM: it says what happened, what was done, and how to undo it.
 */
export const opsResultSchema = z.object({
  kind: z.literal('OpsResult'),
  workflow: z.string().min(1),
  environment: z.enum(ENVIRONMENTS),
  outcome: z.enum(['succeeded', 'failed', 'skipped']),
  severity: z.enum(['info', 'warning', 'critical']),
  summary: z.string().min(1),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationSeconds: z.number().nonnegative(),
  measurements: z
    .array(
      z.object({
        name: z.string(),
        value: z.number(),
        unit: z.string(),
        target: z.number().optional(),
        passed: z.boolean().optional(),
      }),
    )
    .default([]),
  actionsTaken: z.array(z.string()).default([]),
  howToUndo: z.string().optional(),
  reportUrl: z.string().optional(),
  executionArn: z.string().optional(),
  requestedBy: z.string().optional(),
});

export type OpsResult = z.infer<typeof opsResultSchema>;
export type OpsResultInput = z.input<typeof opsResultSchema>;
