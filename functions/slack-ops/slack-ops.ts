import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, ListExecutionsCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod/mini';
import { type WorkflowName, WORKFLOWS } from '../../contracts/workflows.js';
import { ApprovalError, type RequestRecord, decideRequest, inputHash, noteExecution, readRequest, recordGrant, recordRequest } from '../lib/approvals.js';
import type { AuditEntry } from '../lib/audit.js';
import { executionName, stateMachineArn } from '../lib/workflows.js';
import { rememberFollowUp } from './approvals.js';
import { type AuthorizationPolicy, NotAuthorized, authorizeApproval, authorizeCommand, authorizeOrigin, personForAwsIdentity } from './authorize.js';
import type { ScalingLimits } from '../../contracts/scaling.js';
import { CommandError, type OpsCommand, describeCommand, needsApproval, parseCommand, usage, workflowFor } from './commands.js';
import type { SigningSecrets } from './signing-secrets.js';
import { SignatureMismatch, SlackRequestRejected, verifySlackSignature } from './verify-signature.js';
import type { EnvironmentName } from '../../contracts/environments.js';

export interface SlackOpsConfig {
  readonly environment: EnvironmentName;
  /** The slash command of this environment's Slack app, as messages quote it. */
  readonly slashCommand: string;
  readonly region: string;
  readonly account: string;
  readonly prefix: string;
  readonly tableName: string;
  readonly limits: ScalingLimits;
  /** How long a request waits for a second person. */
  readonly approvalMinutes: number;
  /** How long an approval, once given, stays usable by the execution it starts. */
  readonly approvalUseMinutes: number;
  /** How long the table keeps a decision (the audit trail keeps it for its own retention). */
  readonly approvalRecordDays: number;
  /** Workflows that need a second person's approval in this environment. */
  readonly fourEyesWorkflows: readonly string[];
}

export interface SlackOpsDeps {
  readonly sfn: SFNClient;
  readonly ddb: DynamoDBClient;
  readonly config: SlackOpsConfig;
  /** AWSCURRENT's signing secret, and AWSPENDING's while a rotation is open; `fresh` reads them again (rate-limited). */
  readonly signingSecrets: SigningSecrets;
  readonly policy: () => Promise<AuthorizationPolicy>;
  /** Posts a message to a Slack response_url (used for button clicks, whose HTTP answer Slack ignores). */
  readonly respond: (responseUrl: string, message: SlackMessage) => Promise<void>;
  /** Appends entries to the audit trail. */
  readonly audit: (entries: readonly AuditEntry[]) => Promise<void>;
  readonly now: () => Date;
}

export interface HttpRequest {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string | undefined;
  readonly isBase64Encoded: boolean;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface SlackMessage {
  readonly response_type?: 'ephemeral' | 'in_channel';
  readonly replace_original?: boolean;
  readonly text: string;
  readonly blocks?: unknown[];
}

const slashCommandSchema = z.object({
  command: z.string(),
  text: z._default(z.string(), ''),
  user_id: z.string().check(z.minLength(1)),
  team_id: z.optional(z.string()),
  channel_id: z.optional(z.string()),
  response_url: z.url(),
});

const blockActionSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().check(z.minLength(1)) }),
  team: z.nullish(z.object({ id: z.string() })),
  channel: z.nullish(z.object({ id: z.string() })),
  container: z.nullish(z.object({ message_ts: z.optional(z.string()) })),
  response_url: z.url(),
  actions: z.array(z.object({ action_id: z.string(), value: z.optional(z.string()) })).check(z.minLength(1)),
});

/** Who, from where: what every audit entry of one Slack request shares. */
interface Actor {
  readonly who: string;
  readonly from: string;
}

const json = (statusCode: number, body: unknown): HttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const ephemeral = (text: string): HttpResponse => json(200, { response_type: 'ephemeral', text });

