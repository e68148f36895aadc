import type { OpsResult } from '../contracts/ops-result.js';
import { type RotatedSecret, isMinted } from '../functions/lib/rotated-secrets.js';
import type { WorkflowRun } from './executor.js';
import type { ObservedCall } from './faults.js';
import type { RotationAttempt, SimulatedSecretsManager } from './simulated/secrets-manager.js';

/**
 * What must hold after any rehearsed rotation, faults or not, beside the rules every rehearsal keeps
 * (rehearsal/fault-checks.ts): judged from the secret's stages as Secrets Manager holds them at the end, from whether
 * a value still logs in to what it guards (the simulated PostgreSQL, the Redis tokens), from the calls AWS applied and
 * from what on-call was told.
 */

export interface RotationEvidence {
  readonly secret: RotatedSecret;
  readonly secretsManager: SimulatedSecretsManager;
  /** Every attempt Secrets Manager made, its own reattempts included. */
  readonly attempts: readonly RotationAttempt[];
  readonly run: WorkflowRun;
  readonly published: readonly OpsResult[];
  readonly calls: readonly ObservedCall[];
  /** Whether the value AWSCURRENT held before the rotation still logged in once Secrets Manager's attempts ended (rehearsal/rotation.ts). */
  readonly previousValueLoggedIn?: boolean;
  /** Whether a value of the secret logs in to what it guards, as the simulated service holds it now; none where nothing outside Secrets Manager checks it. */
  readonly authenticates?: (value: string) => boolean;
}

const field = (input: unknown, ...path: string[]): unknown => path.reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), input);

