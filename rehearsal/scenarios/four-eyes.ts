import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { EnvironmentName } from '../../contracts/environments.js';
import type { WorkflowName } from '../../contracts/workflows.js';
import { inputHash } from '../../functions/lib/approvals.js';
import { environmentConfig } from '../../infra/config.js';
import type { SimulatedAccount } from '../simulated/account.js';
import { SimulatedDynamoDb } from '../simulated/dynamodb.js';

const REHEARSAL_APPROVAL = 'rehearsal-approval';

const needsTwo = (workflow: WorkflowName, environment: EnvironmentName) => environmentConfig(environment).fourEyes.workflows.includes(workflow);

/**
 * The input of a workflow that needs two people where the config says so: U04ALICE asked, U04BOB approved, with the
 * approval id the approval path starts it with; elsewhere the input as it is.
 */
export function approvedInput(workflow: WorkflowName, environment: EnvironmentName, input: Record<string, unknown>): Record<string, unknown> {
  if (!needsTwo(workflow, environment)) return input;
  return { ...input, requestedBy: 'U04ALICE', approvedBy: 'U04BOB', approvalId: REHEARSAL_APPROVAL };
}

/**
 * The approval path's record of that approval in the simulated approvals table (conditional writes evaluated), the
 * roster naming both people, and the audit trail: what the workflow's first state verifies.
 */
export function recordApproval(
  account: SimulatedAccount,
  workflow: WorkflowName,
  environment: EnvironmentName,
  input: Record<string, unknown>,
  at: Date = new Date(),
  dynamodb: SimulatedDynamoDb = new SimulatedDynamoDb(account),
): void {
  if (!needsTwo(workflow, environment)) return;
  const { prefix } = environmentConfig(environment);
  const now = Math.floor(at.getTime() / 1000);
  dynamodb.seed(`${prefix}-slack-approvals`, {
    id: { S: `approval#${REHEARSAL_APPROVAL}` },
    status: { S: 'approved' },
    workflow: { S: workflow },
    requestedBy: { S: 'U04ALICE' },
    approvedBy: { S: 'U04BOB' },
    inputHash: { S: inputHash(input) },
    approvedAt: { S: at.toISOString() },
    usableUntil: { N: String(now + 600) },
    expiresAt: { N: String(now + 86_400) },
  });
  account.mock(SSMClient).on(GetParameterCommand).resolves({
    Parameter: { Value: JSON.stringify({ teamId: 'T0REHEARSAL', channels: ['C0OPS'], operators: ['U04ALICE'], approvers: ['U04BOB'] }) },
  });
  account.mock(S3Client).on(PutObjectCommand).resolves({});
}