/** Answers every Slack request within its 3 s budget; anything it cannot act on changes nothing and says why. */
export async function handleSlackRequest(request: HttpRequest, deps: SlackOpsDeps): Promise<HttpResponse> {
  const rawBody = request.isBase64Encoded ? Buffer.from(request.body ?? '', 'base64').toString('utf8') : (request.body ?? '');
  // Both reads start together (one round trip, not two); the policy is used only once the signature holds. Its
  // failure surfaces where it is awaited, never as an unhandled rejection when the request is refused first.
  const policy = deps.policy();
  policy.catch(() => undefined);
  const signed = { rawBody, timestamp: request.headers['x-slack-request-timestamp'], signature: request.headers['x-slack-signature'] };
  const nowSeconds = Math.floor(deps.now().getTime() / 1000);
  try {
    try {
      verifySlackSignature(signed, { signingSecrets: await deps.signingSecrets({ fresh: false }), nowSeconds });
    } catch (error) {
      // The owner regenerated the secret at Slack and stored it since the values were read: read them again once.
      if (!(error instanceof SignatureMismatch)) throw error;
      verifySlackSignature(signed, { signingSecrets: await deps.signingSecrets({ fresh: true }), nowSeconds });
    }
  } catch (error) {
    if (error instanceof SlackRequestRejected) return { statusCode: 401, headers: { 'content-type': 'text/plain' }, body: error.message };
    throw error;
  }

  const form = new URLSearchParams(rawBody);
  const payload = form.get('payload');
  try {
    return payload === null
      ? await handleSlashCommand(Object.fromEntries(form.entries()), request.headers['x-slack-request-timestamp'] ?? '', policy, deps)
      : await handleButton(payload, policy, deps);
  } catch (error) {
    if (error instanceof CommandError || error instanceof NotAuthorized || error instanceof ApprovalError) {
      return ephemeral(`:warning: ${error.message}\nNothing was changed.`);
    }
    throw error;
  }
}

async function handleSlashCommand(fields: Record<string, string>, timestamp: string, policyRead: Promise<AuthorizationPolicy>, deps: SlackOpsDeps): Promise<HttpResponse> {
  const parsed = slashCommandSchema.safeParse(fields);
  if (!parsed.success) throw new CommandError('This request does not look like a slash command.');
  const { text, user_id: userId, response_url: responseUrl } = parsed.data;
  const actor = { who: userId, from: `slack:${parsed.data.team_id ?? '?'}/${parsed.data.channel_id ?? '?'}` };
  const policy = await policyRead;
  const { slashCommand } = deps.config;
  await refuseUnless(actor, `${slashCommand} ${text}`, deps, () => authorizeOrigin(policy, { teamId: parsed.data.team_id, channelId: parsed.data.channel_id }));
  const command = parseCommand(text, deps.config.limits, slashCommand);
  if (command.name === 'help') return ephemeral(`*FinanceHub ops commands* (${deps.config.environment})\n${usage(slashCommand)}`);
  assertEnvironment(command, deps.config);
  await refuseUnless(actor, `${slashCommand} ${text}`, deps, () => authorizeCommand(policy, command.name, userId));

  if (command.name === 'status') return ephemeral(await runningWorkflows(deps));

  // Slack may deliver the same request twice; the same user, text and timestamp map to the same id.
  const requestId = createHash('sha256').update(`${userId}:${timestamp}:${text}`).digest('hex').slice(0, 16);
  if (needsApproval(command, deps.config.fourEyesWorkflows)) {
    const expiresAt = new Date(deps.now().getTime() + deps.config.approvalMinutes * 60_000);
    await recordRequest(deps.ddb, deps.config.tableName, { id: requestId, commandText: text, requestedBy: userId, origin: actor.from, expiresAt });
    await deps.audit([entry(deps, actor, 'request', `asks to ${describeCommand(command)}`, { approvalId: requestId })]);
    return json(200, approvalMessage(command, userId, requestId, deps.config.approvalMinutes));
  }
  const started = await startWorkflow(command, { requestedBy: userId, name: `slack-${requestId}`, replyTo: { responseUrl, channelId: parsed.data.channel_id }, actor }, deps);
  return json(200, { response_type: 'in_channel', text: started });
}

