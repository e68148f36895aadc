import { type AttributeValue, ConditionalCheckFailedException, DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SimulatedAccount } from '../../rehearsal/simulated/account.js';
import { SimulatedDynamoDb } from '../../rehearsal/simulated/dynamodb.js';
import approveSample from '../../events/slack-ops-approve.json';
import commandSample from '../../events/slack-ops-command.json';
import { inputHash } from '../../functions/lib/approvals.js';
import type { AuditEntry } from '../../functions/lib/audit.js';
import type { AuthorizationPolicy } from '../../functions/slack-ops/authorize.js';
import { CommandError, needsApproval, parseCommand, workflowFor } from '../../functions/slack-ops/commands.js';
import { type SlackMessage, type SlackOpsDeps, handleSlackRequest } from '../../functions/slack-ops/slack-ops.js';
import { slackSignature, verifySlackSignature } from '../../functions/slack-ops/verify-signature.js';
import { WORKFLOWS } from '../../contracts/workflows.js';
import { environmentConfig, scalingLimits } from '../../infra/config.js';

const SIGNING_SECRET = 'slack-signing-secret-for-tests';
const NOW = new Date('2026-11-24T03:00:00Z');
const NOW_SECONDS = String(Math.floor(NOW.getTime() / 1000));
const limits = scalingLimits(environmentConfig('production'));

const account = new SimulatedAccount();
const sfn = account.mock(SFNClient);
const ddb = account.mock(DynamoDBClient);
let table: SimulatedDynamoDb;
let responses: { url: string; message: SlackMessage }[];
let audited: AuditEntry[];
let policy: AuthorizationPolicy;

const POLICY: AuthorizationPolicy = {
  teamId: 'T0FINHUB1',
  channels: ['C0OPS0001'],
  operators: ['U0OPERATOR'],
  approvers: ['U0APPROVER', 'U0SECOND'],
  commands: {},
  awsIdentities: { 'AROAOPERATOR:alice': 'U0OPERATOR' },
};

function deps(environment: 'staging' | 'production'): SlackOpsDeps {
  return {
    sfn: new SFNClient({}),
    ddb: new DynamoDBClient({}),
    config: {
      environment,
      slashCommand: environment === 'production' ? '/ops' : '/ops-staging',
      region: 'us-east-1',
      account: '111111111111',
      prefix: `financehub-${environment}`,
      tableName: 'approvals',
      limits,
      approvalMinutes: 15,
      approvalUseMinutes: 10,
      approvalRecordDays: 365,
      fourEyesWorkflows: environmentConfig(environment).fourEyes.workflows,
    },
    signingSecrets: async () => [SIGNING_SECRET],
    policy: async () => policy,
    respond: async (url, message) => {
      responses.push({ url, message });
    },
    audit: async (entries) => {
      audited.push(...entries);
    },
    now: () => NOW,
  };
}

function signed(body: string, timestamp = NOW_SECONDS, secret = SIGNING_SECRET) {
  return {
    headers: { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature(secret, timestamp, body) },
    body,
    isBase64Encoded: false,
  };
}

const slash = (text: string, user = 'U0OPERATOR', where: { team_id?: string; channel_id?: string } = {}) =>
  new URLSearchParams({ ...commandSample, text, user_id: user, ...where }).toString();
const click = (actionId: string, user: string, options: { requestId?: string; team?: string; channel?: string } = {}) =>
  new URLSearchParams({
    payload: JSON.stringify({
      ...approveSample,
      user: { ...approveSample.user, id: user },
      team: { ...approveSample.team, id: options.team ?? approveSample.team.id },
      channel: { ...approveSample.channel, id: options.channel ?? approveSample.channel.id },
      actions: [{ ...approveSample.actions[0], action_id: actionId, value: options.requestId ?? approveSample.actions[0]?.value }],
    }),
  }).toString();

const REQUEST_ID = '0123456789abcdef';

