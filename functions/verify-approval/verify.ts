import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetExecutionHistoryCommand, type SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { canonicalJson, inputHash, readGrant, useGrant } from '../lib/approvals.js';
import type { AuditEntry } from '../lib/audit.js';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { awsCall } from '../lib/transient-error.js';
import { type AuthorizationPolicy, NotAuthorized, authorizeCommand } from '../slack-ops/authorize.js';

/**
 * The first state of every workflow that needs two people: the execution runs only on an approval the approval
 * path recorded for this exact input, given by a second person who is an approver now, for a requester who is still
 * allowed to ask, unexpired and not used by another execution (or, for the automated starters the config names, on
 * their own execution history showing they started this exact execution). Anything else is refused before any change.
 */

export const verifyEventSchema = z.object({
  workflow: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
  executionArn: z.string().startsWith('arn:'),
  executionName: z.string().min(1),
  startedAt: z.string(),
});

export type VerifyEvent = z.infer<typeof verifyEventSchema>;

export interface VerifySettings {
  readonly environment: 'staging' | 'production';
  readonly tableName: string;
  /** State machines whose executions may start this workflow without a person's approval (their guardrails are it). */
  readonly automatedStarters: readonly string[];
}

export interface VerifyDependencies {
  readonly ddb: DynamoDBClient;
  readonly sfn: SFNClient;
  readonly settings: VerifySettings;
  readonly policy: () => Promise<AuthorizationPolicy>;
  readonly publish: (result: OpsResultInput) => Promise<unknown>;
  readonly audit: (entries: readonly AuditEntry[]) => Promise<void>;
  readonly now: () => Date;
}

export interface VerifiedApproval {
  readonly approvalId?: string;
  readonly requestedBy: string;
  readonly approvedBy: string;
  readonly verifiedAt: string;
}

/** The execution has no valid approval: it ends here, having changed nothing. */
export class ApprovalRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApprovalRefused';
  }
}

/** The /ops command an input corresponds to, whose authorization the requester must still hold. */
export function commandOf(workflow: string, input: Record<string, unknown>): string {
  if (workflow === 'scaling-override') return input.action === 'revert' ? 'scale-revert' : 'scale';
  return workflow;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined);

export async function verifyApproval(event: unknown, deps: VerifyDependencies): Promise<VerifiedApproval> {
  const parsed = verifyEventSchema.safeParse(event);
  if (!parsed.success) throw new Error(`Not an approval check: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}`);
  const step = parsed.data;
  const now = deps.now();
  try {
    const verified = await check(step, deps, now);
    await awsCall('Writing the audit trail', () => deps.audit([
      {
        at: now.toISOString(),
        environment: deps.settings.environment,
        what: 'start',
        who: verified.requestedBy,
        from: `workflow:${step.workflow}`,
        action: `verified the approval of ${step.workflow}`,
        executionArn: step.executionArn,
        approvalId: verified.approvalId,
        detail: `requested by ${verified.requestedBy}, approved by ${verified.approvedBy}`,
      },
    ]));
    return verified;
  } catch (error) {
    if (!(error instanceof ApprovalRefused)) throw error;
    await refuse(step, error, deps, now);
    throw error;
  }
}

async function check(step: VerifyEvent, deps: VerifyDependencies, now: Date): Promise<VerifiedApproval> {
  const { input } = step;
  const requestedBy = text(input.requestedBy);
  const starter = text(input.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID);
  if (starter && input.approvalId === undefined) return automatedStart(step, starter, deps, now);

  const approvalId = text(input.approvalId);
  if (!approvalId) {
    const claimed = text(input.approvedBy);
    throw new ApprovalRefused(
      `no approval: ${step.workflow} in ${deps.settings.environment} runs only on an approval recorded by /ops or fhops${claimed ? `; approvedBy "${claimed}" in the input is not one` : ''}`,
    );
  }
  if (!requestedBy) throw new ApprovalRefused('requestedBy (who asks) is missing from the input');
  const grant = await awsCall('Reading the approval', () => readGrant(deps.ddb, deps.settings.tableName, approvalId));
  if (!grant) throw new ApprovalRefused(`approval ${approvalId} does not exist: it was never given`);
  if (grant.workflow !== step.workflow) throw new ApprovalRefused(`approval ${approvalId} was given for ${grant.workflow}, not ${step.workflow}`);
  const hash = inputHash(input);
  if (grant.inputHash !== hash) throw new ApprovalRefused(`the input differs from what ${grant.approvedBy} approved (approval ${approvalId})`);
  if (grant.approvedBy === grant.requestedBy) throw new ApprovalRefused(`${grant.requestedBy} approved their own request`);
  if (grant.usedBy && grant.usedBy !== step.executionArn) throw new ApprovalRefused(`approval ${approvalId} was already used by ${grant.usedBy}`);
  if (grant.usableUntil <= now) throw new ApprovalRefused(`approval ${approvalId} expired at ${grant.usableUntil.toISOString()}`);

  // The roster as it is now: someone removed since the click is refused here too.
  const policy = await awsCall('Reading the authorization parameter', () => deps.policy());
  if (!policy.approvers.includes(grant.approvedBy)) throw new ApprovalRefused(`${grant.approvedBy} is no longer an approver`);
  try {
    authorizeCommand(policy, commandOf(step.workflow, input), grant.requestedBy);
  } catch (error) {
    if (error instanceof NotAuthorized) throw new ApprovalRefused(`${grant.requestedBy} is no longer authorized to ask for ${commandOf(step.workflow, input)}`);
    throw error;
  }

  const used = await awsCall('Using the approval', () => useGrant(deps.ddb, deps.settings.tableName, { id: approvalId, inputHash: hash, executionArn: step.executionArn, now }));
  if (!used) throw new ApprovalRefused(`approval ${approvalId} was used by another execution a moment ago`);
  return { approvalId, requestedBy: grant.requestedBy, approvedBy: grant.approvedBy, verifiedAt: now.toISOString() };
}

