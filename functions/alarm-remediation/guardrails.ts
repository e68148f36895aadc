import { type AttributeValue, ConditionalCheckFailedException, DeleteItemCommand, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetParametersCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { awsCall } from '../lib/transient-error.js';

/**
 * The remediation's guardrails: a kill switch and a dry-run switch (SSM parameters an operator flips), a cooldown per
 * alarm and service, and one remediation at a time per service (a lock). Cooldowns and locks are items of one
 * DynamoDB table written with conditions, so two executions can never both win; their TTL cleans them up.
 */

export interface SwitchSettings {
  /** `/<prefix>/remediation/kill-switch`: `on` pauses every automatic action. */
  readonly killSwitchParameter: string;
  /** `/<prefix>/remediation/dry-run`: `on` makes every remediation say what it would do, and do nothing. */
  readonly dryRunParameter: string;
}

export interface Switches {
  readonly killSwitch: boolean;
  readonly dryRun: boolean;
  /** Why dry run is on: the parameter, the execution input, or both. */
  readonly dryRunSource?: string;
  readonly checkedAt: string;
}

export interface GuardSettings {
  readonly tableName: string;
  readonly lockMinutes: number;
  readonly cooldownMinutes: number;
}

export type Guard =
  | { readonly acquired: true; readonly lockKey: string; readonly cooldownKey: string; readonly cooldownUntil: string; readonly owner: string; readonly lockUntil?: string }
  | { readonly acquired: false; readonly reason: 'locked' | 'cooldown'; readonly heldBy?: string; readonly until?: string; readonly detail: string };

const isOn = (value: string | undefined) => value?.trim().toLowerCase() === 'on';

/** Reads both switches in one call; a parameter that does not exist counts as off. */
export async function readSwitches(ssm: SSMClient, settings: SwitchSettings, dryRunRequested: boolean, now: Date): Promise<Switches> {
  const { Parameters = [] } = await awsCall('reading the remediation switches', () =>
    ssm.send(new GetParametersCommand({ Names: [settings.killSwitchParameter, settings.dryRunParameter] })),
  );
  const value = (name: string) => Parameters.find((parameter) => parameter.Name === name)?.Value;
  const dryRunParameter = isOn(value(settings.dryRunParameter));
  const sources = [dryRunParameter && `${settings.dryRunParameter} is on`, dryRunRequested && 'the execution input asks for it'].filter(Boolean);
  return {
    killSwitch: isOn(value(settings.killSwitchParameter)),
    dryRun: dryRunParameter || dryRunRequested,
    dryRunSource: sources.length > 0 ? sources.join(' and ') : undefined,
    checkedAt: now.toISOString(),
  };
}

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** Writes the item unless another owner holds it and it has not expired; a retry by the same owner succeeds. */
async function claim(
  dynamodb: DynamoDBClient,
  tableName: string,
  key: string,
  owner: string,
  expires: Date,
  now: Date,
  attributes: Record<string, AttributeValue>,
): Promise<{ claimed: true } | { claimed: false; heldBy?: string; until?: string }> {
  try {
    await awsCall(`claiming ${key}`, () =>
      dynamodb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { pk: { S: key }, owner: { S: owner }, expiresAt: { N: String(epochSeconds(expires)) }, ...attributes },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': { N: String(epochSeconds(now)) }, ':owner': { S: owner } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    return { claimed: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const until = error.Item?.expiresAt?.N;
    return { claimed: false, heldBy: error.Item?.owner?.S, until: until ? new Date(Number(until) * 1000).toISOString() : undefined };
  }
}

/**
 * Takes the service's lock, then starts the alarm's cooldown. The cooldown starts before the action on purpose: an
 * action that fails is not repeated by the next alarm within the window either; a person looks first.
 */
export async function acquireGuard(
  dynamodb: DynamoDBClient,
  settings: GuardSettings,
  keys: { lockKey: string; cooldownKey: string; owner: string; action: string; eventId: string },
  now: Date,
): Promise<Guard> {
  const lockKey = `lock#${keys.lockKey}`;
  const cooldownKey = `cooldown#${keys.cooldownKey}`;
  const lockUntil = new Date(now.getTime() + settings.lockMinutes * 60_000);
  const lock = await claim(dynamodb, settings.tableName, lockKey, keys.owner, lockUntil, now, {
    acquiredAt: { S: now.toISOString() },
    eventId: { S: keys.eventId },
  });
  if (!lock.claimed) {
    return {
      acquired: false,
      reason: 'locked',
      heldBy: lock.heldBy,
      until: lock.until,
      detail: `another remediation of ${keys.lockKey} is running (${lock.heldBy ?? 'unknown execution'}, lock expires ${lock.until ?? 'soon'})`,
    };
  }
  const cooldownUntil = new Date(now.getTime() + settings.cooldownMinutes * 60_000);
  const cooldown = await claim(dynamodb, settings.tableName, cooldownKey, keys.owner, cooldownUntil, now, {
    actedAt: { S: now.toISOString() },
    action: { S: keys.action },
  });
  if (!cooldown.claimed) {
    await releaseLock(dynamodb, settings, keys.lockKey, keys.owner);
    return {
      acquired: false,
      reason: 'cooldown',
      heldBy: cooldown.heldBy,
      until: cooldown.until,
      detail: `${keys.cooldownKey.replace('#', ' on ')} was already acted on by ${cooldown.heldBy ?? 'an earlier remediation'}; cooldown until ${cooldown.until ?? 'unknown'}`,
    };
  }
  return { acquired: true, lockKey: keys.lockKey, cooldownKey: keys.cooldownKey, cooldownUntil: cooldownUntil.toISOString(), owner: keys.owner, lockUntil: lockUntil.toISOString() };
}

/** Releases the lock if this execution holds it; releasing twice, or a lock already taken over, is fine. */
export async function releaseLock(dynamodb: DynamoDBClient, settings: Pick<GuardSettings, 'tableName'>, lockKey: string, owner: string): Promise<{ released: boolean }> {
  try {
    await awsCall(`releasing lock#${lockKey}`, () =>
      dynamodb.send(
        new DeleteItemCommand({
          TableName: settings.tableName,
          Key: { pk: { S: `lock#${lockKey}` } },
          ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: owner } },
        }),
      ),
    );
    return { released: true };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { released: false };
    throw error;
  }
}
