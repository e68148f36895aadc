import { jest } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ExecutionDoesNotExist, GetExecutionHistoryCommand, ListStateMachinesCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Command } from 'commander';
import approveSample from '../../events/slack-ops-approve.json';
import { dayPrefixes, formatAuditEntry, parseSince, readAuditTrail } from '../../cli/audit-trail.js';
import type { CliContext } from '../../cli/commands/context.js';
import { registerOpsVerbs } from '../../cli/commands/ops-verbs.js';
import { registerStart } from '../../cli/commands/start.js';
import type { AuditEntry } from '../../functions/lib/audit.js';
import { executionName } from '../../functions/lib/workflows.js';
import type { AuthorizationPolicy } from '../../functions/slack-ops/authorize.js';
import { type SlackMessage, handleSlackRequest } from '../../functions/slack-ops/slack-ops.js';
import { slackSignature } from '../../functions/slack-ops/verify-signature.js';
import { environmentConfig, scalingLimits } from '../../infra/config.js';
import { SimulatedAccount } from '../../rehearsal/simulated/account.js';
import { SimulatedDynamoDb } from '../../rehearsal/simulated/dynamodb.js';

const config = environmentConfig('production');
const TABLE = `${config.prefix}-slack-approvals`;
const START = Date.parse('2026-12-01T20:00:00Z');
const ALICE = { UserId: 'AROAOPS:alice', Arn: 'arn:aws:sts::222222222222:assumed-role/Ops/alice', Account: '222222222222' };
const POLICY: AuthorizationPolicy = {
  teamId: approveSample.team.id,
  channels: [approveSample.channel.id],
  operators: ['U0ALICE'],
  approvers: ['U0BOB'],
  commands: {},
  awsIdentities: { 'AROAOPS:alice': 'U0ALICE' },
};
const SIGNING_SECRET = 'signing-secret-for-tests';

const account = new SimulatedAccount();
const sfn = account.mock(SFNClient);
let table: SimulatedDynamoDb;
let printed: string[];
let slackAnswers: SlackMessage[];
let audited: AuditEntry[];
let clock: number;
let onWait: () => Promise<void>;

const context: CliContext = {
  sfn: () => new SFNClient({}),
  region: () => 'us-east-1',
  now: () => new Date(clock),
  sleep: async (ms) => {
    clock += ms;
    await onWait();
  },
};

/** Runs `fhops <args>` as the terminal would, returning the error it ends with (if any). */
async function fhops(...args: string[]): Promise<Error | undefined> {
  const program = new Command('fhops').exitOverride();
  registerOpsVerbs(program, context);
  registerStart(program, context);
  try {
    await program.parseAsync(['node', 'fhops', ...args]);
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

/** The request the CLI recorded (the only `request#` item in the table). */
const requestId = (): string => {
  const put = account.calls().find((call) => call.service === 'DynamoDB' && call.command === 'PutItem')?.input as { Item?: { id?: { S?: string } } } | undefined;
  return put?.Item?.id?.S?.slice('request#'.length) ?? '';
};

/** Someone clicks a button of that request in the ops channel: the real Slack ingress, on the same table. */
async function click(action: 'approve' | 'deny', user: string): Promise<void> {
  const body = new URLSearchParams({
    payload: JSON.stringify({ ...approveSample, user: { ...approveSample.user, id: user }, actions: [{ ...approveSample.actions[0], action_id: action, value: requestId() }] }),
  }).toString();
  const timestamp = String(Math.floor(clock / 1000));
  await handleSlackRequest(
    { headers: { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature(SIGNING_SECRET, timestamp, body) }, body, isBase64Encoded: false },
    {
      sfn: new SFNClient({}),
      ddb: new DynamoDBClient({}),
      config: {
        environment: 'production',
        region: 'us-east-1',
        account: config.account,
        prefix: config.prefix,
        tableName: TABLE,
        slashCommand: config.slack.command,
        limits: scalingLimits(environmentConfig('production')),
        approvalMinutes: config.slack.approvalMinutes,
        approvalUseMinutes: config.fourEyes.approvalUseMinutes,
        approvalRecordDays: config.audit.retentionDays,
        fourEyesWorkflows: config.fourEyes.workflows,
      },
      signingSecrets: async () => [SIGNING_SECRET],
      policy: async () => POLICY,
      respond: async (_url, message) => void slackAnswers.push(message),
      audit: async (entries) => void audited.push(...entries),
      now: () => new Date(clock),
    },
  );
}

/** After `minutes`, once: what a person does in Slack. */
const after = (minutes: number, act: () => Promise<void>) => {
  let done = false;
  return async () => {
    if (done || clock - START < minutes * 60_000) return;
    done = true;
    await act();
  };
};

const calledServices = () => [...new Set(account.calls().map((call) => `${call.service}:${call.command}`))];

beforeEach(() => {
  account.reset();
  table = new SimulatedDynamoDb(account);
  printed = [];
  slackAnswers = [];
  audited = [];
  clock = START;
  onWait = async () => undefined;
  jest.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
  account.mock(STSClient).on(GetCallerIdentityCommand).resolves(ALICE);
  account.mock(SSMClient).on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(POLICY) } });
  sfn.on(StartExecutionCommand).callsFake((input: { stateMachineArn: string; name: string }) => ({
    executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: new Date(clock),
  }));
  sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
  sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
});

