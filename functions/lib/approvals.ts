import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';

/**
 * Four eyes, as records in the approvals table (the same table for Slack and the CLI):
 * - `request#<id>`: a pending request (what, who asks, from where), written by the Slack ingress or by the CLI;
 *   a CLI request's id starts with the caller's AWS user id, which IAM binds to the caller (dynamodb:LeadingKeys).
 * - `approval#<id>`: the decision, written once and only by the approval path (the Slack ingress's Approve button),
 *   bound to the hash of the exact workflow input it lets run; the workflow's first state uses it once.
 */

export type RequestStatus = 'pending' | 'approved' | 'denied';

export interface ApprovalRequest {
  readonly id: string;
  /** The /ops command text, re-parsed on approval so what runs is what was shown. */
  readonly commandText: string;
  /** The person asking (a Slack user id; for the CLI, the person the caller's AWS identity maps to). */
  readonly requestedBy: string;
  /** `slack:<team>/<channel>` or `cli:<caller ARN>`. */
  readonly origin: string;
  readonly expiresAt: Date;
}

export interface RequestRecord extends ApprovalRequest {
  readonly status: RequestStatus;
  readonly decidedBy?: string;
  readonly executionArn?: string;
}

export interface ApprovalGrant {
  readonly id: string;
  readonly workflow: string;
  readonly requestedBy: string;
  readonly approvedBy: string;
  /** sha256 of the canonical JSON of the exact workflow input (without `approvalId`). */
  readonly inputHash: string;
  readonly approvedAt: Date;
  /** The execution must start and verify before this. */
  readonly usableUntil: Date;
  /** Until when the table keeps the record (the audit trail keeps the decision for its full retention). */
  readonly expiresAt: Date;
  readonly usedBy?: string;
}

/** The request cannot be decided or used as asked; the message says why. Nothing was changed. */
export class ApprovalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApprovalError';
  }
}

/** Fields the start adds to an approved input; the hash covers everything else. */
const UNHASHED = new Set(['approvalId', 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID']);

/** JSON with object keys sorted at every level, so the same input always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The hash an approval is bound to: the whole workflow input except what the start adds. */
export function inputHash(input: Record<string, unknown>): string {
  const bound = Object.fromEntries(Object.entries(input).filter(([key]) => !UNHASHED.has(key)));
  return createHash('sha256').update(canonicalJson(bound)).digest('hex');
}

const epoch = (date: Date): string => String(Math.floor(date.getTime() / 1000));
const fromEpoch = (value: string | undefined): Date => new Date(Number(value ?? 0) * 1000);

/** Records a pending request; the same request delivered twice (same id) records nothing new. */
export async function recordRequest(ddb: DynamoDBClient, tableName: string, request: ApprovalRequest): Promise<void> {
  try {
    await ddb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          id: { S: `request#${request.id}` },
          commandText: { S: request.commandText },
          requestedBy: { S: request.requestedBy },
          origin: { S: request.origin },
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

export async function readRequest(ddb: DynamoDBClient, tableName: string, id: string): Promise<RequestRecord | undefined> {
  const { Item } = await ddb.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: `request#${id}` } }, ConsistentRead: true }));
  if (!Item) return undefined;
  return {
    id,
    commandText: Item.commandText?.S ?? '',
    requestedBy: Item.requestedBy?.S ?? '',
    origin: Item.origin?.S ?? 'unknown',
    status: (Item.status?.S ?? 'pending') as RequestStatus,
    decidedBy: Item.decidedBy?.S,
    executionArn: Item.executionArn?.S,
    expiresAt: fromEpoch(Item.expiresAt?.N),
  };
}

/**
 * Moves a pending, unexpired request to approved or denied, exactly once: a second click (or a second approver)
 * gets a clear answer saying who decided first.
 */
export async function decideRequest(
  ddb: DynamoDBClient,
  tableName: string,
  decision: { id: string; status: 'approved' | 'denied'; decidedBy: string; now: Date },
): Promise<RequestRecord> {
  const existing = await readRequest(ddb, tableName, decision.id);
  if (!existing) throw new ApprovalError('This request is unknown or has expired. Run the command again.');
  if (existing.status !== 'pending') {
    throw new ApprovalError(`This request was already ${existing.status} by <@${existing.decidedBy}>.`);
  }
  if (existing.expiresAt <= decision.now) throw new ApprovalError('This request has expired. Run the command again.');
  try {
    await ddb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { id: { S: `request#${decision.id}` } },
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
    if (error instanceof ConditionalCheckFailedException) throw new ApprovalError('Someone else decided this request a moment ago.');
    throw error;
  }
  return { ...existing, status: decision.status, decidedBy: decision.decidedBy };
}

/** Notes the execution an approved request started, so the CLI that asked can follow it. */
export async function noteExecution(ddb: DynamoDBClient, tableName: string, id: string, executionArn: string): Promise<void> {
  await ddb.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: { id: { S: `request#${id}` } },
      UpdateExpression: 'SET executionArn = :arn',
      ConditionExpression: 'attribute_exists(id)',
      ExpressionAttributeValues: { ':arn': { S: executionArn } },
    }),
  );
}

/** Writes the approval the workflow will verify; once per request id, never overwritten. */
export async function recordGrant(ddb: DynamoDBClient, tableName: string, grant: ApprovalGrant): Promise<void> {
  await ddb.send(
    new PutItemCommand({
      TableName: tableName,
      Item: {
        id: { S: `approval#${grant.id}` },
        status: { S: 'approved' },
        workflow: { S: grant.workflow },
        requestedBy: { S: grant.requestedBy },
        approvedBy: { S: grant.approvedBy },
        inputHash: { S: grant.inputHash },
        approvedAt: { S: grant.approvedAt.toISOString() },
        usableUntil: { N: epoch(grant.usableUntil) },
        expiresAt: { N: epoch(grant.expiresAt) },
      },
      ConditionExpression: 'attribute_not_exists(id)',
    }),
  );
}

export async function readGrant(ddb: DynamoDBClient, tableName: string, id: string): Promise<ApprovalGrant | undefined> {
  const { Item } = await ddb.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: `approval#${id}` } }, ConsistentRead: true }));
  if (Item?.status?.S !== 'approved') return undefined;
  return {
    id,
    workflow: Item.workflow?.S ?? '',
    requestedBy: Item.requestedBy?.S ?? '',
    approvedBy: Item.approvedBy?.S ?? '',
    inputHash: Item.inputHash?.S ?? '',
    approvedAt: new Date(Item.approvedAt?.S ?? 0),
    usableUntil: fromEpoch(Item.usableUntil?.N),
    expiresAt: fromEpoch(Item.expiresAt?.N),
    usedBy: Item.usedBy?.S,
  };
}

/**
 * Uses an approval for one execution, atomically: the write holds only while the record is still unused (or used by
 * this same execution, a retried step), bound to this input, and unexpired. Returns false when it no longer holds.
 */
export async function useGrant(
  ddb: DynamoDBClient,
  tableName: string,
  use: { id: string; inputHash: string; executionArn: string; now: Date },
): Promise<boolean> {
  try {
    await ddb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { id: { S: `approval#${use.id}` } },
        UpdateExpression: 'SET usedBy = :execution, usedAt = :at',
        ConditionExpression: '#status = :approved AND inputHash = :hash AND usableUntil > :now AND (attribute_not_exists(usedBy) OR usedBy = :execution)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':execution': { S: use.executionArn },
          ':at': { S: use.now.toISOString() },
          ':approved': { S: 'approved' },
          ':hash': { S: use.inputHash },
          ':now': { N: epoch(use.now) },
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
