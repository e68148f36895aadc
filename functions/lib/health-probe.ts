/**
 * Probes the application's health endpoint through the load balancer, one request per call, and keeps count of
 * consecutive successes so a state machine loop can decide "healthy" (N in a row) or "gave up" (cap reached).
 */

/** The part of `fetch` a probe needs, so tests answer without a network. */
export type ProbeFetch = (url: string, init: { method: 'GET'; redirect: 'manual'; signal: AbortSignal; headers: Record<string, string> }) => Promise<{ status: number }>;

export interface ProbeSettings {
  /** `https://<load balancer name>/api/health`. */
  readonly url: string;
  readonly consecutiveSuccesses: number;
  readonly timeoutSeconds: number;
  readonly waitCapMinutes: number;
}

/** What the loop carries between probes. */
export interface ProbeProgress {
  readonly url: string;
  readonly startedAt: string;
  readonly attempts: number;
  readonly successes: number;
  readonly consecutiveSuccesses: number;
  readonly lastStatus?: number;
  readonly lastError?: string;
  readonly lastProbeAt: string;
  readonly healthy: boolean;
  /** When the last needed success came. */
  readonly healthyAt?: string;
  readonly capReached: boolean;
  readonly elapsedSeconds: number;
}

export interface ProbeOutcome {
  readonly ok: boolean;
  readonly status?: number;
  readonly error?: string;
}

/** One GET with a time limit; a 2xx is healthy, anything else (redirects included) is not. Never throws. */
export async function probeOnce(fetchFn: ProbeFetch, url: string, timeoutSeconds: number): Promise<ProbeOutcome> {
  try {
    const response = await fetchFn(url, {
      method: 'GET',
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
      headers: { 'user-agent': 'financehub-ops-health-probe' },
    });
    return { ok: response.status >= 200 && response.status < 300, status: response.status };
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: name === 'TimeoutError' ? `no answer within ${timeoutSeconds} s` : `${name}: ${message}` };
  }
}

/** Probes once and folds the answer into the progress so far. */
export async function probeHealth(fetchFn: ProbeFetch, settings: ProbeSettings, previous: ProbeProgress | undefined, now: () => Date): Promise<ProbeProgress> {
  const startedAt = previous?.startedAt ?? now().toISOString();
  const outcome = await probeOnce(fetchFn, settings.url, settings.timeoutSeconds);
  const at = now();
  const consecutive = outcome.ok ? (previous?.consecutiveSuccesses ?? 0) + 1 : 0;
  const healthy = consecutive >= settings.consecutiveSuccesses;
  const elapsedSeconds = Math.max(0, Math.round((at.getTime() - Date.parse(startedAt)) / 1000));
  return {
    url: settings.url,
    startedAt,
    attempts: (previous?.attempts ?? 0) + 1,
    successes: (previous?.successes ?? 0) + (outcome.ok ? 1 : 0),
    consecutiveSuccesses: consecutive,
    lastStatus: outcome.status,
    lastError: outcome.error,
    lastProbeAt: at.toISOString(),
    healthy,
    healthyAt: healthy ? at.toISOString() : undefined,
    capReached: !healthy && elapsedSeconds >= settings.waitCapMinutes * 60,
    elapsedSeconds,
  };
}
