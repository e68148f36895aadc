import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { EnvironmentName } from '../../contracts/environments.js';
import type { WorkflowName } from '../../contracts/workflows.js';
import { inputHash } from '../../functions/lib/approvals.js';
import { environmentConfig } from '../../infra/config.js';
import type { SimulatedAccount } from '../simulated/account.js';
import { SimulatedDynamoDb } from '../simulated/dynamodb.js';

const REHEARSAL_APPROVAL = 'rehearsal-approval';

/** The Slack roster the approval path and the workflows' first state read from SSM. */
export interface Roster {
  readonly teamId: string;
  readonly channels: readonly string[];
  readonly operators: readonly string[];
  readonly approvers: readonly string[];
  readonly commands?: Readonly<Record<string, unknown>>;
  readonly awsIdentities?: Readonly<Record<string, string>>;
}

/** The rehearsal's two people: U04ALICE asks, U04BOB approves. */
const REHEARSAL_ROSTER: Roster = { teamId: 'T0REHEARSAL', channels: ['C0OPS'], operators: ['U04ALICE'], approvers: ['U04BOB'] };

/** One approval as the approval path records it; a test may record one the path never would (a self-approval, another workflow's). */
export interface Approval {
  readonly workflow: string;
  /** The input approved: its hash binds the approval. */
  readonly input: Record<string, unknown>;
  /** @default 'rehearsal-approval' */
  readonly id?: string;
  /** @default 'U04ALICE' */
  readonly requestedBy?: string;
  /** @default 'U04BOB' */
  readonly approvedBy?: string;
  /** @default now */
  readonly at?: Date;
  /** Minutes after `at` it may start the workflow (negative: expired already). @default 10 */
  readonly usableMinutes?: number;
  /** Days the record is kept (its TTL). @default 1 */
  readonly keptDays?: number;
}

export interface FourEyesWorld {
  /** The environment's approvals table, `<prefix>-slack-approvals`. */
  readonly table: string;
  readonly dynamodb: SimulatedDynamoDb;
  /** Writes an approval record; answers its id. */
  readonly record: (approval: Approval) => string;
}

export interface FourEyesWorldOptions {
  /** @default the rehearsal's roster (U04ALICE asks, U04BOB approves) */
  readonly roster?: Roster;
  /** The account's simulated DynamoDB, when the scenario keeps other tables there too. */
  readonly dynamodb?: SimulatedDynamoDb;
}

/**
 * What a workflow that needs two people reads before it acts: the approvals table (conditional writes evaluated), the
 * roster naming who may ask and who may approve, and the audit trail bucket.
 */
export function fourEyesWorld(account: SimulatedAccount, environment: EnvironmentName, options: FourEyesWorldOptions = {}): FourEyesWorld {
  const table = `${environmentConfig(environment).prefix}-slack-approvals`;
  const dynamodb = options.dynamodb ?? new SimulatedDynamoDb(account);
  const roster = options.roster ?? REHEARSAL_ROSTER;
  account.mock(SSMClient).on(GetParameterCommand).callsFake(async () => ({ Parameter: { Value: JSON.stringify(roster) } }));
  account.mock(S3Client).on(PutObjectCommand).resolves({});
  const record = (approval: Approval): string => {
    const id = approval.id ?? REHEARSAL_APPROVAL;
    const at = approval.at ?? new Date();
    const now = Math.floor(at.getTime() / 1000);
    dynamodb.seed(table, {
      id: { S: `approval#${id}` },
      status: { S: 'approved' },
      workflow: { S: approval.workflow },
      requestedBy: { S: approval.requestedBy ?? 'U04ALICE' },
      approvedBy: { S: approval.approvedBy ?? 'U04BOB' },
      inputHash: { S: inputHash(approval.input) },
      approvedAt: { S: at.toISOString() },
      usableUntil: { N: String(now + (approval.usableMinutes ?? 10) * 60) },
      expiresAt: { N: String(now + (approval.keptDays ?? 1) * 86_400) },
    });
    return id;
  };
  return { table, dynamodb, record };
}

const needsTwo = (workflow: WorkflowName, environment: EnvironmentName) => environmentConfig(environment).fourEyes.workflows.includes(workflow);

/**
 * The input of a workflow that needs two people where the config says so: U04ALICE asked, U04BOB approved, with the
 * approval id the approval path starts it with; elsewhere the input as it is.
 */
export function approvedInput(workflow: WorkflowName, environment: EnvironmentName, input: Record<string, unknown>): Record<string, unknown> {
  if (!needsTwo(workflow, environment)) return input;
  return { ...input, requestedBy: 'U04ALICE', approvedBy: 'U04BOB', approvalId: REHEARSAL_APPROVAL };
}

/** Where the workflow needs two people: the four-eyes world with the approval of `input` recorded at `at`, what its first state verifies. */
export function recordApproval(
  account: SimulatedAccount,
  workflow: WorkflowName,
  environment: EnvironmentName,
  input: Record<string, unknown>,
  at: Date = new Date(),
  dynamodb: SimulatedDynamoDb = new SimulatedDynamoDb(account),
): void {
  if (!needsTwo(workflow, environment)) return;
  fourEyesWorld(account, environment, { dynamodb }).record({ workflow, input, at });
}
