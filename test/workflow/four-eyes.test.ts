import { ApplicationAutoScalingClient, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeReplicationGroupsCommand, ElastiCacheClient, TestFailoverCommand } from '@aws-sdk/client-elasticache';
import { RDSClient, RebootDBInstanceCommand } from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SimulatedAccount, publishedResults } from '../../rehearsal/simulated/account.js';
import type { SimulatedDynamoDb } from '../../rehearsal/simulated/dynamodb.js';
import { type FourEyesWorld, type Roster } from '../../rehearsal/scenarios/four-eyes.js';
import { scalingOverrideWorld } from '../../rehearsal/scenarios/scaling-override.js';
import approveSample from '../../events/slack-ops-approve.json';
import { requestApprovalFromCli } from '../../cli/approval-request.js';
import { announceRequest } from '../../functions/announce-request/announce.js';
import { parsePolicy } from '../../functions/slack-ops/authorize.js';
import { parseCommand } from '../../functions/slack-ops/commands.js';
import { type SlackMessage, handleSlackRequest } from '../../functions/slack-ops/slack-ops.js';
import { slackSignature } from '../../functions/slack-ops/verify-signature.js';
import { environmentConfig, scalingLimits } from '../../infra/config.js';
import { APPROVAL_GATE_STATES as G } from '../../infra/constructs/approval-gate.js';
import { SCALING_OVERRIDE_STATES as S } from '../../infra/workflows/scaling-override.js';
import { type DeployedHandler, type WorkflowRun, functionEnvironment, inProcess, loadStateMachine, quietEmptyMetricsWarnings, runWorkflow } from './support/workflow.js';

const TABLE = 'financehub-production-slack-approvals';
const ACCOUNT_ID = '222222222222';
const OVERRIDE_MACHINE = `arn:aws:states:us-east-1:${ACCOUNT_ID}:stateMachine:financehub-production-scaling-override`;
const REMEDIATION = `arn:aws:states:us-east-1:${ACCOUNT_ID}:execution:financehub-production-alarm-remediation:incident-1`;

const account = new SimulatedAccount();
const autoscaling = account.mock(ApplicationAutoScalingClient);
const sfn = account.mock(SFNClient);
const s3 = account.mock(S3Client);
const rds = account.mock(RDSClient);
const elasticache = account.mock(ElastiCacheClient);
let table: SimulatedDynamoDb;
let record: FourEyesWorld['record'];
let verify: DeployedHandler;
let override: DeployedHandler;
let failover: DeployedHandler;

const ROSTER = {
  teamId: 'T0FINHUB1',
  channels: ['C0OPS0001'],
  operators: ['U0ALICE'],
  approvers: ['U0BOB', 'U0CAROL'],
  commands: {},
  awsIdentities: {},
};

/** The override Slack starts after U0BOB approved U0ALICE's request (what the approval path binds). */
const APPROVED = {
  environment: 'production',
  service: 'backend',
  min: 4,
  max: 12,
  durationMinutes: 60,
  reason: 'load test',
  requestedBy: 'U0ALICE',
  approvedBy: 'U0BOB',
};

const LIMITS = scalingLimits(environmentConfig('production'));
const SIGNING_SECRET = 'signing-secret-for-tests';

/** The real Slack ingress on the simulated table: a person clicks a button in the ops channel. */
function slackIngress(roster: object, answers: SlackMessage[]) {
  const config = environmentConfig('production');
  return {
    click: async (action: 'approve' | 'deny', user: string, requestId: string) => {
      const body = new URLSearchParams({
        payload: JSON.stringify({ ...approveSample, user: { ...approveSample.user, id: user }, actions: [{ ...approveSample.actions[0], action_id: action, value: requestId }] }),
      }).toString();
      const timestamp = String(Math.floor(Date.now() / 1000));
      await handleSlackRequest(
        { headers: { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature(SIGNING_SECRET, timestamp, body) }, body, isBase64Encoded: false },
        {
          sfn: new SFNClient({}),
          ddb: new DynamoDBClient({}),
          config: {
            environment: 'production',
            region: 'us-east-1',
            account: ACCOUNT_ID,
            prefix: config.prefix,
            tableName: TABLE,
            slashCommand: config.slack.command,
            limits: LIMITS,
            approvalMinutes: config.slack.approvalMinutes,
            approvalUseMinutes: config.fourEyes.approvalUseMinutes,
            approvalRecordDays: config.audit.retentionDays,
            fourEyesWorkflows: config.fourEyes.workflows,
          },
          signingSecrets: async () => [SIGNING_SECRET],
          policy: async () => parsePolicy(JSON.stringify(roster)),
          respond: async (_url, message) => void answers.push(message),
          audit: async () => undefined,
          now: () => new Date(),
        },
      );
    },
  };
}

