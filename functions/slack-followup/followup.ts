import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { findFollowUp } from '../slack-ops/approvals.js';

/** EventBridge "Step Functions Execution Status Change", the fields we read. */
export const executionStatusChangeSchema = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string(),
    stateMachineArn: z.string(),
    name: z.string(),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
    startDate: z.number().nullish(),
    stopDate: z.number().nullish(),
    output: z.string().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});

export type ExecutionStatusChange = z.infer<typeof executionStatusChangeSchema>;

const ICON: Record<string, string> = { SUCCEEDED: ':white_check_mark:', FAILED: ':x:', TIMED_OUT: ':hourglass:', ABORTED: ':octagonal_sign:' };

/** One message for the operator who started the execution: outcome, duration, and where the details are. */
export function followUpMessage(change: ExecutionStatusChange): { response_type: 'in_channel'; text: string } {
  const { detail } = change;
  const workflow = detail.stateMachineArn.split(':').pop() ?? detail.stateMachineArn;
  const seconds = detail.startDate && detail.stopDate ? Math.round((detail.stopDate - detail.startDate) / 1000) : undefined;
  const summary = summaryOf(detail.output);
  const lines = [
    `${ICON[detail.status] ?? ''} ${workflow} \`${detail.name}\` ${detail.status.toLowerCase().replace('_', ' ')}${seconds === undefined ? '' : ` after ${seconds} s`}.`,
    summary ? `Result: ${summary}` : '',
    detail.error ? `Error: ${detail.error}${detail.cause ? `: ${detail.cause.slice(0, 300)}` : ''}` : '',
    `Details: \`fhops follow ${detail.executionArn}\`; the full result is in the ops channel.`,
  ];
  return { response_type: 'in_channel', text: lines.filter((line) => line.length > 0).join('\n') };
}

function summaryOf(output: string | null | undefined): string | undefined {
  if (!output) return undefined;
  try {
    const parsed = JSON.parse(output) as { summary?: unknown; result?: { summary?: unknown } };
    const summary = parsed.summary ?? parsed.result?.summary;
    return typeof summary === 'string' ? summary : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Slack honours a response URL for 30 minutes (and 5 posts); past this age the outcome goes with the bot token,
 * leaving a margin for EventBridge's and Lambda's retries.
 */
export const RESPONSE_URL_USABLE_MS = 25 * 60_000;

export interface FollowUpDeps {
  readonly ddb: DynamoDBClient;
  readonly tableName: string;
  readonly respond: (responseUrl: string, message: unknown) => Promise<void>;
  /** chat.postMessage with the bot token, to the channel (threaded under `thread_ts` when given). */
  readonly postToChannel: (message: { channel: string; text: string; thread_ts?: string }) => Promise<void>;
  readonly now: () => Date;
}

export type FollowUpOutcome = 'posted' | 'posted-to-channel' | 'not-from-slack' | 'still-running';

/**
 * Posts the outcome to Slack when the execution was started from Slack; any other execution is left alone. A run
 * that outlived its response URL is posted to the conversation with the bot token instead.
 */
export async function followUpExecution(change: ExecutionStatusChange, deps: FollowUpDeps): Promise<FollowUpOutcome> {
  if (change.detail.status === 'RUNNING') return 'still-running';
  const followUp = await findFollowUp(deps.ddb, deps.tableName, change.detail.name);
  if (!followUp) return 'not-from-slack';
  const message = followUpMessage(change);
  // Records from before the issue time was kept count as issued when the execution started.
  const issuedAt = followUp.responseUrlIssuedAt?.getTime() ?? change.detail.startDate ?? 0;
  if (deps.now().getTime() - issuedAt < RESPONSE_URL_USABLE_MS) {
    await deps.respond(followUp.responseUrl, message);
    return 'posted';
  }
  if (!followUp.channelId) {
    throw new Error(`The response URL of ${change.detail.name} has expired and no channel was recorded; the outcome is in the ops channel`);
  }
  const mention = followUp.requestedBy ? `<@${followUp.requestedBy}> ` : '';
  await deps.postToChannel({ channel: followUp.channelId, text: `${mention}${message.text}`, ...(followUp.threadTs ? { thread_ts: followUp.threadTs } : {}) });
  return 'posted-to-channel';
}
