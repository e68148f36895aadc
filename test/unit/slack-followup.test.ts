import { jest } from '@jest/globals';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import succeeded from '../../events/sfn-execution-succeeded.json';
import { executionStatusChangeSchema, followUpExecution, followUpMessage } from '../../functions/slack-followup/followup.js';
import { assertSlackUrl, postChatMessage } from '../../functions/lib/slack-response.js';

const ddb = mockClient(DynamoDBClient);
const change = executionStatusChangeSchema.parse(succeeded);
/** The execution's end (stopDate of the sample), and a response URL issued when it started. */
const stoppedAt = new Date(change.detail.stopDate ?? 0);
const issuedAt = (minutesBeforeStop: number) => String(Math.floor((stoppedAt.getTime() - minutesBeforeStop * 60_000) / 1000));
const noChannelPost = async () => {
  throw new Error('no channel post expected');
};

beforeEach(() => ddb.reset());

describe('Slack follow-ups of executions started from Slack', () => {
  it('posts the outcome, duration and result summary to the response URL that started the execution', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves({
      Item: { responseUrl: { S: 'https://hooks.slack.com/commands/T0/1/abc' }, requestedBy: { S: 'U0OPERATOR' } },
    });
    const posted: { url: string; message: unknown }[] = [];

    // Act
    const outcome = await followUpExecution(change, {
      ddb: new DynamoDBClient({}),
      tableName: 'approvals',
      respond: async (url, message) => {
        posted.push({ url, message });
      },
      postToChannel: noChannelPost,
      now: () => stoppedAt,
    });

    // Assess
    expect(outcome).toBe('posted');
    expect(ddb.commandCalls(GetItemCommand)[0]?.args[0].input.Key).toEqual({ id: { S: 'followup#slack-0123456789abcdef' } });
    expect(posted[0]?.url).toBe('https://hooks.slack.com/commands/T0/1/abc');
    expect((posted[0]?.message as { text: string }).text).toContain(
      'financehub-staging-scaling-override `slack-0123456789abcdef` succeeded after 120 s',
    );
    expect((posted[0]?.message as { text: string }).text).toContain('Result: backend in staging scaled to min 4, max 12');
  });

  it('posts the outcome of a run that outlived its response URL (Slack honours one 30 min) to the channel with the bot token, under the approval request', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves({
      Item: {
        responseUrl: { S: 'https://hooks.slack.com/commands/T0/1/abc' },
        requestedBy: { S: 'U0OPERATOR' },
        responseUrlIssuedAt: { N: issuedAt(40) },
        channelId: { S: 'C0OPS' },
        threadTs: { S: '1795919400.000100' },
      },
    });
    const respond = jest.fn<(url: string, message: unknown) => Promise<void>>();
    const channelPosts: unknown[] = [];

    // Act
    const outcome = await followUpExecution(change, {
      ddb: new DynamoDBClient({}),
      tableName: 'approvals',
      respond,
      postToChannel: async (message) => {
        channelPosts.push(message);
      },
      now: () => stoppedAt,
    });

    // Assess
    expect(outcome).toBe('posted-to-channel');
    expect(respond).not.toHaveBeenCalled();
    expect(channelPosts).toEqual([
      { channel: 'C0OPS', thread_ts: '1795919400.000100', text: expect.stringMatching(/^<@U0OPERATOR> :white_check_mark: financehub-staging-scaling-override `slack-0123456789abcdef` succeeded/) },
    ]);
  });

  it('still answers through the response URL 20 minutes after it was issued', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves({
      Item: { responseUrl: { S: 'https://hooks.slack.com/commands/T0/1/abc' }, requestedBy: { S: 'U0OPERATOR' }, responseUrlIssuedAt: { N: issuedAt(20) }, channelId: { S: 'C0OPS' } },
    });
    const respond = jest.fn<(url: string, message: unknown) => Promise<void>>(async () => undefined);

    // Act
    const outcome = await followUpExecution(change, { ddb: new DynamoDBClient({}), tableName: 'approvals', respond, postToChannel: noChannelPost, now: () => stoppedAt });

    // Assess
    expect(outcome).toBe('posted');
    expect(respond).toHaveBeenCalledWith('https://hooks.slack.com/commands/T0/1/abc', expect.objectContaining({ response_type: 'in_channel' }));
  });

  it('fails, so the invocation retries and lands in the dead-letter queue, when the response URL expired and no channel was recorded', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves({ Item: { responseUrl: { S: 'https://hooks.slack.com/commands/T0/1/abc' }, requestedBy: { S: 'U0OPERATOR' }, responseUrlIssuedAt: { N: issuedAt(45) } } });

    // Act
    const outcome = followUpExecution(change, { ddb: new DynamoDBClient({}), tableName: 'approvals', respond: async () => undefined, postToChannel: noChannelPost, now: () => stoppedAt });

    // Assess
    await expect(outcome).rejects.toThrow('The response URL of slack-0123456789abcdef has expired and no channel was recorded');
  });

  it('leaves executions that were not started from Slack alone', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves({});
    const respond = jest.fn<(url: string, message: unknown) => Promise<void>>();

    // Act
    const outcome = await followUpExecution(change, { ddb: new DynamoDBClient({}), tableName: 'approvals', respond, postToChannel: noChannelPost, now: () => stoppedAt });

    // Assess
    expect(outcome).toBe('not-from-slack');
    expect(respond).not.toHaveBeenCalled();
  });

  it('names the error and its cause when an execution failed', () => {
    // Prepare
    const failed = { ...change, detail: { ...change.detail, status: 'FAILED' as const, output: null, error: 'States.Timeout', cause: 'Wait cap hit' } };

    // Act
    const message = followUpMessage(failed);

    // Assess
    expect(message.text).toContain(':x:');
    expect(message.text).toContain('Error: States.Timeout: Wait cap hit');
  });

  it.each(['http://hooks.slack.com/x', 'https://evil.example.com/hooks.slack.com', 'https://169.254.169.254/latest'])(
    'refuses to post to %s, which is not a Slack response URL',
    (url) => {
      // Act
      const check = () => assertSlackUrl(url);

      // Assess
      expect(check).toThrow('not a Slack response URL');
    },
  );
});