/** A request waiting in the approvals table, as the Slack ingress or the CLI recorded it. */
function pendingRequest(commandText: string, requestedBy = 'U0OPERATOR', status = 'pending', id = REQUEST_ID): void {
  table.seed('approvals', {
    id: { S: `request#${id}` },
    commandText: { S: commandText },
    requestedBy: { S: requestedBy },
    origin: { S: 'slack:T0FINHUB1/C0OPS0001' },
    status: { S: status },
    expiresAt: { N: String(Number(NOW_SECONDS) + 600) },
    ...(status === 'pending' ? {} : { decidedBy: { S: 'U0SOMEONE' } }),
  });
}

const startedInputs = () => sfn.commandCalls(StartExecutionCommand).map((call) => JSON.parse(call.args[0].input.input ?? '{}') as Record<string, unknown>);
const grant = (id = REQUEST_ID): Record<string, AttributeValue> | undefined => table.item('approvals', `approval#${id}`);

afterAll(() => {
  account.restore();
});

beforeEach(() => {
  account.reset();
  table = new SimulatedDynamoDb(account);
  policy = POLICY;
  responses = [];
  audited = [];
  sfn.on(StartExecutionCommand).callsFake((input: { stateMachineArn: string; name: string }) => ({
    executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: NOW,
  }));
});

describe('verifySlackSignature', () => {
  const body = slash('help');

  it('accepts a request signed with the signing secret within five minutes', () => {
    // Prepare
    const request = { rawBody: body, timestamp: NOW_SECONDS, signature: slackSignature(SIGNING_SECRET, NOW_SECONDS, body) };

    // Act
    const verify = () => verifySlackSignature(request, { signingSecrets: [SIGNING_SECRET], nowSeconds: Number(NOW_SECONDS) });

    // Assess
    expect(verify).not.toThrow();
  });

  it.each([
    ['a body changed after signing', { rawBody: `${body}&x=1` }, 'does not match'],
    ['a timestamp six minutes old', { timestamp: String(Number(NOW_SECONDS) - 360) }, 'away from now'],
    ['a missing signature', { signature: undefined }, 'Missing Slack signature'],
    ['a non-numeric timestamp', { timestamp: 'yesterday' }, 'Malformed'],
    ['a signature made with another secret', { signature: slackSignature('other-secret', NOW_SECONDS, body) }, 'does not match'],
  ])('rejects %s', (_case, change, message) => {
    // Prepare
    const request = { rawBody: body, timestamp: NOW_SECONDS, signature: slackSignature(SIGNING_SECRET, NOW_SECONDS, body), ...change };

    // Act
    const verify = () => verifySlackSignature(request, { signingSecrets: [SIGNING_SECRET], nowSeconds: Number(NOW_SECONDS) });

    // Assess
    expect(verify).toThrow(message);
  });
});

describe('parseCommand', () => {
  it('reads a scaling override with its reason', () => {
    // Act
    const command = parseCommand('scale production backend 4 12 90 black friday traffic', limits);

    // Assess
    expect(command).toEqual({
      name: 'scale',
      environment: 'production',
      service: 'backend',
      min: 4,
      max: 12,
      durationMinutes: 90,
      reason: 'black friday traffic',
    });
  });

  it.each([
    ['scale staging backend 0 4 60 why', 'min must be at least 1'],
    ['scale staging backend 6 4 60 why', 'min (6) must not exceed max (4)'],
    ['scale staging worker 2 11 60 why', 'max must be at most 10 for worker'],
    ['scale staging backend 2 4 2000 why', 'minutes must be at most 1440'],
    ['scale staging backend two 4 60 why', 'min must be a whole number'],
    ['scale staging database 2 4 60 why', 'service must be frontend, backend or worker'],
    ['scale qa backend 2 4 60 why', 'environment must be staging or production'],
    ['scale staging backend 2 4', 'Not enough arguments'],
    ['rollback production', 'Not enough arguments. Usage: `/ops rollback <env> <service> [reason]`'],
    ['rollback production database', 'service must be frontend, backend or worker'],
    ['reboot production', 'Unknown command `reboot`'],
  ])('refuses `%s` with a message that says why', (text, message) => {
    // Act
    const parse = () => parseCommand(text, limits);

    // Assess
    expect(parse).toThrow(CommandError);
    expect(parse).toThrow(message);
  });
});

