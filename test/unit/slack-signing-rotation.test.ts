import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, InternalServiceError, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import commandSample from '../../events/slack-ops-command.json';
import { createHandler } from '../../functions/slack-ops/create-handler.js';
import { slackSignature, verifySlackSignature } from '../../functions/slack-ops/verify-signature.js';
import { environmentConfig, scalingLimits } from '../../infra/config.js';
import { lambdaContext } from '../../rehearsal/executor.js';

const PREVIOUS = '0123456789abcdef0123456789abcdef';
const CURRENT = '11111111111111111111111111111111';
const PENDING = '22222222222222222222222222222222';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/slack-signing-AbCdEf';
const secrets = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
let stages: { AWSCURRENT?: string; AWSPENDING?: string | Error };
let clock: Date;

const environment = {
  ENVIRONMENT: 'staging',
  SLACK_COMMAND: '/ops-staging',
  AWS_REGION: 'us-east-1',
  ACCOUNT_ID: '111111111111',
  NAME_PREFIX: 'financehub-staging',
  TABLE_NAME: 'financehub-staging-slack-approvals',
  SLACK_SIGNING_SECRET_ARN: SECRET_ARN,
  AUDIT_BUCKET: 'financehub-staging-audit-111111111111',
  AUTHORIZATION_PARAMETER: '/financehub-staging/slack/authorization',
  SCALING_LIMITS: JSON.stringify(scalingLimits(environmentConfig('staging'))),
  APPROVAL_MINUTES: '15',
  APPROVAL_USE_MINUTES: '10',
  APPROVAL_RECORD_DAYS: '30',
  FOUR_EYES_WORKFLOWS: '',
};

const body = new URLSearchParams({ ...commandSample, command: '/ops-staging', text: 'help' }).toString();
function request(secret: string): APIGatewayProxyEventV2 {
  const timestamp = String(Math.floor(clock.getTime() / 1000));
  return {
    headers: { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature(secret, timestamp, body) },
    body,
    isBase64Encoded: false,
    requestContext: { requestId: `req-${secret.slice(0, 4)}` },
  } as unknown as APIGatewayProxyEventV2;
}
// Sorted: both stages are read together, in no particular order.
const stageReads = () => secrets.commandCalls(GetSecretValueCommand).map((call) => String(call.args[0].input.VersionStage)).sort();

beforeEach(() => {
  secrets.reset();
  ssm.reset();
  clock = new Date('2026-12-02T06:00:00Z');
  stages = { AWSCURRENT: CURRENT };
  secrets.on(GetSecretValueCommand).callsFake(async (input: { VersionStage: 'AWSCURRENT' | 'AWSPENDING' }) => {
    const value = stages[input.VersionStage];
    if (value instanceof Error) throw value;
    if (value === undefined) throw new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret value for staging label: AWSPENDING", $metadata: {} });
    return { ARN: SECRET_ARN, SecretString: JSON.stringify({ signingSecret: value }) };
  });
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ teamId: commandSample.team_id, channels: [commandSample.channel_id], operators: [commandSample.user_id], approvers: [] }) } });
});

afterAll(() => {
  secrets.restore();
  ssm.restore();
});

/** A fresh /ops function (a cold start), its clock the test's. */
function coldStart() {
  const handler = createHandler({
    environment,
    clients: { secrets: new SecretsManagerClient({}), sfn: new SFNClient({}), ddb: new DynamoDBClient({}), s3: new S3Client({}), now: () => clock },
  });
  return async (secret: string) => (await handler(request(secret), lambdaContext('slack-ops'))).statusCode;
}

describe('the /ops signature while the signing secret rotates', () => {
  it('accepts a request signed with AWSCURRENT or AWSPENDING while a rotation is open, reading both stages together', async () => {
    // Prepare
    stages = { AWSCURRENT: CURRENT, AWSPENDING: PENDING };
    const ops = coldStart();

    // Act
    const withPending = await ops(PENDING);
    const withCurrent = await ops(CURRENT);

    // Assess
    expect([withPending, withCurrent]).toEqual([200, 200]);
    expect(stageReads()).toEqual(['AWSCURRENT', 'AWSPENDING']);
  });

  it.each([
    ['the previous secret (AWSPREVIOUS)', PREVIOUS],
    ['a secret Slack never had', 'forged-forged-forged-forged-forg'],
  ])('refuses a request signed with %s, rotation open or not', async (_case, secret) => {
    // Prepare
    stages = { AWSCURRENT: CURRENT, AWSPENDING: PENDING };
    const ops = coldStart();

    // Act
    const status = await ops(secret);

    // Assess
    expect(status).toBe(401);
  });

  it('accepts the regenerated secret as soon as the owner stored it, reading Secrets Manager again for it once', async () => {
    // Prepare: the function read AWSCURRENT alone (no rotation open); then the owner regenerated at Slack and stored it.
    const ops = coldStart();
    expect(await ops(CURRENT)).toBe(200);
    stages = { AWSCURRENT: CURRENT, AWSPENDING: PENDING };
    clock = new Date(clock.getTime() + 30_000);

    // Act
    const status = await ops(PENDING);

    // Assess
    expect(status).toBe(200);
    expect(stageReads()).toEqual(['AWSCURRENT', 'AWSCURRENT', 'AWSPENDING', 'AWSPENDING']);
  });

  it('reads again for unmatched requests at most once per 10 seconds, so forged requests cannot drive Secrets Manager calls', async () => {
    // Prepare
    const ops = coldStart();
    expect(await ops(CURRENT)).toBe(200);
    clock = new Date(clock.getTime() + 11_000);

    // Act
    const forged = [await ops(PREVIOUS), await ops(PREVIOUS), await ops(PREVIOUS)];

    // Assess
    expect(forged).toEqual([401, 401, 401]);
    expect(stageReads()).toHaveLength(4);
  });

  it('refuses the previous secret once the rotation completed and the cache expired', async () => {
    // Prepare
    stages = { AWSCURRENT: CURRENT, AWSPENDING: PENDING };
    const ops = coldStart();
    expect(await ops(PENDING)).toBe(200);
    stages = { AWSCURRENT: PENDING };
    clock = new Date(clock.getTime() + 301_000);

    // Act
    const withNew = await ops(PENDING);
    const withOld = await ops(CURRENT);

    // Assess
    expect([withNew, withOld]).toEqual([200, 401]);
  });

  it('verifies with AWSCURRENT alone when AWSPENDING cannot be read, instead of refusing every request', async () => {
    // Prepare
    stages = { AWSCURRENT: CURRENT, AWSPENDING: new InternalServiceError({ message: 'An error occurred on the server side.', $metadata: {} }) };
    const ops = coldStart();

    // Act
    const status = await ops(CURRENT);

    // Assess
    expect(status).toBe(200);
  });
});

describe('verifySlackSignature with two secrets', () => {
  const now = 1_790_000_000;
  const signed = (secret: string) => ({ rawBody: body, timestamp: String(now), signature: slackSignature(secret, String(now), body) });

  it.each([
    ['AWSCURRENT', CURRENT],
    ['AWSPENDING', PENDING],
  ])('accepts a request signed with %s', (_stage, secret) => {
    // Act
    const verify = () => verifySlackSignature(signed(secret), { signingSecrets: [CURRENT, PENDING], nowSeconds: now });

    // Assess
    expect(verify).not.toThrow();
  });

  it('refuses every request when it is given no secret', () => {
    // Act
    const verify = () => verifySlackSignature(signed(CURRENT), { signingSecrets: [], nowSeconds: now });

    // Assess
    expect(verify).toThrow('Slack signature does not match');
  });
});