/** Report phrases about the secret's versions, and what makes each one false. */
const VERSION_CLAIMS: readonly { readonly claim: RegExp; readonly stage: 'AWSCURRENT' | 'AWSPENDING' }[] = [
  { claim: /AWSCURRENT(?: is still | \()version ([\w-]+)/g, stage: 'AWSCURRENT' },
  { claim: /AWSCURRENT version ([\w-]+)/g, stage: 'AWSCURRENT' },
  { claim: /version ([\w-]+) is AWSCURRENT/g, stage: 'AWSCURRENT' },
  { claim: /AWSPENDING \(version ([\w-]+)\)/g, stage: 'AWSPENDING' },
  { claim: /AWSPENDING version ([\w-]+)/g, stage: 'AWSPENDING' },
];

/** Phrases that say a value logs in (true) or no longer does (false). */
const LOGIN_CLAIMS: readonly { readonly claim: RegExp; readonly stage: 'AWSCURRENT' | 'AWSPENDING'; readonly logsIn: boolean }[] = [
  { claim: /AWSCURRENT \(version [\w-]+\),? (?:still logs in|the previous credentials, which still log in)|the previous credentials, which still log in/, stage: 'AWSCURRENT', logsIn: true },
  { claim: /The current token \(AWSCURRENT, version [\w-]+\) stays valid|Both tokens stay valid/, stage: 'AWSCURRENT', logsIn: true },
  { claim: /has the AWSPENDING password|the database uses the AWSPENDING master password|which the database uses|ElastiCache accepts the AWSPENDING token|which ElastiCache accepts|Both tokens stay valid/, stage: 'AWSPENDING', logsIn: true },
  { claim: /AWSCURRENT \(version [\w-]+\) no longer logs in|AWSCURRENT is still version [\w-]+, whose password no longer logs in/, stage: 'AWSCURRENT', logsIn: false },
];

/** Every violation of the rotation rules; empty when the rotation left everything working and told the truth. */
export function rotationViolations(evidence: RotationEvidence): string[] {
  const { secret, secretsManager, published, calls, authenticates } = evidence;
  const found: string[] = [];
  const arn = secret.secretArn;
  // The claims are judged in the last report: earlier ones (an owner's step that failed) were true of an attempt that
  // Secrets Manager's reattempts went on from.
  const final = published.at(-1);
  const text = final ? [final.summary, ...final.actionsTaken, final.howToUndo ?? ''].join('\n') : '';
  const applied = (command: string) => calls.filter((call) => call.applied && call.command === command);
  const current = secretsManager.versionAt(arn, 'AWSCURRENT');
  const pending = secretsManager.pendingVersion(arn);
  const value = (stage: string) => secretsManager.valueAt(arn, stage);
  const logsIn = (stage: string) => {
    const held = value(stage);
    return held !== undefined && authenticates !== undefined && authenticates(held);
  };
  const failed = evidence.attempts.at(-1)?.failedAt !== undefined;

  // On-call is told of a failed rotation: its report, or the ingress's own failure (its errors alarm reaches Slack).
  if (failed && evidence.run.error !== 'IngressFailed' && !published.some((result) => result.outcome !== 'succeeded')) {
    found.push(`the rotation failed (${evidence.attempts.at(-1)?.error?.slice(0, 120) ?? ''}) and on-call was not told`);
  }
  if (!failed && published.some((result) => result.workflow === 'secret-rotation' && result.outcome === 'failed')) found.push('reported a failed rotation although the rotation succeeded');

  // No outage: what the services read logs in. The master is read by the ops functions only, which try AWSCURRENT,
  // AWSPENDING and AWSPREVIOUS: one of them must log in, and a report must say so when AWSCURRENT does not.
  if (authenticates) {
    if (secret.kind === 'database-master') {
      if (!['AWSCURRENT', 'AWSPENDING', 'AWSPREVIOUS'].some(logsIn)) found.push('no version of the master secret logs in any more');
      if (!logsIn('AWSCURRENT') && !/no longer logs in|may or may not use the AWSPENDING/.test(text)) found.push('AWSCURRENT no longer logs in as the master, and no report says so');
    } else if (!logsIn('AWSCURRENT')) {
      found.push(`AWSCURRENT (version ${current ?? 'none'}) no longer logs in: an outage`);
    }
  }

  // The services keep the value they started with until they restart on the new one: it must go on logging in, when
  // the rotation's steps are over and (the alternating users never change it; the Redis token is revoked only by SET,
  // judged below against the restarts) at the end.
  if (evidence.previousValueLoggedIn === false && secret.kind !== 'database-master') found.push('the value the services run on no longer logged in once the rotation steps ended: an outage until they restart');
  const tokens = new Set(evidence.attempts.map((attempt) => attempt.token));
  const original = (['AWSCURRENT', 'AWSPREVIOUS'] as const).find((stage) => {
    const version = secretsManager.versionAt(arn, stage);
    return version !== undefined && !tokens.has(version);
  });
  const sets = calls.filter((call) => call.applied && call.command === 'ModifyReplicationGroup' && field(call.input, 'AuthTokenUpdateStrategy') === 'SET');
  const readByServices = secret.kind === 'database-app' || (secret.kind === 'redis-auth' && sets.length === 0);
  if (authenticates && readByServices && original && !logsIn(original)) found.push(`the value the services started with (${original} now) no longer logs in: an outage until they restart`);

  // What the reports say of the versions and of what logs in is what is in place at the end.
  for (const { claim, stage } of VERSION_CLAIMS) {
    const holder = stage === 'AWSCURRENT' ? current : pending;
    for (const [phrase, version] of text.matchAll(claim)) if (version !== holder) found.push(`says "${phrase}" although ${stage} is ${holder ?? 'on no other version'}`);
  }
  if (authenticates) {
    for (const { claim, stage, logsIn: says } of LOGIN_CLAIMS) {
      const match = claim.exec(text);
      if (match && logsIn(stage) !== says) found.push(`says "${match[0]}" although ${stage} ${says ? 'does not log in' : 'still logs in'}`);
    }
  }
  // Reports that claim the services were left alone, or that nothing was revoked.
  const restarted = applied('UpdateService');
  const touched = /the services were not touched|They were not touched|Restarted nothing|Nothing was restarted/i.exec(text);
  if (touched && restarted.length > 0) found.push(`says "${touched[0]}" although UpdateService was applied to ${restarted.map((call) => String(field(call.input, 'service'))).join(', ')}`);
  const notRevoked = /nothing was revoked|is not revoked|Did not revoke/i.exec(text);
  if (notRevoked && sets.length > 0) found.push(`says "${notRevoked[0]}" although ElastiCache was told to SET the new token`);

  // The previous Redis token is revoked only once every service that reads it restarted on the new one.
  for (const set of sets) {
    const before = calls.slice(0, calls.indexOf(set));
    const unrestarted = secret.services.filter((service) => !before.some((call) => call.applied && call.command === 'UpdateService' && String(field(call.input, 'service')).endsWith(service)));
    if (unrestarted.length > 0) found.push(`revoked the previous Redis token (SET) before ${unrestarted.join(', ')} restarted on the new one`);
  }

  // A success is a promotion: the last attempt's token is AWSCURRENT, and a minted secret's pending value logs in.
  const last = evidence.attempts.at(-1);
  if (last && !failed && current !== last.token) found.push(`the rotation succeeded but AWSCURRENT is ${current ?? 'none'}, not the rotated version ${last.token}`);
  if (failed && isMinted(secret.kind) && pending === undefined && current !== last?.token && !/No rotation is in progress/.test(text)) {
    found.push('the failed rotation left no AWSPENDING version, and no report says so');
  }
  return found;
}
