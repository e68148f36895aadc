import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import commandSample from '../../events/slack-ops-command.json';
import { slackSignature } from '../../functions/slack-ops/verify-signature.js';
import { environmentConfig, scalingLimits } from '../../infra/config.js';

const SIGNING_SECRET = 'integration-signing-secret';
const sfn = mockClient(SFNClient);
const ddb = mockClient(DynamoDBClient);
const secrets = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
const s3 = mockClient(S3Client);

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<{ statusCode: number; body: string }>;
let server: Server;
let baseUrl: string;

const context = {
  functionName: 'financehub-staging-slack-ops',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:financehub-staging-slack-ops',
  memoryLimitInMB: '256',
  awsRequestId: 'integration',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

beforeAll(async () => {
  Object.assign(process.env, {
    ENVIRONMENT: 'staging',
    SLACK_COMMAND: '/ops-staging',
    AWS_REGION: 'us-east-1',
    ACCOUNT_ID: '111111111111',
    NAME_PREFIX: 'financehub-staging',
    TABLE_NAME: 'financehub-staging-slack-approvals',
    SLACK_SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/slack-signing-AbCdEf',
    AUDIT_BUCKET: 'financehub-staging-audit-111111111111',
    AUTHORIZATION_PARAMETER: '/financehub-staging/slack/authorization',
    SCALING_LIMITS: JSON.stringify(scalingLimits(environmentConfig('production'))),
    APPROVAL_MINUTES: '15',
    APPROVAL_USE_MINUTES: '10',
    APPROVAL_RECORD_DAYS: '30',
    FOUR_EYES_WORKFLOWS: '',
    POWERTOOLS_METRICS_NAMESPACE: 'FinanceHub/Ops',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const { handler } = (await import('../../functions/slack-ops/handler.js')) as { handler: Handler };

  // Stands in for the Lambda function URL: the raw HTTP request becomes a payload v2 event, base64 body and all.
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const event = {
        version: '2.0',
        rawPath: req.url ?? '/',
        headers: Object.fromEntries(Object.entries(req.headers).map(([key, value]) => [key, String(value)])),
        requestContext: { requestId: `req-${Date.now()}`, http: { method: req.method ?? 'POST' } },
        body: Buffer.concat(chunks).toString('base64'),
        isBase64Encoded: true,
      } as unknown as APIGatewayProxyEventV2;
      handler(event, context).then(
        (result) => res.writeHead(result.statusCode, { 'content-type': 'application/json' }).end(result.body),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  sfn.reset();
  ddb.reset();
  secrets.reset();
  ssm.reset();
  s3.reset();
  s3.on(PutObjectCommand).resolves({});
  secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ signingSecret: SIGNING_SECRET }) });
  ssm.on(GetParameterCommand).resolves({
    Parameter: { Value: JSON.stringify({ teamId: 'T0FINHUB1', channels: ['C0OPS0001'], operators: ['U0OPERATOR'], approvers: ['U0APPROVER'] }) },
  });
  sfn.on(StartExecutionCommand).resolves({
    executionArn: 'arn:aws:states:us-east-1:111111111111:execution:financehub-staging-scaling-override:slack-x',
    startDate: new Date(),
  });
  ddb.on(PutItemCommand).resolves({});
});

async function post(body: string, secret = SIGNING_SECRET, timestamp = String(Math.floor(Date.now() / 1000))) {
  const response = await fetch(baseUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature(secret, timestamp, body),
    },
    body,
  });
  return { status: response.status, text: await response.text() };
}

const form = (text: string) => new URLSearchParams({ ...commandSample, text }).toString();

describe('the /ops endpoint over HTTP', () => {
  it('starts the scaling override for a request signed as Slack signs it', async () => {
    // Act
    const response = await post(form('scale staging backend 4 12 60 black friday traffic'));

    // Assess
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text).text).toContain('Started scaling-override for <@U0OPERATOR>');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    const audit = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(audit).toEqual([expect.objectContaining({ Bucket: 'financehub-staging-audit-111111111111', IfNoneMatch: '*' })]);
    expect(String(audit[0]?.Body).trim().split('\n').map((line) => JSON.parse(line) as { what: string; who: string })).toEqual([
      expect.objectContaining({ what: 'command', who: 'U0OPERATOR', from: 'slack:T0FINHUB1/C0OPS0001' }),
      expect.objectContaining({ what: 'start', executionArn: expect.stringContaining(':execution:financehub-staging-scaling-override:') }),
    ]);
  });

  it('rejects a request signed with another secret with 401 and starts nothing', async () => {
    // Act
    const response = await post(form('scale staging backend 4 12 60 forged'), 'attacker-secret');

    // Assess
    expect(response.status).toBe(401);
    expect(response.text).toBe('Slack signature does not match');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('rejects a replay of a correctly signed request ten minutes later', async () => {
    // Prepare
    const tenMinutesAgo = String(Math.floor(Date.now() / 1000) - 600);

    // Act
    const response = await post(form('verify-backups staging'), SIGNING_SECRET, tenMinutesAgo);

    // Assess
    expect(response.status).toBe(401);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('answers with a message, not an error, when Step Functions is down', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejects(new Error('connect ETIMEDOUT'));

    // Act
    const response = await post(form('verify-backups staging'));

    // Assess
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text).text).toContain('failed on our side before it could start anything');
  });
});
