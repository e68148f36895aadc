/** What a Step Functions Catch adds to the state: the error name and its cause. */
export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string;
}

/** The message inside a Catch's Cause: Lambda's JSON error document or the SDK's text; undefined when nothing was caught. */
export function causeMessage(error: CaughtError | undefined): string | undefined {
  if (!error) return undefined;
  try {
    const parsed = JSON.parse(error.Cause ?? '') as { errorMessage?: string };
    if (typeof parsed.errorMessage === 'string') return `${error.Error}: ${parsed.errorMessage}`;
  } catch {
    // Not JSON: an SDK integration's plain message.
  }
  return `${error.Error}: ${error.Cause ?? 'no cause given'}`;
}
