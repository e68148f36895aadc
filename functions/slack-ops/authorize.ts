import * as z from 'zod/mini';

/**
 * Who may do what in one environment, and from where, kept in that environment's SSM parameter so the on-call
 * roster changes without a deploy. Nobody and nowhere is authorized until the parameter names them.
 * The schema is documented in docs/runbooks/slack-ops.md.
 */
export const authorizationPolicySchema = z.object({
  /** The Slack workspace (team_id) whose commands this environment accepts. */
  teamId: z._default(z.string(), ''),
  /** Channel ids this environment's commands and approvals are accepted from (its ops channel). */
  channels: z._default(z.array(z.string()), []),
  operators: z._default(z.array(z.string()), []),
  approvers: z._default(z.array(z.string()), []),
  /** Narrows a command to these users; a command not listed is open to operators and approvers. */
  commands: z._default(z.record(z.string(), z.array(z.string())), {}),
  /** AWS user ids (`UserId` of `aws sts get-caller-identity`) of CLI callers, mapped to the Slack user they are. */
  awsIdentities: z._default(z.record(z.string(), z.string()), {}),
});

export type AuthorizationPolicy = z.infer<typeof authorizationPolicySchema>;

export class NotAuthorized extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotAuthorized';
  }
}

export function parsePolicy(json: string): AuthorizationPolicy {
  const parsed = authorizationPolicySchema.safeParse(JSON.parse(json));
  if (!parsed.success) throw new Error(`Slack authorization policy is malformed: ${parsed.error.message}`);
  return parsed.data;
}

/** Commands and clicks count only from the environment's workspace and channels; anything else is refused, saying so. */
export function authorizeOrigin(policy: AuthorizationPolicy, origin: { teamId: string | undefined; channelId: string | undefined }): void {
  if (!policy.teamId || origin.teamId !== policy.teamId) {
    throw new NotAuthorized(
      `This environment accepts ops commands only from its own Slack workspace; this came from workspace ${origin.teamId ?? 'unknown'}.`,
    );
  }
  if (!origin.channelId || !policy.channels.includes(origin.channelId)) {
    const allowed = policy.channels.map((channel) => `<#${channel}>`).join(', ') || 'no channel yet (ask the platform team)';
    throw new NotAuthorized(`Ops commands for this environment are accepted only in ${allowed}; this came from channel ${origin.channelId ?? 'unknown'}.`);
  }
}

export function authorizeCommand(policy: AuthorizationPolicy, command: string, userId: string): void {
  const allowed = policy.commands[command] ?? [...policy.operators, ...policy.approvers];
  if (!allowed.includes(userId)) {
    throw new NotAuthorized(`<@${userId}> is not authorized to run \`${command}\` here. Ask the platform team to add you.`);
  }
}

/** At approval time: a second person, an approver now, and the requester still allowed to ask for this command. */
export function authorizeApproval(policy: AuthorizationPolicy, command: string, approverId: string, requesterId: string): void {
  if (approverId === requesterId) throw new NotAuthorized('A second person must approve: you cannot approve your own request.');
  if (!policy.approvers.includes(approverId)) throw new NotAuthorized(`<@${approverId}> is not an approver for this environment.`);
  try {
    authorizeCommand(policy, command, requesterId);
  } catch {
    throw new NotAuthorized(`<@${requesterId}> is no longer authorized to run \`${command}\` here, so their request cannot be approved.`);
  }
}

/** The person a CLI caller is, by the AWS user id IAM vouches for; undefined when the parameter does not map it. */
export function personForAwsIdentity(policy: AuthorizationPolicy, awsUserId: string): string | undefined {
  return policy.awsIdentities[awsUserId];
}
