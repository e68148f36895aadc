import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';

export type ApprovalStatus = 'pending' | 'approved' | 'denied';

export interface ApprovalRequest {
  readonly id: string;
  /** The command text as typed, re-parsed on approval so what runs is what was shown. */
  readonly commandText: string;
  readonly requestedBy: string;
  readonly expiresAt: Date;
}

export interface ApprovalRecord extends ApprovalRequest {
  readonly status: ApprovalStatus;
  readonly decidedBy?: string;
}

export class ApprovalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApprovalError';
  }
}

const epoch = (date: Date): string => String(Math.floor(date.getTime() / 1000));

/** Records a pending request; a retried Slack request with the same id records nothing new. */
export async function requestApproval(ddb: DynamoDBClient, tableName: string, request: ApprovalRequest): Promise<void> {
  try {
    await ddb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          id: { S: `approval#${request.id}` },
          commandText: { S: request.commandText },
          requestedBy: { S: request.requestedBy },
          status: { S: 'pending' },
          expiresAt: { N: epoch(request.expiresAt) },
        },
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

export async function readApproval(ddb: DynamoDBClient, tableName: string, id: string): Promise<ApprovalRecord | undefined> {
  const { Item } = await ddb.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: `approval#${id}` } }, ConsistentRead: true }));
  if (!Item) return undefined;
  return {
    id,
    commandText: Item.commandText?.S ?? '',
    requestedBy: Item.requestedBy?.S ?? '',
    status: (Item.status?.S ?? 'pending') as ApprovalStatus,
    decidedBy: Item.decidedBy?.S,
    expiresAt: new Date(Number(Item.expiresAt?.N ?? 0) * 1000),
  };
}

/**
 * Moves a pending, unexpired request to approved or denied, exactly once: a second click (or a second approver)
 * gets a clear answer saying who decided first.
 */
export async function decideApproval(
  ddb: DynamoDBClient,
  tableName: string,
  decision: { id: string; status: 'approved' | 'denied'; decidedBy: string; now: Date },
): Promise<ApprovalRecord> {
  const existing = await readApproval(ddb, tableName, decision.id);
  if (!existing) throw new ApprovalError('This request is unknown or has expired. Run the command again.');
  if (existing.status !== 'pending') {
    throw new ApprovalError(`This request was already ${existing.status} by <@${existing.decidedBy}>.`);
  }
  if (existing.expiresAt <= decision.now) throw new ApprovalError('This request has expired. Run the command again.');
  try {
    await ddb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { id: { S: `approval#${decision.id}` } },
        UpdateExpression: 'SET #status = :decision, decidedBy = :by',
        ConditionExpression: '#status = :pending AND expiresAt > :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':decision': { S: decision.status },
          ':by': { S: decision.decidedBy },
          ':pending': { S: 'pending' },
          ':now': { N: epoch(decision.now) },
        },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new ApprovalError('Someone else decided this request a moment ago.');
    }
    throw error;
  }
  return { ...existing, status: decision.status, decidedBy: decision.decidedBy };
}

/** Remembers where to post the outcome of an execution started from Slack (the follow-up function reads it). */
export async function rememberFollowUp(
  ddb: DynamoDBClient,
  tableName: string,
  follow: { executionName: string; responseUrl: string; requestedBy: string; expiresAt: Date },
): Promise<void> {
  await ddb.send(
    new PutItemCommand({
      TableName: tableName,
      Item: {
        id: { S: `followup#${follow.executionName}` },
        responseUrl: { S: follow.responseUrl },
        requestedBy: { S: follow.requestedBy },
        expiresAt: { N: epoch(follow.expiresAt) },
      },
    }),
  );
}

export async function findFollowUp(
  ddb: DynamoDBClient,
  tableName: string,
  executionName: string,
): Promise<{ responseUrl: string; requestedBy: string } | undefined> {
  const { Item } = await ddb.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: `followup#${executionName}` } } }));
  if (!Item?.responseUrl?.S) return undefined;
  return { responseUrl: Item.responseUrl.S, requestedBy: Item.requestedBy?.S ?? '' };
}
