import type { WorkflowName } from '../../contracts/workflows.js';

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
