/**
 * The workflows an operator can start, by the name the runbooks, the CLI and Slack use.
 * A workflow's state machine is named `<prefix>-<workflow>`, e.g. `financehub-production-restore-drill`.
 */
export const WORKFLOWS = [
  'backup-verification',
  'restore-drill',
  'failover-drill',
  'scaling-override',
  'alarm-remediation',
  'post-rotation',
] as const;

export type WorkflowName = (typeof WORKFLOWS)[number];

export function isWorkflowName(value: string): value is WorkflowName {
  return (WORKFLOWS as readonly string[]).includes(value);
}

export function stateMachineName(prefix: string, workflow: WorkflowName): string {
  return `${prefix}-${workflow}`;
}

export function stateMachineArn(region: string, account: string, prefix: string, workflow: WorkflowName): string {
  return `arn:aws:states:${region}:${account}:stateMachine:${stateMachineName(prefix, workflow)}`;
}

/** Execution names: at most 80 characters of [A-Za-z0-9-_], so a duplicate request maps to the same name. */
export function executionName(...parts: string[]): string {
  return parts
    .join('-')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);
}
