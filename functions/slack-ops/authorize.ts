import * as z from 'zod';

/**
 * Who may do what in one environment, kept in that environment's SSM parameter so the on-call roster changes
 * without a deploy. Nobody is authorized until the parameter names them.
 */
export const authorizationPolicySchema = z.object({
  operators: z.array(z.string()).default([]),
  approvers: z.array(z.string()).default([]),
  /** Narrows a command to these users; a command not listed is open to operators and approvers. */
  commands: z.record(z.string(), z.array(z.string())).default({}),
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

export function authorizeCommand(policy: AuthorizationPolicy, command: string, userId: string): void {
  const allowed = policy.commands[command] ?? [...policy.operators, ...policy.approvers];
  if (!allowed.includes(userId)) {
    throw new NotAuthorized(`<@${userId}> is not authorized to run \`${command}\` here. Ask the platform team to add you.`);
  }
}

export function authorizeApproval(policy: AuthorizationPolicy, approverId: string, requesterId: string): void {
  if (approverId === requesterId) throw new NotAuthorized('A second person must approve: you cannot approve your own request.');
  if (!policy.approvers.includes(approverId)) throw new NotAuthorized(`<@${approverId}> is not an approver for this environment.`);
}
