import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeTargetHealthCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type ProbeFetch, probeOnce } from '../lib/health-probe.js';
import { awsCall } from '../lib/transient-error.js';

/**
 * One round of the smoke test: the health endpoints through the public endpoint, the load balancer's view of the
 * targets, and the error-rate and latency alarms. Rounds repeat (a Wait between them) until the configured number
 * has run clean, or the release fails: an alarm in ALARM (or missing) at once, probes or targets failing for
 * several rounds in a row.
 */

export interface CheckSettings {
  /** `https://<public name>/health` (frontend) and `https://<public name>/api/health` (backend). */
  readonly endpoints: readonly { readonly name: string; readonly url: string }[];
  readonly targetGroups: readonly { readonly name: string; readonly arn: string }[];
  readonly alarmNames: readonly string[];
  readonly rounds: number;
  readonly pollSeconds: number;
  readonly maxConsecutiveFailures: number;
  readonly timeoutSeconds: number;
}

export interface CheckClients {
  readonly elb: ElasticLoadBalancingV2Client;
  readonly cloudwatch: CloudWatchClient;
  readonly fetch: ProbeFetch;
  readonly now: () => Date;
}

export interface ProbeResult {
  readonly name: string;
  readonly url: string;
  readonly ok: boolean;
  readonly status?: number;
  readonly error?: string;
  readonly milliseconds: number;
}

export interface TargetCount {
  readonly name: string;
  readonly healthy: number;
  readonly unhealthy: number;
  /** initial, draining, unused, unavailable: neither verdict yet. */
  readonly other: number;
}

export interface Round {
  readonly at: string;
  readonly probes: readonly ProbeResult[];
  readonly targets: readonly TargetCount[];
  readonly alarms: readonly { readonly name: string; readonly state: string }[];
  /** What was wrong in this round, in words; empty when clean. */
  readonly problems: readonly string[];
}

export interface WatchProgress {
  readonly startedAt: string;
  readonly rounds: number;
  readonly plannedRounds: number;
  readonly cleanRounds: number;
  readonly consecutiveFailures: number;
  readonly probeAttempts: number;
  readonly probeSuccesses: number;
  readonly slowestProbeMs: number;
  readonly lastRound: Round;
  readonly done: boolean;
  readonly verdict?: 'passed' | 'failed';
  readonly failureReason?: string;
  readonly elapsedSeconds: number;
}

async function probe(clients: CheckClients, settings: CheckSettings, endpoint: { name: string; url: string }): Promise<ProbeResult> {
  const started = Date.now();
  const outcome = await probeOnce(clients.fetch, endpoint.url, settings.timeoutSeconds);
  return { ...endpoint, ...outcome, milliseconds: Date.now() - started };
}

async function targetsOf(clients: CheckClients, group: { name: string; arn: string }): Promise<TargetCount> {
  const { TargetHealthDescriptions = [] } = await awsCall(`reading the ${group.name} targets' health`, () =>
    clients.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: group.arn })),
  );
  const states = TargetHealthDescriptions.map((target) => target.TargetHealth?.State);
  const healthy = states.filter((state) => state === 'healthy').length;
  const unhealthy = states.filter((state) => state === 'unhealthy').length;
  return { name: group.name, healthy, unhealthy, other: states.length - healthy - unhealthy };
}

/** Runs one round and folds it into the progress so far; decides when the watch is over and with which verdict. */
export async function checkRound(clients: CheckClients, settings: CheckSettings, previous: WatchProgress | undefined): Promise<WatchProgress> {
  const startedAt = previous?.startedAt ?? clients.now().toISOString();
  const probes = await Promise.all(settings.endpoints.map((endpoint) => probe(clients, settings, endpoint)));
  const targets = await Promise.all(settings.targetGroups.map((group) => targetsOf(clients, group)));
  const { MetricAlarms = [] } = await awsCall('reading the error-rate and latency alarms', () =>
    clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [...settings.alarmNames] })),
  );
  const alarms = settings.alarmNames.map((name) => ({ name, state: MetricAlarms.find((alarm) => alarm.AlarmName === name)?.StateValue ?? 'MISSING' }));

  const problems = [
    ...probes.filter((p) => !p.ok).map((p) => `${p.url} answered ${p.status ?? p.error}`),
    ...targets.filter((t) => t.healthy === 0 || t.unhealthy > 0).map((t) => `${t.name} targets: ${t.healthy} healthy, ${t.unhealthy} unhealthy`),
    ...alarms.filter((a) => a.state !== 'OK' && a.state !== 'INSUFFICIENT_DATA').map((a) => (a.state === 'MISSING' ? `alarm ${a.name} does not exist` : `alarm ${a.name} is in ${a.state}`)),
  ];
  const at = clients.now();
  const round: Round = { at: at.toISOString(), probes, targets, alarms, problems };
  const rounds = (previous?.rounds ?? 0) + 1;
  const consecutiveFailures = problems.length > 0 ? (previous?.consecutiveFailures ?? 0) + 1 : 0;
  const alarmProblem = alarms.find((a) => a.state === 'ALARM' || a.state === 'MISSING');

  let verdict: WatchProgress['verdict'];
  let failureReason: string | undefined;
  if (alarmProblem) {
    verdict = 'failed';
    failureReason = problems.find((p) => p.includes(alarmProblem.name));
  } else if (consecutiveFailures >= settings.maxConsecutiveFailures) {
    verdict = 'failed';
    failureReason = `${consecutiveFailures} rounds in a row failed: ${problems.join('; ')}`;
  } else if (rounds >= settings.rounds) {
    verdict = problems.length === 0 ? 'passed' : 'failed';
    if (verdict === 'failed') failureReason = `the last round failed: ${problems.join('; ')}`;
  }
  return {
    startedAt,
    rounds,
    plannedRounds: settings.rounds,
    cleanRounds: (previous?.cleanRounds ?? 0) + (problems.length === 0 ? 1 : 0),
    consecutiveFailures,
    probeAttempts: (previous?.probeAttempts ?? 0) + probes.length,
    probeSuccesses: (previous?.probeSuccesses ?? 0) + probes.filter((p) => p.ok).length,
    slowestProbeMs: Math.max(previous?.slowestProbeMs ?? 0, ...probes.map((p) => p.milliseconds)),
    lastRound: round,
    done: verdict !== undefined,
    verdict,
    failureReason,
    elapsedSeconds: Math.max(0, Math.round((at.getTime() - Date.parse(startedAt)) / 1000)),
  };
}
