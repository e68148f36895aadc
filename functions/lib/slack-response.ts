/** Slack's response_url and incoming-webhook hosts; anything else is refused so input cannot aim our posts elsewhere. */
const SLACK_HOSTS = new Set(['hooks.slack.com']);

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

export function assertSlackUrl(url: string): URL {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' || !SLACK_HOSTS.has(parsed.hostname)) {
    throw new Error(`Refusing to post to ${parsed.protocol}//${parsed.hostname}: not a Slack response URL`);
  }
  return parsed;
}

/** Posts a message to a Slack response_url; a failure names the status Slack returned. */
export async function postToResponseUrl(fetchFn: FetchLike, url: string, message: unknown): Promise<void> {
  assertSlackUrl(url);
  const response = await fetchFn(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
  if (!response.ok) throw new Error(`Slack response_url answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
}

/** The part of `fetch` a Slack post needs (webhook or chat.postMessage): its answer's status, Retry-After and body. */
export type SlackFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
) => Promise<{ ok: boolean; status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

export interface ChatPostOptions {
  readonly fetch: SlackFetch;
  readonly sleep: (ms: number) => Promise<void>;
  /** @default 3 */
  readonly maxAttempts?: number;
  /** Longest Retry-After waited for in this invocation; longer fails it, so the asynchronous invocation retries later. @default 10000 */
  readonly maxRetryAfterMs?: number;
}

/**
 * Posts with the bot token (chat.postMessage): for follow-ups after the response URL expired. Slack allows about one
 * message per second per channel and answers 429 with Retry-After beyond; that wait is honoured (bounded). Slack
 * answers HTTP 200 with `ok: false` for refusals (`channel_not_found`, `not_in_channel`), which fail at once.
 */
export async function postChatMessage(token: string, message: { channel: string; text: string; thread_ts?: string }, options: ChatPostOptions): Promise<void> {
  const maxAttempts = options.maxAttempts ?? 3;
  const maxRetryAfter = options.maxRetryAfterMs ?? 10_000;
  for (let attempt = 1; ; attempt += 1) {
    const response = await options.fetch('https://slack.com/api/chat.postMessage', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${token}` },
      body: JSON.stringify(message),
    });
    if (response.status === 429) {
      const retryAfterMs = Number(response.headers.get('retry-after') ?? '1') * 1000;
      if (attempt >= maxAttempts || !(retryAfterMs <= maxRetryAfter)) {
        throw new Error(`Slack rate-limited chat.postMessage (Retry-After ${retryAfterMs / 1000} s); the invocation is retried later`);
      }
      await options.sleep(retryAfterMs);
      continue;
    }
    const body = await response.text();
    if (!response.ok) throw new Error(`Slack chat.postMessage answered ${response.status}: ${body.slice(0, 200)}`);
    const answer = JSON.parse(body) as { ok?: boolean; error?: string };
    if (!answer.ok) throw new Error(`Slack refused chat.postMessage to ${message.channel}: ${answer.error ?? 'no reason given'}`);
    return;
  }
}