/** An approval as the approval path writes it; a scenario may write one the path never would. */
function recordApproval(options: { id?: string; input?: Record<string, unknown>; requestedBy?: string; approvedBy?: string; workflow?: string; usableMinutes?: number } = {}): string {
  return record({
    id: options.id ?? 'a1b2c3d4e5f60718',
    workflow: options.workflow ?? 'scaling-override',
    requestedBy: options.requestedBy ?? 'U0ALICE',
    approvedBy: options.approvedBy ?? 'U0BOB',
    input: options.input ?? APPROVED,
    usableMinutes: options.usableMinutes,
    keptDays: 365,
  });
}

/** The production override's world, with the approvals read against `roster`. */
function scenario(roster: Roster = ROSTER): void {
  account.reset();
  ({ dynamodb: table, record } = scalingOverrideWorld(account, 'production', { roster }).approvals);
}

async function runOverride(input: Record<string, unknown>, executionName = 'slack-a1b2c3d4e5f60718'): Promise<WorkflowRun> {
  return runWorkflow({
    definition: loadStateMachine('production', 'scaling-override'),
    input,
    executionName,
    lambdas: { 'verify-approval': inProcess(verify, 'verify-approval'), 'scaling-override': inProcess(override, 'scaling-override') },
  });
}

const changedScaling = () => autoscaling.commandCalls(RegisterScalableTargetCommand).length;
const audited = () =>
  s3
    .commandCalls(PutObjectCommand)
    .flatMap((call) => String(call.args[0].input.Body).trim().split('\n'))
    .map((line) => JSON.parse(line) as { what: string; who: string; detail?: string; executionArn?: string });

/** Refused before any change: the gate's path only, nothing registered, a critical result naming who tried. */
function assertRefused(run: WorkflowRun, reason: RegExp, who: string): void {
  expect(run).toMatchObject({ status: 'FAILED', error: 'ApprovalRefused' });
  expect(run.cause).toMatch(reason);
  expect(run.path).toEqual([G.verify, G.refused]);
  expect(changedScaling()).toBe(0);
  const [refusal, ...others] = publishedResults(account);
  expect(others).toEqual([]);
  expect(refusal).toMatchObject({ workflow: 'scaling-override', environment: 'production', outcome: 'failed', severity: 'critical', requestedBy: who });
  expect(refusal?.summary).toMatch(reason);
  expect(refusal?.summary).toContain('Nothing was changed.');
  expect(audited()).toEqual([expect.objectContaining({ what: 'refusal', who, detail: expect.stringMatching(reason) })]);
}

beforeAll(async () => {
  Object.assign(process.env, functionEnvironment('production', 'scaling-override'), functionEnvironment('production', 'verify-approval'));
  quietEmptyMetricsWarnings();
  ({ handler: verify } = (await import('../../functions/verify-approval/handler.js')) as { handler: DeployedHandler });
  ({ handler: override } = (await import('../../functions/scaling-override/handler.js')) as { handler: DeployedHandler });
  Object.assign(process.env, functionEnvironment('production', 'failover-drill'));
  ({ handler: failover } = (await import('../../functions/failover-drill/handler.js')) as { handler: DeployedHandler });
});

afterAll(() => {
  account.restore();
});

