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
  'smoke-test',
  'rollback',
  'dr-simulation',
] as const;

export type WorkflowName = (typeof WORKFLOWS)[number];

export function isWorkflowName(value: string): value is WorkflowName {
  return (WORKFLOWS as readonly string[]).includes(value);
}
