import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { readRequest, recordRequest } from '../functions/lib/approvals.js';
import { NotAuthorized, authorizeCommand, parsePolicy, personForAwsIdentity } from '../functions/slack-ops/authorize.js';
import { type OpsCommand, describeCommand } from '../functions/slack-ops/commands.js';
import type { EnvironmentConfig } from '../infra/config.js';
import { EXIT_CODES, UsageError } from './errors.js';

/** What the CLI talks to when it asks for a second person's approval. */
export interface ApprovalRequestDeps {
  readonly sts: STSClient;
  readonly ssm: SSMClient;
  readonly ddb: DynamoDBClient;
  readonly print: (line: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => Date;
  /** How often the request is read while waiting. @default 5000 */
  readonly pollMs?: number;
  /** How often a waiting line is printed. @default 30000 */
  readonly progressMs?: number;
}

/** How the wait ended. */
export type Decision =
  | { readonly status: 'approved'; readonly approvedBy: string; readonly executionArn: string }
  | { readonly status: 'approved-not-started'; readonly approvedBy: string }
  | { readonly status: 'denied'; readonly deniedBy: string }
  | { readonly status: 'expired' }
  | { readonly status: 'vanished' };

export type ApprovalOutcome = Decision & { readonly requestId: string };

/**
 * How long past its expiry a request is still read: the approval path decides by its own clock, and once approved
 * it records the execution it started a moment later.
 */
const GRACE_MS = 60_000;

/** The request id the CLI writes: the caller's AWS user id first, which IAM binds to the caller (dynamodb:LeadingKeys). */
export const cliRequestId = (awsUserId: string): string => `${awsUserId}#${randomBytes(6).toString('hex')}`;

/**
 * A production action that needs two people, asked from a terminal. The requester is the person the caller's AWS
 * identity maps to in the authorization parameter (never a typed name). The CLI only records a pending request in the
 * approvals table Slack uses; the approval path posts it to the ops channel with Approve/Deny, and on Approve starts
 * the execution, whose ARN this returns. The CLI itself starts nothing.
 */
export async function requestApprovalFromCli(deps: ApprovalRequestDeps, config: EnvironmentConfig, text: string, command: OpsCommand): Promise<ApprovalOutcome> {
  const identity = await deps.sts.send(new GetCallerIdentityCommand({}));
  if (!identity.UserId || !identity.Arn) throw new UsageError('AWS did not say who you are (STS GetCallerIdentity returned no user id).', 'Check your credentials with aws sts get-caller-identity.');
  const parameter = `/${config.prefix}/slack/authorization`;
  const { Parameter } = await deps.ssm.send(new GetParameterCommand({ Name: parameter }));
  const policy = parsePolicy(Parameter?.Value ?? '{}');
  const person = personForAwsIdentity(policy, identity.UserId);
  if (!person) {
    throw new UsageError(
      `Your AWS identity ${identity.UserId} (${identity.Arn}) is not mapped to a person in ${parameter} (awsIdentities).`,
      `Ask the platform team to map it: fhops authorize --env ${config.name} --aws-identity ${identity.UserId}=<your Slack member id> ...`,
    );
  }
  try {
    authorizeCommand(policy, command.name, person);
  } catch (error) {
    if (error instanceof NotAuthorized) throw new UsageError(error.message.replace(/<@([^>]+)>/g, '$1'), `Only the people ${parameter} allows may ask for it.`);
    throw error;
  }

  const id = cliRequestId(identity.UserId);
  const tableName = `${config.prefix}-slack-approvals`;
  const minutes = config.slack.approvalMinutes;
  const requestedAt = deps.now();
  const expiresAt = new Date(requestedAt.getTime() + minutes * 60_000);
  await recordRequest(deps.ddb, tableName, { id, commandText: text, requestedBy: person, origin: `cli:${identity.Arn}`, expiresAt });
  deps.print(`Asked the ${config.name} ops channel for a second person's approval of: ${describeCommand(command)} (request ${id}, as ${person}).`);
  return { ...(await waitForDecision(deps, tableName, id, requestedAt, expiresAt)), requestId: id };
}

const clock = (ms: number): string => {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
};

/** Reads the request until it is decided and started, or until it can no longer be: bounded by its expiry. */
async function waitForDecision(deps: ApprovalRequestDeps, tableName: string, id: string, requestedAt: Date, expiresAt: Date): Promise<Decision> {
  const pollMs = deps.pollMs ?? 5000;
  const progressMs = deps.progressMs ?? 30_000;
  const limit = expiresAt.getTime() - requestedAt.getTime();
  let printedAt = requestedAt.getTime();
  let approvedBy: string | undefined;
  for (;;) {
    const request = await readRequest(deps.ddb, tableName, id);
    const now = deps.now().getTime();
    if (request?.status === 'approved' && request.executionArn) return { status: 'approved', approvedBy: request.decidedBy ?? '?', executionArn: request.executionArn };
    if (request?.status === 'denied') return { status: 'denied', deniedBy: request.decidedBy ?? '?' };
    if (request?.status === 'approved') approvedBy = request.decidedBy ?? '?';
    if (now >= expiresAt.getTime() + GRACE_MS) return approvedBy ? { status: 'approved-not-started', approvedBy } : { status: 'expired' };
    // Deleted before it expired: only by hand (TTL runs after expiry).
    if (!request) return { status: 'vanished' };
    if (now - printedAt >= progressMs) {
      printedAt = now;
      const state = approvedBy ? `approved by ${approvedBy}, waiting for the start` : 'waiting for a second person';
      deps.print(`  ${state}: ${clock(now - requestedAt.getTime())} of ${clock(limit)}`);
    }
    await deps.sleep(pollMs);
  }
}

/** The wait ended without an execution to follow; the message says whether anything was started. */
export class ApprovalWaitEnded extends Error {
  readonly exitCode = EXIT_CODES.failed;
  constructor(message: string) {
    super(message);
    this.name = 'ApprovalWaitEnded';
  }
}

/** What the operator reads when the wait ends without an execution to follow: true, and what to do next. */
export function unstartedMessage(outcome: Exclude<ApprovalOutcome, { status: 'approved' }>, config: EnvironmentConfig): string {
  const id = outcome.requestId;
  switch (outcome.status) {
    case 'denied':
      return `Denied by ${outcome.deniedBy}. Nothing was started.`;
    case 'expired':
      return `Nobody approved request ${id} within ${config.slack.approvalMinutes} min; it has expired and can no longer be approved. Nothing was started.`;
    case 'vanished':
      return `Request ${id} is no longer in ${config.prefix}-slack-approvals (deleted before it expired). Nothing was started by it; check \`fhops list --env ${config.name}\`.`;
    case 'approved-not-started':
      return `Approved by ${outcome.approvedBy}, but no execution was recorded for request ${id}: the start may have failed. Check \`fhops list --env ${config.name}\` and the ops channel before asking again.`;
  }
}
