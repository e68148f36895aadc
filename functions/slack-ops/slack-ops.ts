import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, ListExecutionsCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { executionName, stateMachineArn } from '../lib/workflows.js';
import { type WorkflowName, WORKFLOWS } from '../../contracts/workflows.js';
import { ApprovalError, decideApproval, readApproval, rememberFollowUp, requestApproval } from './approvals.js';
import { type AuthorizationPolicy, NotAuthorized, authorizeApproval, authorizeCommand } from './authorize.js';
import { CommandError, type OpsCommand, type ScalingLimits, USAGE, describeCommand, needsApproval, parseCommand, workflowFor } from './commands.js';
import { SlackRequestRejected, verifySlackSignature } from './verify-signature.js';
import type { EnvironmentName } from '../../contracts/environments.js';

export interface SlackOpsConfig {
  readonly environment: EnvironmentName;
  readonly region: string;
  readonly account: string;
  readonly prefix: string;
  readonly tableName: string;
  readonly limits: ScalingLimits;
  readonly approvalMinutes: number;
}

export interface SlackOpsDeps {
  readonly sfn: SFNClient;
  readonly ddb: DynamoDBClient;
  readonly config: SlackOpsConfig;
  readonly signingSecret: () => Promise<string>;
  readonly policy: () => Promise<AuthorizationPolicy>;
  /** Posts a message to a Slack response_url (used for button clicks, whose HTTP answer Slack ignores). */
  readonly respond: (responseUrl: string, message: SlackMessage) => Promise<void>;
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
  text: z.string().default(''),
  user_id: z.string().min(1),
  response_url: z.string().url(),
});

const blockActionSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1) }),
  response_url: z.string().url(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).min(1),
});

const json = (statusCode: number, body: unknown): HttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const ephemeral = (text: string): HttpResponse => json(200, { response_type: 'ephemeral', text });

/** Answers every Slack request within its 3 s budget; anything it cannot act on changes nothing and says why. */
export async function handleSlackRequest(request: HttpRequest, deps: SlackOpsDeps): Promise<HttpResponse> {
  const rawBody = request.isBase64Encoded ? Buffer.from(request.body ?? '', 'base64').toString('utf8') : (request.body ?? '');
  try {
    verifySlackSignature(
      { rawBody, timestamp: request.headers['x-slack-request-timestamp'], signature: request.headers['x-slack-signature'] },
      { signingSecret: await deps.signingSecret(), nowSeconds: Math.floor(deps.now().getTime() / 1000) },
    );
  } catch (error) {
    if (error instanceof SlackRequestRejected) return { statusCode: 401, headers: { 'content-type': 'text/plain' }, body: error.message };
    throw error;
  }

  const form = new URLSearchParams(rawBody);
  const payload = form.get('payload');
  try {
    return payload === null
      ? await handleSlashCommand(Object.fromEntries(form.entries()), request.headers['x-slack-request-timestamp'] ?? '', deps)
      : await handleButton(payload, deps);
  } catch (error) {
    if (error instanceof CommandError || error instanceof NotAuthorized || error instanceof ApprovalError) {
      return ephemeral(`:warning: ${error.message}\nNothing was changed.`);
    }
    throw error;
  }
}

async function handleSlashCommand(fields: Record<string, string>, timestamp: string, deps: SlackOpsDeps): Promise<HttpResponse> {
  const parsed = slashCommandSchema.safeParse(fields);
  if (!parsed.success) throw new CommandError('This request does not look like a slash command.');
  const { text, user_id: userId, response_url: responseUrl } = parsed.data;
  const command = parseCommand(text, deps.config.limits);
  if (command.name === 'help') return ephemeral(`*FinanceHub ops commands* (${deps.config.environment})\n${USAGE}`);
  assertEnvironment(command, deps.config);
  authorizeCommand(await deps.policy(), command.name, userId);

  if (command.name === 'status') return ephemeral(await runningWorkflows(deps));

  // Slack may deliver the same request twice; the same user, text and timestamp map to the same id.
  const requestId = createHash('sha256').update(`${userId}:${timestamp}:${text}`).digest('hex').slice(0, 16);
  if (needsApproval(command)) {
    const expiresAt = new Date(deps.now().getTime() + deps.config.approvalMinutes * 60_000);
    await requestApproval(deps.ddb, deps.config.tableName, { id: requestId, commandText: text, requestedBy: userId, expiresAt });
    return json(200, approvalMessage(command, userId, requestId, deps.config.approvalMinutes));
  }
  const started = await startWorkflow(command, userId, undefined, `slack-${requestId}`, responseUrl, deps);
  return json(200, { response_type: 'in_channel', text: started });
}