describe('the rollback command', () => {
  it('reads the service and the reason, and starts the rollback workflow with exactly that input', () => {
    // Act
    const command = parseCommand('rollback production backend smoke test failed', limits);

    // Assess
    expect(command).toEqual({ name: 'rollback', environment: 'production', service: 'backend', reason: 'smoke test failed' });
    expect(workflowFor(command, 'U0OPERATOR', 'U0APPROVER')).toEqual({
      workflow: 'rollback',
      input: { environment: 'production', service: 'backend', reason: 'smoke test failed', requestedBy: 'U0OPERATOR', approvedBy: 'U0APPROVER' },
    });
    expect(needsApproval(command, ['rollback'])).toBe(true);
  });
});

describe('the dr-simulation command', () => {
  it('starts the DR simulation of the environment, with a second person in production only', () => {
    // Act
    const production = parseCommand('dr-simulation production', limits);
    const staging = parseCommand('dr-simulation staging', limits);

    // Assess
    expect(production).toEqual({ name: 'dr-simulation', environment: 'production' });
    expect(workflowFor(production, 'U0OPERATOR', 'U0APPROVER')).toEqual({ workflow: 'dr-simulation', input: { environment: 'production', requestedBy: 'U0OPERATOR', approvedBy: 'U0APPROVER' } });
    expect(needsApproval(production, environmentConfig('production').fourEyes.workflows)).toBe(true);
    expect(needsApproval(staging, environmentConfig('staging').fourEyes.workflows)).toBe(false);
  });

  it('refuses a DR simulation without its environment, naming the usage', () => {
    // Act
    const parse = () => parseCommand('dr-simulation', limits);

    // Assess
    expect(parse).toThrow('Usage: `/ops dr-simulation <env>`');
  });
});

