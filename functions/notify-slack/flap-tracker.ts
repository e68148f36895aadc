import { ConditionalCheckFailedException, type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';

export type AlarmState = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';

export interface FlapDecision {
  readonly post: boolean;
  /** State changes suppressed since the last post, reported with the next one. */
  readonly suppressedChanges: number;
}

interface AlarmMemory {
  readonly lastPostedState?: AlarmState;
  readonly lastAlarmPostedAt?: number;
  readonly suppressed: number;
  readonly version: number;
}

/**
 * Decides whether an alarm change is worth a message: an ALARM is posted at most once per window (later ones are
 * counted), OK is posted as "resolved" only after a posted ALARM, and repeats of the last posted state are counted.
 * Pure: the caller stores the result.
 */
export function decide(memory: AlarmMemory, state: AlarmState, nowMs: number, windowMs: number): { decision: FlapDecision; next: AlarmMemory } {
  const repeat = memory.lastPostedState === state;
  const alarmInWindow = state === 'ALARM' && memory.lastAlarmPostedAt !== undefined && nowMs - memory.lastAlarmPostedAt < windowMs;
  const orphanOk = state === 'OK' && memory.lastPostedState !== 'ALARM';
  if (repeat || alarmInWindow || orphanOk) {
    return { decision: { post: false, suppressedChanges: memory.suppressed + 1 }, next: { ...memory, suppressed: memory.suppressed + 1, version: memory.version + 1 } };
  }
  return {
    decision: { post: true, suppressedChanges: memory.suppressed },
    next: {
      lastPostedState: state,
      lastAlarmPostedAt: state === 'ALARM' ? nowMs : memory.lastAlarmPostedAt,
      suppressed: 0,
      version: memory.version + 1,
    },
  };
}

/** Keeps each alarm's last posted state in DynamoDB so flapping is seen across invocations (and concurrent ones). */
export class FlapTracker {
  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly tableName: string,
    private readonly windowMs: number,
  ) {}

  async record(alarmName: string, state: AlarmState, nowMs: number): Promise<FlapDecision> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const memory = await this.read(alarmName);
      const { decision, next } = decide(memory, state, nowMs, this.windowMs);
      try {
        await this.ddb.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              id: { S: `alarm#${alarmName}` },
              ...(next.lastPostedState ? { lastPostedState: { S: next.lastPostedState } } : {}),
              ...(next.lastAlarmPostedAt !== undefined ? { lastAlarmPostedAt: { N: String(next.lastAlarmPostedAt) } } : {}),
              suppressed: { N: String(next.suppressed) },
              version: { N: String(next.version) },
              expiresAt: { N: String(Math.floor(nowMs / 1000) + 7 * 24 * 3600) },
            },
            // Optimistic concurrency: two invocations racing on one alarm re-read and decide again.
            ConditionExpression: memory.version === 0 ? 'attribute_not_exists(id)' : 'version = :seen',
            ExpressionAttributeValues: memory.version === 0 ? undefined : { ':seen': { N: String(memory.version) } },
          }),
        );
        return decision;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw new Error(`Could not record the state of ${alarmName}: five concurrent updates in a row`);
  }

  private async read(alarmName: string): Promise<AlarmMemory> {
    const { Item } = await this.ddb.send(
      new GetItemCommand({ TableName: this.tableName, Key: { id: { S: `alarm#${alarmName}` } }, ConsistentRead: true }),
    );
    if (!Item) return { suppressed: 0, version: 0 };
    return {
      lastPostedState: Item.lastPostedState?.S as AlarmState | undefined,
      lastAlarmPostedAt: Item.lastAlarmPostedAt?.N ? Number(Item.lastAlarmPostedAt.N) : undefined,
      suppressed: Number(Item.suppressed?.N ?? 0),
      version: Number(Item.version?.N ?? 0),
    };
  }

  /** True when this SNS message was already posted (a retried invocation must not post it twice). */
  async alreadyPosted(messageId: string): Promise<boolean> {
    const { Item } = await this.ddb.send(new GetItemCommand({ TableName: this.tableName, Key: { id: { S: `posted#${messageId}` } } }));
    return Item !== undefined;
  }

  async markPosted(messageId: string, nowMs: number): Promise<void> {
    await this.ddb.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { id: { S: `posted#${messageId}` }, expiresAt: { N: String(Math.floor(nowMs / 1000) + 24 * 3600) } },
      }),
    );
  }
}