describe('chat.postMessage with the bot token', () => {
  const answer = (status: number, body: unknown, retryAfter?: string) => ({
    ok: status >= 200 && status < 300,
    status,
    headers: { get: (name: string) => (name === 'retry-after' ? (retryAfter ?? null) : null) },
    text: async () => JSON.stringify(body),
  });

  it('waits as long as Slack’s Retry-After says when rate-limited, then posts once', async () => {
    // Prepare
    const answers = [answer(429, { ok: false, error: 'ratelimited' }, '2'), answer(200, { ok: true, ts: '1.2' })];
    const requests: { url: string; headers: Record<string, string>; body: string }[] = [];
    const waits: number[] = [];

    // Act
    await postChatMessage(
      'xoxb-test',
      { channel: 'C0OPS', text: 'done' },
      {
        fetch: async (url, init) => {
          requests.push({ url, headers: init.headers, body: init.body });
          return answers.shift()!;
        },
        sleep: async (ms) => {
          waits.push(ms);
        },
      },
    );

    // Assess
    expect(waits).toEqual([2000]);
    expect(requests).toHaveLength(2);
    expect(requests[1]).toEqual({
      url: 'https://slack.com/api/chat.postMessage',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer xoxb-test' },
      body: JSON.stringify({ channel: 'C0OPS', text: 'done' }),
    });
  });

  it('fails with Slack’s reason when Slack refuses the post with ok: false', async () => {
    // Act
    const post = postChatMessage('xoxb-test', { channel: 'C0OPS', text: 'done' }, { fetch: async () => answer(200, { ok: false, error: 'not_in_channel' }), sleep: async () => undefined });

    // Assess
    await expect(post).rejects.toThrow('Slack refused chat.postMessage to C0OPS: not_in_channel');
  });

  it('leaves a Retry-After longer than it may wait to the invocation’s own retry', async () => {
    // Prepare
    const sleep = jest.fn(async () => undefined);

    // Act
    const post = postChatMessage('xoxb-test', { channel: 'C0OPS', text: 'done' }, { fetch: async () => answer(429, { ok: false }, '60'), sleep });

    // Assess
    await expect(post).rejects.toThrow('Slack rate-limited chat.postMessage (Retry-After 60 s)');
    expect(sleep).not.toHaveBeenCalled();
  });
});
