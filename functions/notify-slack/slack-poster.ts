import type { SlackFetch } from '../lib/slack-response.js';

/** Slack refused the message itself (bad webhook, revoked app): retrying cannot help. */
export class SlackWebhookRejected extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`Slack rejected the webhook post with ${status}: ${body.slice(0, 200)}`);
    this.name = 'SlackWebhookRejected';
  }
}

export interface PostOptions {
  readonly fetch: SlackFetch;
  readonly sleep: (ms: number) => Promise<void>;
  /** @default 5 */
  readonly maxAttempts?: number;
  /** @default 1000 */
  readonly baseDelayMs?: number;
  /** Longest Retry-After we honour; a longer one fails this attempt so the invocation can retry later. @default 30000 */
  readonly maxRetryAfterMs?: number;
}

/**
 * Posts one message to an incoming webhook: 429 waits as long as Retry-After says (bounded), 5xx and network
 * errors back off exponentially, other 4xx fail at once. Returns the number of attempts it took.
 */
export async function postToWebhook(url: string, message: unknown, options: PostOptions): Promise<number> {
  const maxAttempts = options.maxAttempts ?? 5;
  const base = options.baseDelayMs ?? 1000;
  const maxRetryAfter = options.maxRetryAfterMs ?? 30_000;
  let lastError: Error = new Error('no attempt made');
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    let response;
    try {
      response = await options.fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
    } catch (error) {
      lastError = error instanceof Error ? error : new Error(String(error));
      if (attempt < maxAttempts) await options.sleep(base * 2 ** (attempt - 1));
      continue;
    }
    if (response.ok) return attempt;
    const body = await response.text();
    if (response.status === 429) {
      const retryAfterMs = Number(response.headers.get('retry-after') ?? '1') * 1000;
      lastError = new Error(`Slack rate-limited the post (Retry-After ${retryAfterMs / 1000} s)`);
      if (retryAfterMs > maxRetryAfter || attempt === maxAttempts) break;
      await options.sleep(Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? retryAfterMs : base);
      continue;
    }
    if (response.status >= 500) {
      lastError = new Error(`Slack answered ${response.status}: ${body.slice(0, 200)}`);
      if (attempt < maxAttempts) await options.sleep(base * 2 ** (attempt - 1));
      continue;
    }
    throw new SlackWebhookRejected(response.status, body);
  }
  throw lastError;
}