async function handleButton(payload: string, deps: SlackOpsDeps): Promise<HttpResponse> {
  const parsed = blockActionSchema.safeParse(safeJson(payload));
  if (!parsed.success) throw new CommandError('Unsupported interaction.');
  const { user, response_url: responseUrl, actions } = parsed.data;
  const action = actions[0];
  if (!action || (action.action_id !== 'approve' && action.action_id !== 'deny') || !action.value) {
    throw new CommandError(`Unknown action \`${action?.action_id ?? ''}\`.`);
  }
  const approvalId = action.value;
  const now = deps.now();
  try {
    const policy = await deps.policy();
    if (action.action_id === 'approve') {
      const pending = await peekCommand(approvalId, deps);
      authorizeApproval(policy, user.id, pending.requestedBy);
    } else if (!policy.approvers.includes(user.id) && user.id !== (await peekCommand(approvalId, deps)).requestedBy) {
      throw new NotAuthorized('Only an approver or the requester can deny this request.');
    }
    const decided = await decideApproval(deps.ddb, deps.config.tableName, {
      id: approvalId,
      status: action.action_id === 'approve' ? 'approved' : 'denied',
      decidedBy: user.id,
      now,
    });
    const command = parseCommand(decided.commandText, deps.config.limits);
    if (decided.status === 'denied') {
      await deps.respond(responseUrl, {
        replace_original: true,
        text: `:no_entry: Denied by <@${user.id}>: ${describeCommand(command)} (requested by <@${decided.requestedBy}>). Nothing was changed.`,
      });
    } else {
      const started = await startWorkflow(command, decided.requestedBy, user.id, `slack-${approvalId}`, responseUrl, deps);
      await deps.respond(responseUrl, { replace_original: true, text: `:white_check_mark: Approved by <@${user.id}>. ${started}` });
    }
  } catch (error) {
    if (error instanceof NotAuthorized || error instanceof ApprovalError || error instanceof CommandError) {
      await deps.respond(responseUrl, { response_type: 'ephemeral', replace_original: false, text: `:warning: ${error.message}` });
      return { statusCode: 200, headers: {}, body: '' };
    }
    throw error;
  }
  return { statusCode: 200, headers: {}, body: '' };
}

async function peekCommand(approvalId: string, deps: SlackOpsDeps): Promise<{ requestedBy: string }> {
  const record = await readApproval(deps.ddb, deps.config.tableName, approvalId);
  if (!record) throw new ApprovalError('This request is unknown or has expired. Run the command again.');
  return record;
}

function assertEnvironment(command: OpsCommand, config: SlackOpsConfig): void {
  if ('environment' in command && command.environment !== config.environment) {
    throw new CommandError(
      `This command endpoint serves ${config.environment}; ${command.environment} has its own. Use the ${command.environment} command.`,
    );
  }
}

async function startWorkflow(
  command: OpsCommand,
  requestedBy: string,
  approvedBy: string | undefined,
  name: string,
  responseUrl: string,
  deps: SlackOpsDeps,
): Promise<string> {
  const start = workflowFor(command, requestedBy, approvedBy);
  if (!start) throw new CommandError(`\`${command.name}\` does not start a workflow.`);
  const { region, account, prefix, tableName } = deps.config;
  const arn = stateMachineArn(region, account, prefix, start.workflow);
  const execution = executionName(name);
  let executionArn = `${arn.replace(':stateMachine:', ':execution:')}:${execution}`;
  try {
    const started = await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: execution, input: JSON.stringify(start.input) }));
    executionArn = started.executionArn ?? executionArn;
    await rememberFollowUp(deps.ddb, tableName, {
      executionName: execution,
      responseUrl,
      requestedBy,
      expiresAt: new Date(deps.now().getTime() + 24 * 3600_000),
    });
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
    return `Already started: ${describeCommand(command)}. Follow it with \`fhops follow ${executionArn}\`.`;
  }
  return [
    `Started ${start.workflow} for <@${requestedBy}>: ${describeCommand(command)}.`,
    `Follow: \`fhops follow ${executionArn}\`. The result will be posted here and to the ops channel.`,
    undoHint(command),
  ]
    .filter((line) => line.length > 0)
    .join('\n');
}

function undoHint(command: OpsCommand): string {
  switch (command.name) {
    case 'scale':
      return `Undo: \`/ops scale-revert ${command.environment} ${command.service}\` (it also reverts by itself after ${command.durationMinutes} min).`;
    case 'failover-drill':
      return 'Undo: a failover cannot be undone; the drill stops by itself on its stop conditions and reports the state things are in.';
    default:
      return '';
  }
}

function approvalMessage(command: OpsCommand, requesterId: string, approvalId: string, minutes: number): SlackMessage {
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
