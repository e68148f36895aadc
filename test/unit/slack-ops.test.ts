import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import approveSample from '../../events/slack-ops-approve.json';
import commandSample from '../../events/slack-ops-command.json';
import { CommandError, parseCommand } from '../../functions/slack-ops/commands.js';
import { type SlackMessage, type SlackOpsDeps, handleSlackRequest } from '../../functions/slack-ops/slack-ops.js';
import { slackSignature, verifySlackSignature } from '../../functions/slack-ops/verify-signature.js';

const SIGNING_SECRET = 'slack-signing-secret-for-tests';
const NOW = new Date('2026-11-24T03:00:00Z');
const NOW_SECONDS = String(Math.floor(NOW.getTime() / 1000));
const limits = { maxCeiling: { frontend: 20, backend: 20, worker: 10 }, maxDurationMinutes: 1440 };

const sfn = mockClient(SFNClient);
const ddb = mockClient(DynamoDBClient);
let responses: { url: string; message: SlackMessage }[];

function deps(environment: 'staging' | 'production'): SlackOpsDeps {
  return {
    sfn: new SFNClient({}),
    ddb: new DynamoDBClient({}),
    config: {
      environment,
      region: 'us-east-1',
      account: '111111111111',
      prefix: `financehub-${environment}`,
      tableName: 'approvals',
      limits,
      approvalMinutes: 15,
    },
    signingSecret: async () => SIGNING_SECRET,
    policy: async () => ({ operators: ['U0OPERATOR'], approvers: ['U0APPROVER'], commands: {} }),
    respond: async (url, message) => {
      responses.push({ url, message });
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

const slash = (text: string, user = 'U0OPERATOR') =>
  new URLSearchParams({ ...commandSample, text, user_id: user }).toString();
const click = (actionId: string, user: string) =>
  new URLSearchParams({
    payload: JSON.stringify({ ...approveSample, user: { ...approveSample.user, id: user }, actions: [{ ...approveSample.actions[0], action_id: actionId }] }),
  }).toString();

function pendingApproval(commandText: string, requestedBy = 'U0OPERATOR', status = 'pending') {
  return {
    Item: {
      id: { S: 'approval#0123456789abcdef' },
      commandText: { S: commandText },
      requestedBy: { S: requestedBy },
      status: { S: status },
      expiresAt: { N: String(Number(NOW_SECONDS) + 600) },
      ...(status === 'pending' ? {} : { decidedBy: { S: 'U0SOMEONE' } }),
    },
  };
}

beforeEach(() => {
  sfn.reset();
  ddb.reset();
  responses = [];
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
    const verify = () => verifySlackSignature(request, { signingSecret: SIGNING_SECRET, nowSeconds: Number(NOW_SECONDS) });

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
    const verify = () => verifySlackSignature(request, { signingSecret: SIGNING_SECRET, nowSeconds: Number(NOW_SECONDS) });

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
    ['reboot production', 'Unknown command `reboot`'],
  ])('refuses `%s` with a message that says why', (text, message) => {
    // Act
    const parse = () => parseCommand(text, limits);

    // Assess
    expect(parse).toThrow(CommandError);
    expect(parse).toThrow(message);
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
    expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.responseUrl?.S).toBe(commandSample.response_url);
    const body = JSON.parse(response.body) as SlackMessage;
    expect(body.response_type).toBe('in_channel');
    expect(body.text).toContain('Undo: `/ops scale-revert staging backend`');
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
    expect(put?.Item?.status?.S).toBe('pending');
    expect(put?.Item?.commandText?.S).toBe('scale production backend 4 12 60 load test');
    expect(put?.ConditionExpression).toBe('attribute_not_exists(id)');
    const body = JSON.parse(response.body) as { blocks: { type: string; elements?: { action_id: string }[] }[] };
    expect(body.blocks[1]?.elements?.map((element) => element.action_id)).toEqual(['approve', 'deny']);
  });

  it('starts the approved production override with approvedBy when an approver clicks Approve', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves(pendingApproval('scale production backend 4 12 60 load test'));
    ddb.on(UpdateItemCommand).resolves({});

    // Act
    const response = await handleSlackRequest(signed(click('approve', 'U0APPROVER')), deps('production'));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input.ConditionExpression).toBe('#status = :pending AND expiresAt > :now');
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}');
    expect(input).toMatchObject({ requestedBy: 'U0OPERATOR', approvedBy: 'U0APPROVER', min: 4, max: 12 });
    expect(responses[0]?.message.text).toContain('Approved by <@U0APPROVER>');
  });

  it('refuses to let the requester approve their own request', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves(pendingApproval('failover-drill production', 'U0APPROVER'));

    // Act
    await handleSlackRequest(signed(click('approve', 'U0APPROVER')), deps('production'));

    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(responses[0]?.message.text).toContain('cannot approve your own request');
  });

  it('tells a late second approver who decided first', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves(pendingApproval('failover-drill production', 'U0OPERATOR', 'approved'));

    // Act
    await handleSlackRequest(signed(click('approve', 'U0APPROVER')), deps('production'));

    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(responses[0]?.message.text).toContain('already approved by <@U0SOMEONE>');
  });

  it('reports a lost race on the approval as decided by someone else', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves(pendingApproval('failover-drill production'));
    ddb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    // Act
    await handleSlackRequest(signed(click('approve', 'U0APPROVER')), deps('production'));

    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(responses[0]?.message.text).toContain('Someone else decided');
  });

  it('records a denial and starts nothing', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves(pendingApproval('failover-drill production'));
    ddb.on(UpdateItemCommand).resolves({});

    // Act
    await handleSlackRequest(signed(click('deny', 'U0APPROVER')), deps('production'));

    // Assess
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input.ExpressionAttributeValues?.[':decision']?.S).toBe('denied');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(responses[0]?.message.text).toContain('Denied by <@U0APPROVER>');
  });

  it.each([
    ['a user outside the policy', slash('verify-backups staging', 'U0STRANGER'), 'not authorized'],
    ['a command for the other environment', slash('verify-backups production'), 'serves staging'],
    ['an out-of-range number', slash('scale staging backend 1 99 60 too many'), 'max must be at most 20'],
    ['an unknown command', slash('drop-database staging'), 'Unknown command'],
  ])('answers %s with a clear message and changes nothing', async (_case, body, message) => {
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
    expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(6);
    expect(JSON.parse(response.body).text).toContain('restore-drill: `scheduled-2026-11`');
  });
});
