import {
  DescribeReplicationGroupsCommand,
  type ElastiCacheClient,
  InvalidReplicationGroupStateFault,
  ModifyReplicationGroupCommand,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import { DescribeSecretCommand, GetRandomPasswordCommand, ListSecretVersionIdsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { type RotationEvent, RotationError, pendingString, putPending, runRotationStep, secretStringAt } from '../lib/rotation-contract.js';

export interface CacheRotationDeps {
  readonly secrets: SecretsManagerClient;
  readonly elasticache: ElastiCacheClient;
  readonly replicationGroupId: string;
  readonly tokenLength: number;
  /** How long a step waits for the replication group to become available, and how often it looks. */
  readonly maxWaitMs: number;
  readonly pollIntervalMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: (message: string, details?: Record<string, unknown>) => void;
}

/** ElastiCache's AUTH token rules: 16-128 printable characters, and of the non-alphanumerics only ! & # $ ^ < > -. */
export const authTokenSchema = z
  .string()
  .min(16)
  .max(128)
  .regex(/^[A-Za-z0-9!&#$^<>-]+$/, 'only letters, digits and ! & # $ ^ < > -');

async function describeGroup(deps: CacheRotationDeps): Promise<ReplicationGroup> {
  const { ReplicationGroups = [] } = await deps.elasticache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: deps.replicationGroupId }));
  const group = ReplicationGroups[0];
  if (!group) throw new RotationError(`Replication group ${deps.replicationGroupId} not found`);
  return group;
}

const settled = (group: ReplicationGroup) => group.Status === 'available' && !group.PendingModifiedValues?.AuthTokenStatus;

/** Waits until the group is available with no AUTH token change pending; throws (the step is retried) after maxWaitMs. */
async function waitUntilSettled(deps: CacheRotationDeps, what: string): Promise<ReplicationGroup> {
  const deadline = Date.now() + deps.maxWaitMs;
  for (;;) {
    const group = await describeGroup(deps);
    if (settled(group)) return group;
    if (Date.now() + deps.pollIntervalMs > deadline) {
      throw new RotationError(
        `${deps.replicationGroupId} is still ${group.Status} (AUTH token ${group.PendingModifiedValues?.AuthTokenStatus ?? 'no change pending'}) ${what}; the step is safe to run again`,
      );
    }
    await deps.sleep(deps.pollIntervalMs);
  }
}

/**
 * One step of the Secrets Manager rotation contract for the Redis AUTH token. setSecret ROTATEs: ElastiCache then
 * accepts the old and the new token, so services still holding the old one keep working. The old token is revoked
 * (SET) only after the services restarted on the new one: that is `revokePreviousToken`, run by the post-rotation
 * workflow, not a step of the contract.
 */
export async function rotateCacheAuthToken(event: RotationEvent, deps: CacheRotationDeps): Promise<void> {
  const { SecretId, ClientRequestToken: token } = event;
  await runRotationStep(deps.secrets, event, deps.log, {
    createSecret: () => createPendingToken(SecretId, token, deps),
    setSecret: () => addPendingToken(SecretId, token, deps),
    testSecret: () => testPendingToken(SecretId, token, deps),
  }, { recordProgress: true });
}

async function createPendingToken(secretId: string, token: string, deps: CacheRotationDeps): Promise<void> {
  await secretStringAt(deps.secrets, secretId, { VersionStage: 'AWSCURRENT' });
  if (await pendingString(deps.secrets, secretId, token)) {
    deps.log('createSecret: the pending token exists already', { secretId });
    return;
  }
  const { RandomPassword } = await deps.secrets.send(new GetRandomPasswordCommand({ PasswordLength: deps.tokenLength, ExcludePunctuation: true, IncludeSpace: false }));
  if (!authTokenSchema.safeParse(RandomPassword).success) throw new RotationError('Secrets Manager returned no token ElastiCache accepts');
  await putPending(deps.secrets, secretId, token, RandomPassword!);
  deps.log('createSecret: pending token created', { secretId });
}

async function pendingToken(secretId: string, token: string, deps: CacheRotationDeps): Promise<string> {
  const pending = await pendingString(deps.secrets, secretId, token);
  if (!pending) throw new RotationError(`Version ${token} of ${secretId} has no value yet: createSecret has not run`);
  if (!authTokenSchema.safeParse(pending).success) throw new RotationError(`The pending token of ${secretId} is not one ElastiCache accepts (16-128 letters, digits, ! & # $ ^ < > -)`);
  return pending;
}

/** Whether ElastiCache's AUTH token changed after the pending version was created: the ROTATE of this rotation applied. */
async function changedSincePending(secretId: string, token: string, group: ReplicationGroup, deps: CacheRotationDeps): Promise<{ changed: boolean; created?: Date; modified?: Date }> {
  const { Versions = [] } = await deps.secrets.send(new ListSecretVersionIdsCommand({ SecretId: secretId }));
  const created = Versions.find((v) => v.VersionId === token)?.CreatedDate;
  const modified = group.AuthTokenLastModifiedDate;
  return { changed: created !== undefined && modified !== undefined && modified.getTime() >= created.getTime(), created, modified };
}

/**
 * setSecret: ROTATE adds the pending token beside the current one. ElastiCache holds two tokens at most, so a second
 * ROTATE would drop the current one while the services still use it: a repeat (Secrets Manager's reattempt, or a run
 * that timed out after ElastiCache accepted it) waits for a change under way and does not ROTATE again once the
 * token changed after the pending version was created.
 */
async function addPendingToken(secretId: string, token: string, deps: CacheRotationDeps): Promise<void> {
  const pending = await pendingToken(secretId, token, deps);
  const group = await waitUntilSettled(deps, 'before the new token can be added');
  if (!group.TransitEncryptionEnabled || !group.AuthTokenEnabled) {
    throw new RotationError(`${deps.replicationGroupId} has no AUTH token to rotate (AUTH and in-transit encryption must be enabled)`);
  }
  if ((await changedSincePending(secretId, token, group, deps)).changed) {
    deps.log('setSecret: ElastiCache applied the ROTATE of this rotation already; not repeating it', { replicationGroupId: deps.replicationGroupId });
    return;
  }
  try {
    await deps.elasticache.send(
      new ModifyReplicationGroupCommand({ ReplicationGroupId: deps.replicationGroupId, AuthToken: pending, AuthTokenUpdateStrategy: 'ROTATE', ApplyImmediately: true }),
    );
  } catch (error) {
    // Another change started between our look and our call: the next attempt waits for it.
    if (error instanceof InvalidReplicationGroupStateFault) throw new RotationError(`${deps.replicationGroupId} started another change; the step is safe to run again`);
    throw error;
  }
  const after = await waitUntilSettled(deps, 'after ROTATE');
  deps.log('setSecret: ElastiCache accepts the current and the pending token', { replicationGroupId: deps.replicationGroupId, authTokenLastModified: after.AuthTokenLastModifiedDate });
}

/**
 * testSecret, as far as ElastiCache lets us see (it never shows a token): the group is available with no change
 * pending, and its AUTH token changed after the pending version was created.
 */
async function testPendingToken(secretId: string, token: string, deps: CacheRotationDeps): Promise<void> {
  await pendingToken(secretId, token, deps);
  const group = await describeGroup(deps);
  if (!settled(group)) throw new RotationError(`${deps.replicationGroupId} is ${group.Status} with AUTH token ${group.PendingModifiedValues?.AuthTokenStatus ?? 'unchanged'}: not ready`);
  const { changed, created, modified } = await changedSincePending(secretId, token, group, deps);
  if (!changed) {
    throw new RotationError(
      `ElastiCache's AUTH token last changed ${modified?.toISOString() ?? 'never'}, before the pending token was created (${created?.toISOString() ?? 'unknown'}): setSecret did not apply it`,
    );
  }
  deps.log('testSecret: ElastiCache applied a token change after the pending token was created', { authTokenLastModified: modified, pendingCreated: created });
}

export type RevocationState =
  /** SET was accepted (or is under way): poll with checkRevocation. */
  | { readonly state: 'applying'; readonly status: string; readonly checks: number }
  | { readonly state: 'revoked'; readonly authTokenLastModified?: string; readonly note?: string }
  /** AWSCURRENT moved on since this rotation (a newer rotation or a rollback): nothing was revoked. */
  | { readonly state: 'skipped'; readonly reason: string };

async function currentVersion(deps: CacheRotationDeps, secretId: string): Promise<string | undefined> {
  const { VersionIdsToStages = {} } = await deps.secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
  return Object.entries(VersionIdsToStages).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
}

/** ElastiCache allows SET only after ROTATE: a refusal means no second token is left to revoke. */
const isSetWithoutRotate = (error: unknown) =>
  error instanceof Error && ['InvalidParameterValueException', 'InvalidParameterCombinationException'].includes(error.name) && /ROTATE/i.test(error.message);

/**
 * After the services restarted on the token `versionId` holds: SET keeps only that token. Safe to repeat: a SET
 * already under way is not redone, and one already applied is refused by ElastiCache (SET needs a ROTATE first).
 */
export async function revokePreviousToken(input: { secretId: string; versionId: string }, deps: CacheRotationDeps): Promise<RevocationState> {
  const current = await currentVersion(deps, input.secretId);
  if (current !== input.versionId) {
    return { state: 'skipped', reason: `AWSCURRENT of ${input.secretId} is now version ${current ?? 'none'}, not ${input.versionId}: the previous token was left valid` };
  }
  const group = await describeGroup(deps);
  if (group.PendingModifiedValues?.AuthTokenStatus === 'SETTING' || group.Status !== 'available') return { state: 'applying', status: group.Status ?? 'unknown', checks: 0 };
  const token = authTokenSchema.parse(await secretStringAt(deps.secrets, input.secretId, { VersionId: input.versionId }));
  try {
    await deps.elasticache.send(
      new ModifyReplicationGroupCommand({ ReplicationGroupId: deps.replicationGroupId, AuthToken: token, AuthTokenUpdateStrategy: 'SET', ApplyImmediately: true }),
    );
  } catch (error) {
    if (isSetWithoutRotate(error)) {
      return { state: 'revoked', authTokenLastModified: group.AuthTokenLastModifiedDate?.toISOString(), note: 'ElastiCache refused another SET: it holds one token only, so the previous one was revoked already' };
    }
    throw error;
  }
  deps.log('Revocation: SET accepted, only the current token will be valid', { replicationGroupId: deps.replicationGroupId });
  return { state: 'applying', status: 'modifying', checks: 0 };
}

/** ElastiCache did not finish applying SET within the workflow's checks. */
export class RevocationNotApplied extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RevocationNotApplied';
  }
}

/**
 * One look after SET (`checks` made so far): revoked once the group is available with no AUTH token change
 * pending; after `maxChecks` looks it throws, so the polling loop is bounded.
 */
export async function checkRevocation(deps: CacheRotationDeps, checks = 0, maxChecks = Number.POSITIVE_INFINITY): Promise<RevocationState> {
  const group = await describeGroup(deps);
  if (settled(group)) return { state: 'revoked', authTokenLastModified: group.AuthTokenLastModifiedDate?.toISOString() };
  if (checks + 1 >= maxChecks) {
    throw new RevocationNotApplied(`${deps.replicationGroupId} is still ${group.Status} after ${checks + 1} checks; the previous token may still be valid`);
  }
  return { state: 'applying', status: group.Status ?? 'unknown', checks: checks + 1 };
}