async function handleButton(payload: string, policyRead: Promise<AuthorizationPolicy>, deps: SlackOpsDeps): Promise<HttpResponse> {
  const parsed = blockActionSchema.safeParse(safeJson(payload));
  if (!parsed.success) throw new CommandError('Unsupported interaction.');
  const { user, response_url: responseUrl, actions } = parsed.data;
  const action = actions[0];
  if (!action || (action.action_id !== 'approve' && action.action_id !== 'deny') || !action.value) {
    throw new CommandError(`Unknown action \`${action?.action_id ?? ''}\`.`);
  }
  const requestId = action.value;
  const actor = { who: user.id, from: `slack:${parsed.data.team?.id ?? '?'}/${parsed.data.channel?.id ?? '?'}` };
  try {
    const policy = await policyRead;
    const what = `${action.action_id} request ${requestId}`;
    await refuseUnless(actor, what, deps, () => authorizeOrigin(policy, { teamId: parsed.data.team?.id, channelId: parsed.data.channel?.id }));
    const pending = await readRequest(deps.ddb, deps.config.tableName, requestId);
    if (!pending) throw new ApprovalError('This request is unknown or has expired. Run the command again.');
    const requester = await refuseUnless(actor, what, deps, () => requesterOf(pending, policy), requestId);
    const command = parseCommand(pending.commandText, deps.config.limits);
    if (action.action_id === 'approve') {
      await refuseUnless(actor, what, deps, () => authorizeApproval(policy, command.name, user.id, requester), requestId);
    } else if (!policy.approvers.includes(user.id) && user.id !== requester) {
      await refuseUnless(actor, what, deps, () => {
        throw new NotAuthorized('Only an approver or the requester can deny this request.');
      }, requestId);
    }
    const decided = await decideRequest(deps.ddb, deps.config.tableName, {
      id: requestId,
      status: action.action_id === 'approve' ? 'approved' : 'denied',
      decidedBy: user.id,
      now: deps.now(),
    });
    if (decided.status === 'denied') {
      await deps.audit([entry(deps, actor, 'denial', `denied: ${describeCommand(command)} (requested by ${requester})`, { approvalId: requestId })]);
      await deps.respond(responseUrl, {
        replace_original: true,
        text: `:no_entry: Denied by <@${user.id}>: ${describeCommand(command)} (requested by <@${requester}>). Nothing was changed.`,
      });
    } else {
      const replyTo = { responseUrl, channelId: parsed.data.channel?.id, threadTs: parsed.data.container?.message_ts };
      const started = await startWorkflow(command, { requestedBy: requester, approvedBy: user.id, approvalId: requestId, name: `slack-${requestId}`, replyTo, actor }, deps);
      await deps.respond(responseUrl, { replace_original: true, text: `:white_check_mark: Approved by <@${user.id}>. ${started}` });
    }
  } catch (error) {
    if (error instanceof NotAuthorized || error instanceof ApprovalError || error instanceof CommandError) {
      await deps.respond(responseUrl, { response_type: 'ephemeral', replace_original: false, text: `:warning: ${error.message}\nNothing was changed.` });
      return { statusCode: 200, headers: {}, body: '' };
    }
    throw error;
  }
  return { statusCode: 200, headers: {}, body: '' };
}

/**
 * The person a request is from. A CLI request's id starts with the caller's AWS user id (IAM lets a caller write only
 * under its own), so its requester is whoever the authorization parameter maps that id to, whatever the item says.
 */
function requesterOf(request: RequestRecord, policy: AuthorizationPolicy): string {
  const separator = request.id.indexOf('#');
  if (separator < 0) return request.requestedBy;
  const awsUserId = request.id.slice(0, separator);
  const person = personForAwsIdentity(policy, awsUserId);
  if (!person) throw new NotAuthorized(`The AWS identity ${awsUserId} that asked is not mapped to a person in this environment's authorization parameter.`);
  if (person !== request.requestedBy) throw new NotAuthorized(`The request names <@${request.requestedBy}> but was made by the AWS identity of <@${person}>.`);
  return person;
}

/** Runs an authorization check; a refusal is written to the audit trail before the operator is told. */
async function refuseUnless<T>(actor: Actor, action: string, deps: SlackOpsDeps, check: () => T, approvalId?: string): Promise<T> {
  try {
    return check();
  } catch (error) {
    if (error instanceof NotAuthorized) await deps.audit([entry(deps, actor, 'refusal', action, { detail: error.message, approvalId })]);
    throw error;
  }
}

function entry(deps: SlackOpsDeps, actor: Actor, what: AuditEntry['what'], action: string, extra: Partial<AuditEntry> = {}): AuditEntry {
  return { at: deps.now().toISOString(), environment: deps.config.environment, what, ...actor, action, ...extra };
}

function assertEnvironment(command: OpsCommand, config: SlackOpsConfig): void {
  if ('environment' in command && command.environment !== config.environment) {
    throw new CommandError(
      `This command endpoint serves ${config.environment}; ${command.environment} has its own. Use the ${command.environment} command.`,
    );
  }
}

interface StartOptions {
  readonly requestedBy: string;
  readonly approvedBy?: string;
  /** The request an approval was recorded for: the workflow verifies it in its first state. */
  readonly approvalId?: string;
  readonly name: string;
  /** Where the outcome goes: the response URL, and the conversation (and thread) for a bot-token post once it expired. */
  readonly replyTo: { readonly responseUrl: string; readonly channelId?: string; readonly threadTs?: string };
  readonly actor: Actor;
}

