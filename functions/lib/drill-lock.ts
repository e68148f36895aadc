import { ConditionalCheckFailedException, DeleteItemCommand, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { type CaughtError, causeMessage } from './caught-error.js';
import { awsCall } from './transient-error.js';

/**
 * One drill at a time per environment (failover, restore, DR simulation): each takes the drill lock, one item written
 * with a condition, so two drills started together can never both win, as ListExecutions (eventually consistent)
 * could let them. The owner is the execution ARN: a retry of the same execution takes it again, and only its owner
 * releases it. It expires when the execution that took it must have ended (its state machine's timeout), so a drill
 * that died without releasing blocks the next one at most that long.
 */

/** The lock item's key in the remediation guardrails table (items there are `lock#…` and `cooldown#…`). */
export const DRILL_LOCK_KEY = 'lock#drill';

export interface DrillLockSettings {
  readonly tableName: string;
  /** The drill's longest possible run (its state machine's timeout). */
  readonly maxMinutes: number;
}

export type DrillLock =
  | { readonly acquired: true; readonly owner: string; readonly drill: string; readonly expiresAt: string }
  | { readonly acquired: false; readonly heldBy: string; readonly heldByDrill?: string; readonly expiresAt?: string; readonly detail: string };

export type DrillLockRelease =
  | { readonly state: 'released'; readonly detail: string }
  | { readonly state: 'not-held'; readonly detail: string }
  | { readonly state: 'held-by-other'; readonly heldBy: string; readonly detail: string };

/** What every drill's state holds at its report, whichever path it took: the first failure, the lock's release, who asked. */
export interface DrillEndState {
  readonly failure?: CaughtError;
  readonly lockRelease?: DrillLockRelease;
  readonly lockReleaseFailure?: CaughtError;
  readonly requestedBy?: string;
}

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);
const isoOf = (epoch: string | undefined) => (epoch ? new Date(Number(epoch) * 1000).toISOString() : undefined);

/**
 * Takes the lock for `owner` (the execution ARN) unless another execution holds it and it has not expired. The expiry
 * counts from the execution's start, so a retry writes the same item again.
 */
export async function acquireDrillLock(
  dynamodb: DynamoDBClient,
  settings: DrillLockSettings,
  claim: { readonly owner: string; readonly drill: string; readonly startedAt: Date },
  now: Date,
): Promise<DrillLock> {
  const expires = new Date(claim.startedAt.getTime() + settings.maxMinutes * 60_000);
  try {
    await awsCall('taking the drill lock', () =>
      dynamodb.send(
        new PutItemCommand({
          TableName: settings.tableName,
          Item: { pk: { S: DRILL_LOCK_KEY }, owner: { S: claim.owner }, drill: { S: claim.drill }, acquiredAt: { S: claim.startedAt.toISOString() }, expiresAt: { N: String(epochSeconds(expires)) } },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': { N: String(epochSeconds(now)) }, ':owner': { S: claim.owner } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    return { acquired: true, owner: claim.owner, drill: claim.drill, expiresAt: expires.toISOString() };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const heldBy = error.Item?.owner?.S ?? 'an unknown execution';
    const heldByDrill = error.Item?.drill?.S;
    const expiresAt = isoOf(error.Item?.expiresAt?.N);
    return { acquired: false, heldBy, heldByDrill, expiresAt, detail: `another drill is running: ${heldBy}${heldByDrill ? ` (${heldByDrill})` : ''} holds the drill lock until ${expiresAt ?? 'it ends'}` };
  }
}

/** Releases the lock if `owner` holds it; a lock not held, or held by another execution, is left as it is and said so. */
export async function releaseDrillLock(dynamodb: DynamoDBClient, settings: Pick<DrillLockSettings, 'tableName'>, owner: string): Promise<DrillLockRelease> {
  try {
    const { Attributes } = await awsCall('releasing the drill lock', () =>
      dynamodb.send(
        new DeleteItemCommand({
          TableName: settings.tableName,
          Key: { pk: { S: DRILL_LOCK_KEY } },
          ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: owner } },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    return Attributes ? { state: 'released', detail: 'The drill lock is released.' } : { state: 'not-held', detail: 'This drill held no drill lock: nothing to release.' };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const heldBy = error.Item?.owner?.S ?? 'another execution';
    return { state: 'held-by-other', heldBy, detail: `The drill lock is held by ${heldBy}, not by this drill: left as it is.` };
  }
}

/**
 * What the result says about the lock: the release as DynamoDB answered it, or, when the release step failed after
 * its retries, that the lock is still held (or may be, when the drill cannot tell whether it took it), until when,
 * and how to release it by hand.
 */
export function drillLockLine(
  release: DrillLockRelease | undefined,
  failure: CaughtError | undefined,
  lock: { readonly tableName: string; readonly region: string; readonly expiresAt?: string },
): string {
  if (release) return release.detail;
  const why = causeMessage(failure) ?? 'the release step did not run';
  const held = lock.expiresAt ? `it is still held, so no other drill can start until it expires at ${lock.expiresAt}` : 'if this drill took it, no other drill can start until it expires';
  return `The drill lock could NOT be released (${why}); ${held}. Release it by hand: aws dynamodb delete-item --table-name ${lock.tableName} --key '{"pk":{"S":"${DRILL_LOCK_KEY}"}}' --region ${lock.region}`;
}
