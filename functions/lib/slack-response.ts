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
