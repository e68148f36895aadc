/**
 * Errors the dr-simulation state machine routes on: Retry matches `TransientError` (functions/lib/transient-error.ts),
 * Catch matches the rest, so every failure after a restore was requested ends in the teardown and a report.
 */
export class SimulationError extends Error {
  constructor(
    name: 'AnotherDrillRunning' | 'PreconditionFailed' | 'RestoreFailed' | 'BackendFailed' | 'AgentFailed' | 'CleanupFailed' | 'InvalidInput',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = name;
  }
}