async function startWorkflow(command: OpsCommand, options: StartOptions, deps: SlackOpsDeps): Promise<string> {
  const start = workflowFor(command, options.requestedBy, options.approvedBy);
  if (!start) throw new CommandError(`\`${command.name}\` does not start a workflow.`);
  const { region, account, prefix, tableName } = deps.config;
  const now = deps.now();
  if (options.approvalId && options.approvedBy) {
    // Written before the start, bound to the exact input: the workflow refuses any other input, and uses it once.
    await recordGrant(deps.ddb, tableName, {
      id: options.approvalId,
      workflow: start.workflow,
      requestedBy: options.requestedBy,
      approvedBy: options.approvedBy,
      inputHash: inputHash(start.input),
      approvedAt: now,
      usableUntil: new Date(now.getTime() + deps.config.approvalUseMinutes * 60_000),
      expiresAt: new Date(now.getTime() + deps.config.approvalRecordDays * 86_400_000),
    });
  }
  const arn = stateMachineArn(region, account, prefix, start.workflow);
  const execution = executionName(options.name);
  let executionArn = `${arn.replace(':stateMachine:', ':execution:')}:${execution}`;
  const input = options.approvalId ? { ...start.input, approvalId: options.approvalId } : start.input;
  try {
    const started = await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: execution, input: JSON.stringify(input) }));
    executionArn = started.executionArn ?? executionArn;
    await Promise.all([
      rememberFollowUp(deps.ddb, tableName, {
        executionName: execution,
        ...options.replyTo,
        requestedBy: options.requestedBy,
        responseUrlIssuedAt: now,
        expiresAt: new Date(now.getTime() + 24 * 3600_000),
      }),
      options.approvalId ? noteExecution(deps.ddb, tableName, options.approvalId, executionArn) : Promise.resolve(),
      deps.audit([
        entry(deps, options.actor, options.approvalId ? 'approval' : 'command', describeCommand(command), {
          approvalId: options.approvalId,
          detail: options.approvedBy ? `requested by ${options.requestedBy}, approved by ${options.approvedBy}` : undefined,
        }),
        entry(deps, options.actor, 'start', `started ${start.workflow}: ${describeCommand(command)}`, { executionArn, approvalId: options.approvalId }),
      ]),
    ]);
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
    return `Already started: ${describeCommand(command)}. Follow it with \`fhops follow ${executionArn}\`.`;
  }
  return [
    `Started ${start.workflow} for <@${options.requestedBy}>: ${describeCommand(command)}.`,
    `Follow: \`fhops follow ${executionArn}\`. The result will be posted here and to the ops channel.`,
    undoHint(command, deps.config.slashCommand),
  ]
    .filter((line) => line.length > 0)
    .join('\n');
}

function undoHint(command: OpsCommand, slash: string): string {
  switch (command.name) {
    case 'scale':
      return `Undo: \`${slash} scale-revert ${command.environment} ${command.service}\` (it also reverts by itself after ${command.durationMinutes} min).`;
    case 'failover-drill':
      return 'Undo: a failover cannot be undone; the drill stops by itself on its stop conditions and reports the state things are in.';
    case 'rollback':
      return 'Undo: the result names the release it replaced; deploy that one again through the release path.';
    case 'dr-simulation':
      return 'Undo: nothing to undo in the primary region; the simulation deletes what it creates in the DR region on every path and its result says what, if anything, is left.';
    default:
      return '';
  }
}

/** The message with Approve/Deny buttons, posted by the Slack ingress or by the CLI to the ops channel. */
export function approvalMessage(command: OpsCommand, requesterId: string, approvalId: string, minutes: number): SlackMessage {
  const text = `<@${requesterId}> asks to ${describeCommand(command)}. A second person must approve within ${minutes} min.`;
  return {
    response_type: 'in_channel',
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `:raised_hand: *Approval needed (production)*\n${text}` } },
      {
        type: 'actions',
        block_id: `approval-${approvalId}`,
        elements: [
          { type: 'button', action_id: 'approve', style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: approvalId },
          { type: 'button', action_id: 'deny', style: 'danger', text: { type: 'plain_text', text: 'Deny' }, value: approvalId },
        ],
      },
    ],
  };
}

async function runningWorkflows(deps: SlackOpsDeps): Promise<string> {
  const { region, account, prefix, environment } = deps.config;
  const lists = await Promise.all(
    WORKFLOWS.map(async (workflow: WorkflowName) => {
      const { executions = [] } = await deps.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: stateMachineArn(region, account, prefix, workflow), statusFilter: 'RUNNING', maxResults: 20 }),
      );
      return executions.map((execution) => `• ${workflow}: \`${execution.name}\` since ${execution.startDate?.toISOString() ?? '?'}`);
    }),
  );
  const lines = lists.flat();
  return lines.length === 0 ? `Nothing is running in ${environment}.` : `*Running in ${environment}*\n${lines.join('\n')}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