afterEach(() => {
  jest.restoreAllMocks();
});

afterAll(() => {
  account.restore();
});

describe('fhops scale production, asked by one person', () => {
  it('records a pending request under the caller’s AWS identity, shows the wait, and starts nothing when nobody approves', async () => {
    // Act
    const error = await fhops('scale', 'production', 'backend', '4', '12', '60', 'load', 'test');

    // Assess
    expect(error?.message).toMatch(/^Nobody approved request AROAOPS:alice#[0-9a-f]{12} within 15 min; it has expired and can no longer be approved\. Nothing was started\.$/);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(calledServices()).toEqual(['STS:GetCallerIdentity', 'SSM:GetParameter', 'DynamoDB:PutItem', 'DynamoDB:GetItem']);
    expect(table.item(TABLE, `request#${requestId()}`)).toMatchObject({
      commandText: { S: 'scale production backend 4 12 60 load test' },
      requestedBy: { S: 'U0ALICE' },
      origin: { S: `cli:${ALICE.Arn}` },
      status: { S: 'pending' },
    });
    expect(printed[0]).toBe(`Asked the production ops channel for a second person's approval of: scale backend in production to min 4, max 12 for 60 min (load test) (request ${requestId()}, as U0ALICE).`);
    expect(printed).toContain('  waiting for a second person: 0:30 of 15:00');
    expect(printed).toContain('  waiting for a second person: 15:00 of 15:00');
  });

  it('follows the execution the Slack Approve button started once a second person approved it', async () => {
    // Prepare: Bob clicks Approve in the ops channel after two minutes.
    onWait = after(2, () => click('approve', 'U0BOB'));

    // Act
    const error = await fhops('scale', 'production', 'backend', '4', '12', '60', 'load', 'test');

    // Assess
    expect(error).toBeUndefined();
    const started = sfn.commandCalls(StartExecutionCommand);
    expect(started).toHaveLength(1);
    expect(JSON.parse(started[0]?.args[0].input.input ?? '{}')).toMatchObject({ requestedBy: 'U0ALICE', approvedBy: 'U0BOB', approvalId: requestId() });
    expect(table.item(TABLE, `approval#${requestId()}`)).toMatchObject({ requestedBy: { S: 'U0ALICE' }, approvedBy: { S: 'U0BOB' } });
    const executionArn = `arn:aws:states:us-east-1:${config.account}:execution:financehub-production-scaling-override:${executionName(`slack-${requestId()}`)}`;
    expect(printed).toContain(`Approved by U0BOB; the approval path started ${executionArn}`);
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input.executionArn).toBe(executionArn);
  });

  it('asks for the production DR simulation the same way, and follows what the approval started', async () => {
    // Prepare
    onWait = after(1, () => click('approve', 'U0BOB'));

    // Act
    const error = await fhops('dr-simulation', 'production');

    // Assess
    expect(error).toBeUndefined();
    expect(table.item(TABLE, `request#${requestId()}`)).toMatchObject({ commandText: { S: 'dr-simulation production' }, requestedBy: { S: 'U0ALICE' } });
    const started = sfn.commandCalls(StartExecutionCommand);
    expect(started.map((call) => call.args[0].input.stateMachineArn)).toEqual([`arn:aws:states:us-east-1:${config.account}:stateMachine:financehub-production-dr-simulation`]);
    expect(JSON.parse(started[0]?.args[0].input.input ?? '{}')).toEqual({ environment: 'production', requestedBy: 'U0ALICE', approvedBy: 'U0BOB', approvalId: requestId() });
  });

  it('cannot be approved by the person who asked: the request stays pending and nothing starts', async () => {
    // Prepare: Alice, an approver too, clicks Approve on her own request.
    account.mock(SSMClient).on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ ...POLICY, approvers: ['U0BOB', 'U0ALICE'] }) } });
    onWait = after(1, () => click('approve', 'U0ALICE'));

    // Act
    const error = await fhops('scale', 'production', 'backend', '4', '12', '60', 'load', 'test');

    // Assess
    expect(error?.message).toContain('it has expired and can no longer be approved. Nothing was started.');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(table.item(TABLE, `approval#${requestId()}`)).toBeUndefined();
    expect(slackAnswers[0]?.text).toContain('A second person must approve: you cannot approve your own request.');
    expect(audited).toEqual([expect.objectContaining({ what: 'refusal', who: 'U0ALICE', approvalId: requestId() })]);
  });

  it('ends at a denial, saying who denied and that nothing was started', async () => {
    // Prepare
    onWait = after(1, () => click('deny', 'U0BOB'));

    // Act
    const error = await fhops('failover-drill', 'production');

    // Assess
    expect(error?.message).toBe('Denied by U0BOB. Nothing was started.');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('says so when an approved request has no execution recorded, instead of claiming nothing started', async () => {
    // Prepare: the approval is decided, but the start never notes its execution (it failed after the decision).
    onWait = after(1, async () => {
      const item = table.item(TABLE, `request#${requestId()}`);
      if (item) table.seed(TABLE, { ...item, status: { S: 'approved' }, decidedBy: { S: 'U0BOB' } });
    });

    // Act
    const error = await fhops('scale-revert', 'production', 'backend');

    // Assess
    expect(error?.message).toBe(
      `Approved by U0BOB, but no execution was recorded for request ${requestId()}: the start may have failed. Check \`fhops list --env production\` and the ops channel before asking again.`,
    );
  });

  it('refuses a caller whose AWS identity maps to nobody, writing and starting nothing', async () => {
    // Prepare
    account.mock(STSClient).on(GetCallerIdentityCommand).resolves({ ...ALICE, UserId: 'AROAOPS:mallory', Arn: 'arn:aws:sts::222222222222:assumed-role/Ops/mallory' });

    // Act
    const error = await fhops('scale', 'production', 'backend', '4', '12', '60', 'load', 'test');

    // Assess
    expect(error?.message).toBe(
      [
        'Your AWS identity AROAOPS:mallory (arn:aws:sts::222222222222:assumed-role/Ops/mallory) is not mapped to a person in /financehub-production/slack/authorization (awsIdentities).',
        'Ask the platform team to map it: fhops authorize --env production --aws-identity AROAOPS:mallory=<your Slack member id> ...',
        'Nothing was changed.',
      ].join('\n'),
    );
    expect(calledServices()).toEqual(['STS:GetCallerIdentity', 'SSM:GetParameter']);
  });

  it('refuses a mapped caller who may not run the command, writing and starting nothing', async () => {
    // Prepare
    account.mock(SSMClient).on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ ...POLICY, commands: { scale: ['U0BOB'] } }) } });

    // Act
    const error = await fhops('scale', 'production', 'backend', '4', '12', '60', 'load', 'test');

    // Assess
    expect(error?.message).toBe(
      'U0ALICE is not authorized to run `scale` here. Ask the platform team to add you.\nOnly the people /financehub-production/slack/authorization allows may ask for it.\nNothing was changed.',
    );
    expect(calledServices()).toEqual(['STS:GetCallerIdentity', 'SSM:GetParameter']);
  });

  it.each([
    [['scale', 'production', 'backend', '4', '12', '60', 'launch', '--approved-by', 'bob'], '--approved-by is gone: this command asks the ops channel'],
    [['verify-backups', 'staging', '--approved-by', 'bob'], '--approved-by is gone: this command needs no approval'],
    [['failover-drill', 'production', '--requested-by', 'bob'], '--requested-by is not taken here'],
  ])('refuses `fhops %j` before anything reaches AWS', async (args, message) => {
    // Act
    const error = await fhops(...args);

    // Assess
    expect(error?.message).toContain(message);
    expect(account.calls()).toEqual([]);
  });

  it.each(['scaling-override', 'failover-drill', 'rollback', 'dr-simulation'])('refuses `fhops start %s --env production`, starting nothing', async (workflow) => {
    // Act
    const error = await fhops('start', workflow, '--env', 'production', '--input', '{"requestedBy":"alice","approvedBy":"bob"}');

    // Assess
    expect(error?.message).toBe(
      `${workflow} in production needs a second person's approval.\nAsk for it with its verb (fhops scale, fhops scale-revert, fhops failover-drill, fhops rollback, fhops dr-simulation), which asks the ops channel as your AWS identity.\nNothing was changed.`,
    );
    expect(account.calls()).toEqual([]);
  });

  it('starts a command one person may run at once, as before', async () => {
    // Prepare
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    sfn.on(ListStateMachinesCommand).resolves({
      stateMachines: [{ name: 'financehub-staging-backup-verification', stateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:financehub-staging-backup-verification', type: 'STANDARD', creationDate: new Date() }],
    });

    // Act
    const error = await fhops('verify-backups', 'staging', '--requested-by', 'ana', '--no-follow');

    // Assess
    expect(error).toBeUndefined();
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}')).toEqual({ environment: 'staging', requestedBy: 'ana' });
  });
});

