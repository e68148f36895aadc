import { TransientError, isTransient } from '../lib/transient-error.js';

/**
 * Errors the restore-drill state machine routes on: Retry matches `TransientError` (functions/lib/transient-error.ts),
 * Catch matches the rest by name, so every failure ends in cleanup and a report.
 */
export class DrillError extends Error {
  constructor(name: 'PreconditionFailed' | 'RestoreFailed' | 'VerificationFailed' | 'CleanupFailed' | 'InstanceNotDeletableYet' | 'InvalidInput', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

/** AWS SDK errors worth retrying become `TransientError` naming what was being done; everything else keeps its name. */
export function classifyAwsError(error: unknown, doing: string): Error {
  if (!(error instanceof Error)) return new Error(`${doing}: ${String(error)}`);
  if (isTransient(error)) return new TransientError(`${doing}: ${error.name}: ${error.message}`, { cause: error });
  return error;
}
