/**
 * Errors a state machine retries: throttling, 5xx and network failures become `TransientError`, which every Task's
 * Retry names; everything else keeps its own name so Catch routes it to the report path at once.
 */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'TimeoutError',
  'ECONNRESET',
  'ETIMEDOUT',
]);

/**
 * True for errors worth another try after a backoff, also when a library wrapped one (Powertools Parameters throws
 * `GetParameterError` with the SDK's throttle as its cause).
 */
export function isTransient(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  if (TRANSIENT_NAMES.has(error.name) || status >= 500 || (error as { $retryable?: unknown }).$retryable !== undefined) return true;
  return depth < 3 && isTransient(error.cause, depth + 1);
}

/** Runs one AWS call; a transient failure comes back as `TransientError` naming what was being done. */
export async function awsCall<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isTransient(error)) throw new TransientError(`${doing}: ${(error as Error).name}: ${(error as Error).message}`, { cause: error });
    throw error;
  }
}
