import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';

const epoch = (date: Date): string => String(Math.floor(date.getTime() / 1000));

/** Where the outcome of an execution started from Slack is posted (the follow-up function reads it). */
export interface FollowUp {
  readonly responseUrl: string;
  readonly requestedBy: string;
  /** When Slack issued the response URL: it honours one for 30 minutes (and 5 posts). */
  readonly responseUrlIssuedAt?: Date;
  /** The conversation, for a bot-token post once the response URL has expired. */
  readonly channelId?: string;
  /** The message to thread the outcome under (the approval request), when there is one. */
  readonly threadTs?: string;
}

/** Remembers where to post the outcome of an execution started from Slack (the follow-up function reads it). */
export async function rememberFollowUp(
  ddb: DynamoDBClient,
  tableName: string,
  follow: FollowUp & { executionName: string; expiresAt: Date; responseUrlIssuedAt: Date },
): Promise<void> {
  await ddb.send(
    new PutItemCommand({
      TableName: tableName,
      Item: {
        id: { S: `followup#${follow.executionName}` },
        responseUrl: { S: follow.responseUrl },
        requestedBy: { S: follow.requestedBy },
        responseUrlIssuedAt: { N: epoch(follow.responseUrlIssuedAt) },
        ...(follow.channelId ? { channelId: { S: follow.channelId } } : {}),
        ...(follow.threadTs ? { threadTs: { S: follow.threadTs } } : {}),
        expiresAt: { N: epoch(follow.expiresAt) },
      },
    }),
  );
}

export async function findFollowUp(ddb: DynamoDBClient, tableName: string, executionName: string): Promise<FollowUp | undefined> {
  const { Item } = await ddb.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: `followup#${executionName}` } } }));
  if (!Item?.responseUrl?.S) return undefined;
  const issued = Number(Item.responseUrlIssuedAt?.N);
  return {
    responseUrl: Item.responseUrl.S,
    requestedBy: Item.requestedBy?.S ?? '',
    responseUrlIssuedAt: Number.isFinite(issued) ? new Date(issued * 1000) : undefined,
    channelId: Item.channelId?.S,
    threadTs: Item.threadTs?.S,
  };
}
