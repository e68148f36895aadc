import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import alarmEvent from '../../events/sns-alarm-alarm.json';
import opsSuccessEvent from '../../events/sns-ops-result-success.json';

const ddb = mockClient(DynamoDBClient);
const secrets = mockClient(SecretsManagerClient);

/** Stands in for Slack's incoming webhooks: each path answers from its own script, then 200. */
const scripts: Record<string, { status: number; headers?: Record<string, string> }[]> = {};
const received: { path: string; at: number; body: { text: string } }[] = [];
let server: Server;
let base: string;
type Handler = (event: SNSEvent, context: Context) => Promise<{ posted: number }>;
let handler: Handler;

const context = {
  functionName: 'financehub-production-notify-slack',
  awsRequestId: 'integration',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:222222222222:function:financehub-production-notify-slack',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, at: Date.now(), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      const next = scripts[path]?.shift() ?? { status: 200 };
      res.writeHead(next.status, next.headers ?? {}).end(next.status === 200 ? 'ok' : 'error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    SLACK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:222222222222:secret:financehub-production/slack-AbCdEf',
    TABLE_NAME: 'financehub-production-notify-slack',
    FLAP_WINDOW_MINUTES: '15',
    RUNBOOKS_URL: 'https://github.com/financehub/financehub-ops/blob/main/docs/runbooks',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  ({ handler } = (await import('../../functions/notify-slack/handler.js')) as { handler: Handler });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  ddb.reset();
  secrets.reset();
  received.length = 0;
  for (const key of Object.keys(scripts)) delete scripts[key];
  ddb.on(GetItemCommand).resolves({});
  ddb.on(PutItemCommand).resolves({});
  secrets.on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({ opsWebhookUrl: `${base}/ops`, incidentsWebhookUrl: `${base}/incidents` }),
  });
});

describe('notify-slack over HTTP', () => {
  it('honours a 429 with Retry-After and then posts the alarm to the incidents webhook', async () => {
    // Prepare
    scripts['/incidents'] = [{ status: 429, headers: { 'retry-after': '1' } }];

    // Act
    const result = await handler(alarmEvent as SNSEvent, context);

    // Assess
    expect(result.posted).toBe(1);
    expect(received.map((r) => r.path)).toEqual(['/incidents', '/incidents']);
    expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(900);
    expect(received[1]?.body.text).toBe(':rotating_light: ALARM: financehub-production-backend-high-cpu');
  });

  it('retries a 500 and posts the workflow result to the ops webhook', async () => {
    // Prepare
    scripts['/ops'] = [{ status: 500 }];

    // Act
    const result = await handler(opsSuccessEvent as SNSEvent, context);

    // Assess
    expect(result.posted).toBe(1);
    expect(received.map((r) => r.path)).toEqual(['/ops', '/ops']);
  });

  it('fails the invocation loudly when Slack rejects the webhook, so the message goes to the dead-letter queue', async () => {
    // Prepare
    scripts['/ops'] = [{ status: 404 }];

    // Act
    const invoke = handler(opsSuccessEvent as SNSEvent, context);

    // Assess
    await expect(invoke).rejects.toThrow('1 of 1 notifications could not be posted to Slack');
    expect(received).toHaveLength(1);
    expect(ddb.commandCalls(PutItemCommand).some((c) => c.args[0].input.Item?.id?.S?.startsWith('posted#'))).toBe(false);
  });
});
