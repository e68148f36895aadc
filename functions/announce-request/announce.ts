import type { DynamoDBRecord } from 'aws-lambda';
import type { EnvironmentName } from '../../contracts/environments.js';
import type { AuditEntry } from '../lib/audit.js';
import { logger } from '../lib/powertools.js';
import { type AuthorizationPolicy, NotAuthorized, authorizeCommand, personForAwsIdentity } from '../slack-ops/authorize.js';
import type { ScalingLimits } from '../../contracts/scaling.js';
import { CommandError, describeCommand, needsApproval, parseCommand } from '../slack-ops/commands.js';
import { type SlackMessage, approvalMessage } from '../slack-ops/slack-ops.js';

export interface AnnounceSettings {
  readonly environment: EnvironmentName;
  readonly limits: ScalingLimits;
  readonly fourEyesWorkflows: readonly string[];
}

export interface AnnounceDependencies {
  readonly settings: AnnounceSettings;
  /** The authorization parameter, read fresh: the roster at the time of the request. */
  readonly policy: () => Promise<AuthorizationPolicy>;
  /** Posts to the ops channel (its incoming webhook). */
  readonly post: (message: SlackMessage) => Promise<void>;
  readonly audit: (entries: readonly AuditEntry[]) => Promise<void>;
  readonly now: () => Date;
}

export type AnnounceOutcome = 'announced' | 'refused' | 'expired' | 'ignored';

/** A CLI request as the table stream shows the new item. */
interface CliRequest {
  readonly requestId: string;
  readonly awsUserId: string;
  readonly requestedBy: string;
  readonly commandText: string;
  readonly origin: string;
  readonly expiresAt: Date;
}

function cliRequestOf(record: DynamoDBRecord): CliRequest | undefined {
  const image = record.dynamodb?.NewImage;
  const key = image?.id?.S;
  if (record.eventName !== 'INSERT' || !key?.startsWith('request#') || !image?.origin?.S?.startsWith('cli:')) return undefined;
  const requestId = key.slice('request#'.length);
  const separator = requestId.indexOf('#');
  if (separator <= 0) return undefined;
  return {
    requestId,
    awsUserId: requestId.slice(0, separator),
    requestedBy: image.requestedBy?.S ?? '',
    commandText: image.commandText?.S ?? '',
    origin: image.origin.S,
    expiresAt: new Date(Number(image.expiresAt?.N ?? 0) * 1000),
  };
}

/**
 * A request the CLI recorded, put to the ops channel with Approve/Deny by the approval path itself, built from the
 * record (never from a message the caller wrote): the text approvers read is the command that will run. The
 * requester is whoever the authorization parameter maps the request's AWS user id to (IAM lets a caller write
 * requests only under its own); a request from an unmapped or unauthorized identity, or for a command that needs no
 * approval, is refused: audited, and said in the channel, with no buttons.
 */
export async function announceRequest(record: DynamoDBRecord, deps: AnnounceDependencies): Promise<AnnounceOutcome> {
  const request = cliRequestOf(record);
  if (!request) return 'ignored';
  const { settings } = deps;
  const minutesLeft = Math.floor((request.expiresAt.getTime() - deps.now().getTime()) / 60_000);
  const base = { environment: settings.environment, who: request.requestedBy || request.awsUserId, from: request.origin, approvalId: request.requestId };
  const at = () => deps.now().toISOString();
  try {
    const policy = await deps.policy();
    const person = personForAwsIdentity(policy, request.awsUserId);
    if (!person) throw new NotAuthorized(`The AWS identity ${request.awsUserId} is not mapped to a person in this environment's authorization parameter.`);
    if (person !== request.requestedBy) throw new NotAuthorized(`The request names ${request.requestedBy} but was made by the AWS identity of ${person}.`);
    const command = parseCommand(request.commandText, settings.limits);
    if (!needsApproval(command, settings.fourEyesWorkflows)) throw new NotAuthorized(`\`${request.commandText}\` needs no approval here; nothing to decide.`);
    authorizeCommand(policy, command.name, person);
    if (minutesLeft < 1) {
      logger.warn('CLI request reached the stream after it expired; not announced', { requestId: request.requestId });
      return 'expired';
    }
    await deps.post(approvalMessage(command, person, request.requestId, minutesLeft));
    await deps.audit([{ ...base, at: at(), what: 'request', action: `asks to ${describeCommand(command)}`, detail: `from the CLI as AWS user id ${request.awsUserId}` }]);
    return 'announced';
  } catch (error) {
    if (!(error instanceof NotAuthorized || error instanceof CommandError)) throw error;
    await deps.audit([{ ...base, at: at(), what: 'refusal', action: `asks to run \`${request.commandText}\``, detail: error.message }]);
    await deps.post({ text: `:no_entry: A request from the CLI (${request.origin}) was refused and cannot be approved: ${error.message.replace(/<@([^>]+)>/g, '$1')}` });
    return 'refused';
  }
}