const scheduledStartSchema = z.object({ Name: z.string().optional(), Input: z.unknown() });

/**
 * An execution started by another workflow: holds only when the starter is one the config names, and its own history
 * shows it scheduled the start of this execution's name with this exact input.
 */
async function automatedStart(step: VerifyEvent, starterArn: string, deps: VerifyDependencies, now: Date): Promise<VerifiedApproval> {
  const starterMachine = starterArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '');
  if (!deps.settings.automatedStarters.includes(starterMachine)) {
    throw new ApprovalRefused(`it was started by ${starterArn}, which may not start ${step.workflow} without a person's approval`);
  }
  const own = withoutStarter(step.input);
  let nextToken: string | undefined;
  do {
    const page = await awsCall('Reading the starter execution history', () =>
      deps.sfn.send(new GetExecutionHistoryCommand({ executionArn: starterArn, nextToken, maxResults: 200, includeExecutionData: true })),
    );
    for (const event of page.events ?? []) {
      if (event.type !== 'TaskScheduled' || event.taskScheduledEventDetails?.resourceType !== 'states') continue;
      const scheduled = scheduledStartSchema.safeParse(safeJson(event.taskScheduledEventDetails.parameters));
      if (!scheduled.success || scheduled.data.Name !== step.executionName) continue;
      const scheduledInput = typeof scheduled.data.Input === 'string' ? safeJson(scheduled.data.Input) : scheduled.data.Input;
      if (canonicalJson(withoutStarter((scheduledInput ?? {}) as Record<string, unknown>)) === canonicalJson(own)) {
        const workflow = starterMachine.split(':').pop() ?? starterMachine;
        return { requestedBy: text(step.input.requestedBy) ?? workflow, approvedBy: `${workflow} (its guardrails)`, verifiedAt: now.toISOString() };
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  throw new ApprovalRefused(`${starterArn} did not start this execution with this input`);
}

async function refuse(step: VerifyEvent, error: ApprovalRefused, deps: VerifyDependencies, now: Date): Promise<void> {
  const requestedBy = text(step.input.requestedBy);
  const claimedApprover = text(step.input.approvedBy);
  const who = `${requestedBy ? `requested by ${requestedBy}` : 'naming no requester'}${claimedApprover ? `, claiming approval by ${claimedApprover}` : ''}`;
  await awsCall('Writing the audit trail', () => deps.audit([
    {
      at: now.toISOString(),
      environment: deps.settings.environment,
      what: 'refusal',
      who: requestedBy ?? 'unknown',
      from: `workflow:${step.workflow}`,
      action: `start ${step.workflow} (${step.executionName})`,
      executionArn: step.executionArn,
      approvalId: text(step.input.approvalId),
      detail: error.message,
    },
  ]));
  await awsCall('Publishing the refusal', () => deps.publish({
    kind: 'OpsResult',
    workflow: step.workflow,
    environment: deps.settings.environment,
    outcome: 'failed',
    severity: 'critical',
    summary: `Refused to run ${step.workflow} in ${deps.settings.environment} (${step.executionName}, ${who}): ${error.message}. Nothing was changed.`,
    startedAt: step.startedAt,
    finishedAt: now.toISOString(),
    durationSeconds: Math.max(0, (now.getTime() - new Date(step.startedAt).getTime()) / 1000),
    actionsTaken: ['Checked the approval before any change, and refused the execution', 'Wrote the refusal to the audit trail'],
    howToUndo: `Nothing to undo. To run it, ask with /ops or fhops and have a second person approve; CloudTrail's StartExecution event for ${step.executionArn} names the caller.`,
    executionArn: step.executionArn,
    requestedBy,
  }));
}

/** Step Functions adds the starter's execution id to the input it starts; the comparison leaves it out. */
function withoutStarter(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([key]) => key !== 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID'));
}

function safeJson(value: string | undefined): unknown {
  try {
    return value === undefined ? undefined : JSON.parse(value);
  } catch {
    return undefined;
  }
}