describe('handleSlackRequest', () => {
  it('answers a forged request with 401 and starts nothing', async () => {
    // Prepare
    const request = signed(slash('scale staging backend 4 12 60 test'), NOW_SECONDS, 'forged-secret');

    // Act
    const response = await handleSlackRequest(request, deps('staging'));

    // Assess
    expect(response.statusCode).toBe(401);
    expect(sfn.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('reads the signing secret and the authorization policy together, and acts on the policy only once the signature holds', async () => {
    // Prepare
    const reads: string[] = [];
    let releaseSecret: () => void = () => undefined;
    const secretHeld = new Promise<void>((resolve) => (releaseSecret = resolve));
    const tracked: SlackOpsDeps = {
      ...deps('staging'),
      signingSecrets: async () => {
        reads.push('secret');
        await secretHeld;
        return [SIGNING_SECRET];
      },
      policy: async () => {
        reads.push('policy');
        return policy;
      },
    };

    // Act
    const answering = handleSlackRequest(signed(slash('scale staging backend 4 12 60 test')), tracked);
    await Promise.resolve();
    const readsBeforeTheSecretArrived = [...reads];
    releaseSecret();
    const response = await answering;

    // Assess
    expect(readsBeforeTheSecretArrived).toEqual(['policy', 'secret']);
    expect(response.statusCode).toBe(200);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('answers a forged request with 401 even while the policy read fails, and leaves no unhandled rejection', async () => {
    // Prepare
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const request = signed(slash('scale staging backend 4 12 60 test'), NOW_SECONDS, 'forged-secret');
    const failingPolicy: SlackOpsDeps = { ...deps('staging'), policy: async () => Promise.reject(new Error('SSM throttled')) };

    // Act
    const response = await handleSlackRequest(request, failingPolicy);
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', onUnhandled);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(unhandled).toEqual([]);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('fails a signed request whose policy cannot be read, starting nothing', async () => {
    // Prepare
    const failingPolicy: SlackOpsDeps = { ...deps('staging'), policy: async () => Promise.reject(new Error('SSM throttled')) };

    // Act
    const answering = handleSlackRequest(signed(slash('scale staging backend 4 12 60 test')), failingPolicy);

    // Assess
    await expect(answering).rejects.toThrow('SSM throttled');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('starts a staging scaling override at once for an operator, and says how to undo it', async () => {
    // Prepare
    const request = signed(slash('scale staging backend 4 12 60 black friday traffic'));

    // Act
    const response = await handleSlackRequest(request, deps('staging'));

    // Assess
    const starts = sfn.commandCalls(StartExecutionCommand);
    expect(starts).toHaveLength(1);
    expect(starts[0]?.args[0].input.stateMachineArn).toBe(
      'arn:aws:states:us-east-1:111111111111:stateMachine:financehub-staging-scaling-override',
    );
    expect(JSON.parse(starts[0]?.args[0].input.input ?? '{}')).toEqual({
      environment: 'staging',
      service: 'backend',
      min: 4,
      max: 12,
      durationMinutes: 60,
      reason: 'black friday traffic',
      requestedBy: 'U0OPERATOR',
    });
    // Where the outcome goes: the response URL while Slack honours it, the channel with the bot token after.
    expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item).toMatchObject({
      responseUrl: { S: commandSample.response_url },
      channelId: { S: commandSample.channel_id },
      responseUrlIssuedAt: { N: String(Math.floor(NOW.getTime() / 1000)) },
    });
    const body = JSON.parse(response.body) as SlackMessage;
    expect(body.response_type).toBe('in_channel');
    expect(body.text).toContain('Undo: `/ops-staging scale-revert staging backend`');
  });

  it('lists the commands as typed in this environment\'s Slack app', async () => {
    // Act
    const response = await handleSlackRequest(signed(slash('help')), deps('staging'));

    // Assess
    const body = JSON.parse(response.body) as SlackMessage;
    expect(body.text).toContain('`/ops-staging scale <env> <service> <min> <max> <minutes> <reason>`');
    expect(body.text).not.toMatch(/`\/ops /);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('quotes the usage with this environment\'s command when arguments are missing, and starts nothing', async () => {
    // Act
    const response = await handleSlackRequest(signed(slash('status')), deps('staging'));

    // Assess
    expect((JSON.parse(response.body) as SlackMessage).text).toBe(':warning: Not enough arguments. Usage: `/ops-staging status <env>`\nNothing was changed.');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('turns a duplicate delivery into "already started" without a second execution', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    // Act
    const response = await handleSlackRequest(signed(slash('verify-backups staging')), deps('staging'));

    // Assess
    expect(JSON.parse(response.body).text).toContain('Already started');
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('asks for a second person before a production scaling override, and starts nothing yet', async () => {
    // Act
    const response = await handleSlackRequest(signed(slash('scale production backend 4 12 60 load test')), deps('production'));

    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    const put = ddb.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(put?.Item?.id?.S).toMatch(/^request#[0-9a-f]{16}$/);
    expect(put?.Item?.status?.S).toBe('pending');
    expect(put?.Item?.commandText?.S).toBe('scale production backend 4 12 60 load test');
    expect(put?.ConditionExpression).toBe('attribute_not_exists(id)');
    const body = JSON.parse(response.body) as { blocks: { type: string; elements?: { action_id: string }[] }[] };
    expect(body.blocks[1]?.elements?.map((element) => element.action_id)).toEqual(['approve', 'deny']);
    expect(audited).toEqual([expect.objectContaining({ what: 'request', who: 'U0OPERATOR', from: 'slack:T0FINHUB1/C0OPS0001', environment: 'production' })]);
  });

  it('records the approval bound to the exact input, then starts that input with the approval id', async () => {
    // Prepare
    pendingRequest('scale production backend 4 12 60 load test');

    // Act
    const response = await handleSlackRequest(signed(click('approve', 'U0APPROVER')), deps('production'));

    // Assess
    expect(response.statusCode).toBe(200);
    const [input] = startedInputs();
    expect(input).toEqual({
      environment: 'production',
      service: 'backend',
      min: 4,
      max: 12,
      durationMinutes: 60,
      reason: 'load test',
      requestedBy: 'U0OPERATOR',
      approvedBy: 'U0APPROVER',
      approvalId: REQUEST_ID,
    });
    expect(grant()).toMatchObject({
      status: { S: 'approved' },
      workflow: { S: 'scaling-override' },
      requestedBy: { S: 'U0OPERATOR' },
      approvedBy: { S: 'U0APPROVER' },
      inputHash: { S: inputHash(input ?? {}) },
      usableUntil: { N: String(Number(NOW_SECONDS) + 600) },
    });
    expect(table.item('approvals', `request#${REQUEST_ID}`)).toMatchObject({ status: { S: 'approved' }, decidedBy: { S: 'U0APPROVER' } });
    expect(responses[0]?.message.text).toContain('Approved by <@U0APPROVER>');
    expect(audited.map((entry) => entry.what)).toEqual(['approval', 'start']);
    expect(audited[1]?.executionArn).toBe(`arn:aws:states:us-east-1:111111111111:execution:financehub-production-scaling-override:slack-${REQUEST_ID}`);
  });

  it('asks for a second person before a production rollback, and starts nothing yet', async () => {
    // Act
    const response = await handleSlackRequest(signed(slash('rollback production backend smoke test failed')), deps('production'));

    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.commandText?.S).toBe('rollback production backend smoke test failed');
    expect(JSON.parse(response.body).text).toContain('asks to roll backend in production back to the task definition its latest release replaced');
  });

  it('starts an approved production rollback with the input the approval is bound to', async () => {
    // Prepare
    pendingRequest('rollback production backend smoke test failed');

    // Act
    await handleSlackRequest(signed(click('approve', 'U0APPROVER')), deps('production'));

    // Assess
    const [input] = startedInputs();
    expect(input).toEqual({ environment: 'production', service: 'backend', reason: 'smoke test failed', requestedBy: 'U0OPERATOR', approvedBy: 'U0APPROVER', approvalId: REQUEST_ID });
    expect(grant()).toMatchObject({ workflow: { S: 'rollback' }, inputHash: { S: inputHash(input ?? {}) } });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.stateMachineArn).toBe('arn:aws:states:us-east-1:111111111111:stateMachine:financehub-production-rollback');
  });

  it('asks for a second person before a production DR simulation, and starts nothing yet', async () => {
    // Act
    const response = await handleSlackRequest(signed(slash('dr-simulation production')), deps('production'));

    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.commandText?.S).toBe('dr-simulation production');
    expect(JSON.parse(response.body).text).toContain('asks to run the DR simulation of production');
  });

  it('starts an approved production DR simulation with the input the approval is bound to', async () => {
    // Prepare
    pendingRequest('dr-simulation production');

    // Act
    await handleSlackRequest(signed(click('approve', 'U0APPROVER')), deps('production'));

    // Assess
    const [input] = startedInputs();
    expect(input).toEqual({ environment: 'production', requestedBy: 'U0OPERATOR', approvedBy: 'U0APPROVER', approvalId: REQUEST_ID });
    expect(grant()).toMatchObject({ workflow: { S: 'dr-simulation' }, inputHash: { S: inputHash(input ?? {}) } });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.stateMachineArn).toBe('arn:aws:states:us-east-1:111111111111:stateMachine:financehub-production-dr-simulation');
  });

  it('starts a staging DR simulation at once, and says nothing in the primary region needs undoing', async () => {
    // Act
    const response = await handleSlackRequest(signed(slash('dr-simulation staging')), deps('staging'));

    // Assess
    const starts = sfn.commandCalls(StartExecutionCommand);
    expect(starts.map((start) => start.args[0].input.stateMachineArn)).toEqual(['arn:aws:states:us-east-1:111111111111:stateMachine:financehub-staging-dr-simulation']);
    expect(JSON.parse(starts[0]?.args[0].input.input ?? '{}')).toEqual({ environment: 'staging', requestedBy: 'U0OPERATOR' });
    expect(JSON.parse(response.body).text).toContain('nothing to undo in the primary region');
  });

  it('binds an approved production scale-revert to its approver too', async () => {
    // Prepare
    pendingRequest('scale-revert production backend done early');

    // Act
    await handleSlackRequest(signed(click('approve', 'U0APPROVER')), deps('production'));

    // Assess
    expect(startedInputs()).toEqual([expect.objectContaining({ action: 'revert', requestedBy: 'U0OPERATOR', approvedBy: 'U0APPROVER', approvalId: REQUEST_ID })]);
  });

  it.each([
    ['the requester approving their own request', 'U0APPROVER', 'U0APPROVER', POLICY, 'cannot approve your own request'],
    ['an operator who is not an approver', 'U0OPERATOR', 'U0STRANGER', { ...POLICY, operators: ['U0OPERATOR', 'U0STRANGER'] }, 'is not an approver'],
    ['a requester whose access was revoked before the approval', 'U0APPROVER', 'U0OPERATOR', { ...POLICY, operators: [] }, 'no longer authorized'],
  ])('refuses %s: no approval is recorded and nothing starts', async (_case, approver, requester, current, message) => {
    // Prepare
    pendingRequest('failover-drill production', requester);
    policy = current;

    // Act
    await handleSlackRequest(signed(click('approve', approver)), deps('production'));

    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(grant()).toBeUndefined();
    expect(responses[0]?.message.text).toContain(message);
    expect(audited).toEqual([expect.objectContaining({ what: 'refusal', who: approver, detail: expect.stringContaining(message) })]);
  });

  it('tells a late second approver who decided first', async () => {
    // Prepare
    pendingRequest('failover-drill production', 'U0OPERATOR', 'approved');

    // Act
    await handleSlackRequest(signed(click('approve', 'U0APPROVER')), deps('production'));

    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(responses[0]?.message.text).toContain('already approved by <@U0SOMEONE>');
  });

  it('lets only one of two approvers clicking at once start the drill', async () => {
    // Prepare
    pendingRequest('failover-drill production');

    // Act
    await Promise.all([
      handleSlackRequest(signed(click('approve', 'U0APPROVER')), deps('production')),
      handleSlackRequest(signed(click('approve', 'U0SECOND')), deps('production')),
    ]);

    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    expect(responses.map((response) => response.message.text).join('\n')).toMatch(/Someone else decided|already approved/);
  });

  it('reports a lost race on the approval as decided by someone else', async () => {
    // Prepare
    pendingRequest('failover-drill production');
    ddb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    // Act
    await handleSlackRequest(signed(click('approve', 'U0APPROVER')), deps('production'));

    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(responses[0]?.message.text).toContain('Someone else decided');
  });

  it('records a denial and starts nothing', async () => {
    // Prepare
    pendingRequest('failover-drill production');

    // Act
    await handleSlackRequest(signed(click('deny', 'U0APPROVER')), deps('production'));

    // Assess
    expect(table.item('approvals', `request#${REQUEST_ID}`)?.status?.S).toBe('denied');
    expect(grant()).toBeUndefined();
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(responses[0]?.message.text).toContain('Denied by <@U0APPROVER>');
    expect(audited).toEqual([expect.objectContaining({ what: 'denial', who: 'U0APPROVER' })]);
  });

  it('takes the requester of a CLI request from the AWS identity its id is bound to', async () => {
    // Prepare
    pendingRequest('scale production worker 3 6 30 backlog', 'U0OPERATOR', 'pending', 'AROAOPERATOR:alice#7f3a');

    // Act
    await handleSlackRequest(signed(click('approve', 'U0APPROVER', { requestId: 'AROAOPERATOR:alice#7f3a' })), deps('production'));

    // Assess
    expect(startedInputs()).toEqual([expect.objectContaining({ requestedBy: 'U0OPERATOR', approvedBy: 'U0APPROVER', approvalId: 'AROAOPERATOR:alice#7f3a' })]);
  });

  it('refuses a CLI request that names someone other than the AWS identity that made it', async () => {
    // Prepare: the operator's AWS identity wrote a request claiming to be the approver's.
    pendingRequest('scale production worker 3 6 30 backlog', 'U0SECOND', 'pending', 'AROAOPERATOR:alice#7f3a');

    // Act
    await handleSlackRequest(signed(click('approve', 'U0APPROVER', { requestId: 'AROAOPERATOR:alice#7f3a' })), deps('production'));

    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(responses[0]?.message.text).toContain('was made by the AWS identity of <@U0OPERATOR>');
  });

  it.each([
    ['another workspace', { team_id: 'T0OTHER' }, 'only from its own Slack workspace'],
    ['a direct message', { channel_id: 'D0DIRECT' }, 'accepted only in <#C0OPS0001>'],
    ['another channel', { channel_id: 'C0RANDOM' }, 'accepted only in <#C0OPS0001>'],
  ])('refuses a production command from %s, saying so, and starts nothing', async (_case, where, message) => {
    // Act
    const response = await handleSlackRequest(signed(slash('scale production backend 4 12 60 load test', 'U0OPERATOR', where)), deps('production'));

    // Assess
    const answer = JSON.parse(response.body) as SlackMessage;
    expect(answer.text).toContain(message);
    expect(answer.text).toContain('Nothing was changed');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
    expect(audited).toEqual([expect.objectContaining({ what: 'refusal', who: 'U0OPERATOR', detail: expect.stringContaining(message) })]);
  });

  it('refuses an approval clicked in another channel', async () => {
    // Prepare
    pendingRequest('failover-drill production');

    // Act
    await handleSlackRequest(signed(click('approve', 'U0APPROVER', { channel: 'C0RANDOM' })), deps('production'));

    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(grant()).toBeUndefined();
    expect(responses[0]?.message.text).toContain('accepted only in <#C0OPS0001>');
  });

  it.each([
    ['a user outside the policy', slash('verify-backups staging', 'U0STRANGER'), 'not authorized'],
    ['a policy that names no workspace yet', slash('verify-backups staging'), 'only from its own Slack workspace', { ...POLICY, teamId: '' }],
    ['a command for the other environment', slash('verify-backups production'), 'serves staging'],
    ['an out-of-range number', slash('scale staging backend 1 99 60 too many'), 'max must be at most 20'],
    ['an unknown command', slash('drop-database staging'), 'Unknown command'],
  ])('answers %s with a clear message and changes nothing', async (_case, body, message, current: AuthorizationPolicy = POLICY) => {
    // Prepare
    policy = current;

    // Act
    const response = await handleSlackRequest(signed(body), deps('staging'));

    // Assess
    const answer = JSON.parse(response.body) as SlackMessage;
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toContain(message);
    expect(answer.text).toContain('Nothing was changed');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('lists what is running for /ops status', async () => {
    // Prepare
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    sfn
      .on(ListExecutionsCommand, { stateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:financehub-staging-restore-drill' })
      .resolves({
        executions: [
          { name: 'scheduled-2026-11', executionArn: 'arn:x', stateMachineArn: 'arn:y', status: 'RUNNING', startDate: NOW },
        ],
      });

    // Act
    const response = await handleSlackRequest(signed(slash('status staging')), deps('staging'));

    // Assess
    // One listing per workflow of contracts/workflows.ts.
    expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(WORKFLOWS.length);
    expect(JSON.parse(response.body).text).toContain('restore-drill: `scheduled-2026-11`');
  });
});