describe('four eyes in the production scaling override', () => {
  it('runs an override approved by a second person, and uses the approval for this execution', async () => {
    // Prepare
    scenario();
    const approvalId = recordApproval();

    // Act
    const run = await runOverride({ ...APPROVED, approvalId });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path.slice(0, 3)).toEqual([G.verify, S.validate, S.replace]);
    expect(changedScaling()).toBe(2);
    expect(table.item(TABLE, `approval#${approvalId}`)?.usedBy?.S).toBe(`${OVERRIDE_MACHINE.replace(':stateMachine:', ':execution:')}:slack-a1b2c3d4e5f60718`);
    expect(audited()[0]).toMatchObject({ what: 'start', who: 'U0ALICE', detail: 'requested by U0ALICE, approved by U0BOB' });
  });

  it('runs an override asked from the CLI as the caller’s AWS identity, put to the channel and approved with the Slack button', async () => {
    // Prepare: Alice's role session asks; the stream hands the request to the announcer; Bob clicks Approve.
    const roster = { ...ROSTER, awsIdentities: { 'AROAOPS:alice': 'U0ALICE' } };
    scenario(roster);
    account.mock(STSClient).on(GetCallerIdentityCommand).resolves({ UserId: 'AROAOPS:alice', Arn: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/Ops/alice`, Account: ACCOUNT_ID });
    const channel: SlackMessage[] = [];
    const slack = slackIngress(roster, channel);
    const text = 'scale production backend 4 12 60 load test';
    const config = environmentConfig('production');

    // Act
    const asked = await requestApprovalFromCli(
      {
        sts: new STSClient({}),
        ssm: new SSMClient({}),
        ddb: new DynamoDBClient({}),
        print: () => undefined,
        now: () => new Date(),
        sleep: async () => {
          if (channel.length > 0) return;
          const item = (account.calls().find((call) => call.command === 'PutItem')?.input as { Item: Record<string, AttributeValue> }).Item;
          await announceRequest({ eventName: 'INSERT', dynamodb: { NewImage: item as never } }, {
            settings: { environment: 'production', limits: LIMITS, fourEyesWorkflows: config.fourEyes.workflows },
            policy: async () => parsePolicy(JSON.stringify(roster)),
            post: async (message) => void channel.push(message),
            audit: async () => undefined,
            now: () => new Date(),
          });
          await slack.click('approve', 'U0BOB', (channel[0]?.blocks?.[1] as { elements: { value: string }[] }).elements[0]?.value ?? '');
        },
      },
      config,
      text,
      parseCommand(text, LIMITS),
    );
    const [start] = sfn.commandCalls(StartExecutionCommand);
    const run = await runOverride(JSON.parse(start?.args[0].input.input ?? '{}') as Record<string, unknown>, start?.args[0].input.name);

    // Assess
    expect(asked).toMatchObject({ status: 'approved', approvedBy: 'U0BOB', executionArn: `${OVERRIDE_MACHINE.replace(':stateMachine:', ':execution:')}:${start?.args[0].input.name}` });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path.slice(0, 3)).toEqual([G.verify, S.validate, S.replace]);
    expect(table.item(TABLE, `approval#${asked.requestId}`)?.usedBy?.S).toBe(asked.status === 'approved' ? asked.executionArn : '');
  });

  it('refuses StartExecution with a forged approvedBy and no approval record', async () => {
    // Prepare
    scenario();

    // Act
    const run = await runOverride(APPROVED, 'cli-alice-forged');

    // Assess
    assertRefused(run, /no approval: .*approvedBy .{1,2}U0BOB.{1,2} in the input is not one/, 'U0ALICE');
  });

  it('refuses a self-approval written straight into the table', async () => {
    // Prepare
    scenario();
    const input = { ...APPROVED, approvedBy: 'U0ALICE' };
    const approvalId = recordApproval({ input, approvedBy: 'U0ALICE' });

    // Act
    const run = await runOverride({ ...input, approvalId });

    // Assess
    assertRefused(run, /U0ALICE approved their own request/, 'U0ALICE');
  });

  it('refuses a second execution with an approval already used', async () => {
    // Prepare: the approved execution ran and used the approval; the table keeps that.
    scenario();
    const approvalId = recordApproval();
    await runOverride({ ...APPROVED, approvalId }, 'slack-first');
    const used = table.item(TABLE, `approval#${approvalId}`);
    scenario();
    if (used) table.seed(TABLE, used);

    // Act
    const run = await runOverride({ ...APPROVED, approvalId }, 'cli-alice-again');

    // Assess
    expect(used?.usedBy?.S).toMatch(/:slack-first$/);
    assertRefused(run, /already used by .*:slack-first/, 'U0ALICE');
  });

  it('refuses an input changed after the approval', async () => {
    // Prepare
    scenario();
    const approvalId = recordApproval();

    // Act
    const run = await runOverride({ ...APPROVED, max: 20, approvalId });

    // Assess
    assertRefused(run, /the input differs from what U0BOB approved/, 'U0ALICE');
  });

  it('refuses a requester whose access was revoked after the approval', async () => {
    // Prepare
    scenario({ ...ROSTER, operators: [] });
    const approvalId = recordApproval();

    // Act
    const run = await runOverride({ ...APPROVED, approvalId });

    // Assess
    assertRefused(run, /U0ALICE is no longer authorized to ask for scale/, 'U0ALICE');
  });

  it('refuses an approver removed from the approvers since the click', async () => {
    // Prepare
    scenario({ ...ROSTER, approvers: ['U0CAROL'] });
    const approvalId = recordApproval();

    // Act
    const run = await runOverride({ ...APPROVED, approvalId });

    // Assess
    assertRefused(run, /U0BOB is no longer an approver/, 'U0ALICE');
  });

  it.each([
    ['an expired approval', { usableMinutes: -1 }, /expired at/],
    ['an approval given for another workflow', { workflow: 'failover-drill' }, /was given for failover-drill, not scaling-override/],
  ])('refuses %s', async (_case, options, reason) => {
    // Prepare
    scenario();
    const approvalId = recordApproval(options);

    // Act
    const run = await runOverride({ ...APPROVED, approvalId });

    // Assess
    assertRefused(run, reason, 'U0ALICE');
  });

  it('refuses an approval id that was never given', async () => {
    // Prepare
    scenario();

    // Act
    const run = await runOverride({ ...APPROVED, approvalId: 'made-up' });

    // Assess
    assertRefused(run, /approval made-up does not exist/, 'U0ALICE');
  });

  it('runs the alarm remediation’s scale-out, proven by the remediation’s own history', async () => {
    // Prepare
    scenario();
    const start = { environment: 'production', service: 'backend', min: 2, max: 12, durationMinutes: 60, reason: 'high cpu', requestedBy: 'alarm-remediation' };
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 12,
          type: 'TaskScheduled',
          timestamp: new Date(),
          taskScheduledEventDetails: {
            resourceType: 'states',
            resource: 'startExecution',
            region: 'us-east-1',
            parameters: JSON.stringify({ StateMachineArn: OVERRIDE_MACHINE, Name: 'remediation-incident-1', Input: { ...start, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: REMEDIATION } }),
          },
        },
      ],
    });

    // Act
    const run = await runOverride({ ...start, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: REMEDIATION }, 'remediation-incident-1');

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[0]?.args[0].input.executionArn).toBe(REMEDIATION);
    expect(changedScaling()).toBe(2);
  });

  it.each([
    ['a remediation execution that never started it', REMEDIATION, /did not start this execution with this input/],
    ['an execution of a workflow that may not start it', REMEDIATION.replace('alarm-remediation', 'backup-verification'), /may not start scaling-override without a person's approval/],
  ])('refuses a start claiming to come from %s', async (_case, starter, reason) => {
    // Prepare
    scenario();
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });

    // Act
    const run = await runOverride({ ...APPROVED, requestedBy: 'alarm-remediation', AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: starter }, 'remediation-forged');

    // Assess
    assertRefused(run, reason, 'alarm-remediation');
  });
});

describe('four eyes in the production failover drill', () => {
  it('refuses a drill started with a made-up approver before touching the database or the cache', async () => {
    // Prepare
    scenario();

    // Act
    const run = await runWorkflow({
      definition: loadStateMachine('production', 'failover-drill'),
      input: { environment: 'production', requestedBy: 'U0ALICE', approvedBy: 'made-up' },
      executionName: 'cli-alice-drill',
      lambdas: { 'verify-approval': inProcess(verify, 'verify-approval'), 'failover-drill': inProcess(failover, 'failover-drill') },
    });

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'ApprovalRefused' });
    expect(run.path).toEqual([G.verify, G.refused]);
    expect(rds.commandCalls(RebootDBInstanceCommand)).toHaveLength(0);
    expect(elasticache.commandCalls(TestFailoverCommand)).toHaveLength(0);
    expect(elasticache.commandCalls(DescribeReplicationGroupsCommand)).toHaveLength(0);
    expect(publishedResults(account)).toEqual([expect.objectContaining({ workflow: 'failover-drill', outcome: 'failed', requestedBy: 'U0ALICE' })]);
  });
});