describe('fhops audit', () => {
  it.each([
    ['7d', 7 * 86_400_000],
    ['12h', 12 * 3_600_000],
    ['30m', 30 * 60_000],
  ])('reads --since %s', (value, ms) => {
    // Act
    const parsed = parseSince(value, 365);

    // Assess
    expect(parsed).toBe(ms);
  });

  it.each(['last week', '0d', '7', '-3h', '400d'])('refuses --since %j, naming the option', (value) => {
    // Act
    const parse = () => parseSince(value, 365);

    // Assess
    expect(parse).toThrow('--since');
  });

  it('lists only the days asked for and prints the entries since then, oldest first', async () => {
    // Prepare
    const s3 = account.mock(S3Client);
    const line = (at: string, what: string) => JSON.stringify({ at, environment: 'production', what, who: 'U0ALICE', from: 'slack:T0/C0', action: 'scale backend' });
    s3.on(ListObjectsV2Command).callsFake(async (input: { Prefix?: string }) => ({ Contents: input.Prefix === 'audit/2026/12/01/' ? [{ Key: 'audit/2026/12/01/20/a.jsonl' }] : [] }));
    const text = `${line('2026-12-01T20:05:00.000Z', 'start')}\n${line('2026-11-30T23:00:00.000Z', 'request')}\n${line('2026-12-01T20:01:00.000Z', 'approval')}\nnot json\n`;
    // The SDK's streaming body, as far as the reader uses it.
    s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => text } as never });

    // Act
    const { entries, malformed } = await readAuditTrail(new S3Client({}), 'financehub-production-audit-222222222222', new Date('2026-11-30T20:00:00Z'), new Date('2026-12-01T21:00:00Z'));

    // Assess
    expect(dayPrefixes(new Date('2026-11-30T20:00:00Z'), new Date('2026-12-01T21:00:00Z'))).toEqual(['audit/2026/11/30/', 'audit/2026/12/01/']);
    expect(entries.map((entry) => entry.what)).toEqual(['request', 'approval', 'start']);
    expect(malformed).toBe(1);
    expect(formatAuditEntry(entries[0]!)).toBe('2026-11-30T23:00:00.000Z  request   U0ALICE  slack:T0/C0  scale backend');
  });
});
