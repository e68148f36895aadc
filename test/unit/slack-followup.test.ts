import { jest } from '@jest/globals';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import succeeded from '../../events/sfn-execution-succeeded.json';
import { executionStatusChangeSchema, followUpExecution, followUpMessage } from '../../functions/slack-followup/followup.js';
import { assertSlackUrl } from '../../functions/lib/slack-response.js';

const ddb = mockClient(DynamoDBClient);
const change = executionStatusChangeSchema.parse(succeeded);

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

  it('leaves executions that were not started from Slack alone', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves({});
    const respond = jest.fn<(url: string, message: unknown) => Promise<void>>();

    // Act
    const outcome = await followUpExecution(change, { ddb: new DynamoDBClient({}), tableName: 'approvals', respond });

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
