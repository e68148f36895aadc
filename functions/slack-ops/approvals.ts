import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';

const epoch = (date: Date): string => String(Math.floor(date.getTime() / 1000));

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
