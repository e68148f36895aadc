import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { writeAudit } from '../lib/audit.js';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { logger } from '../lib/powertools.js';
import { postToResponseUrl } from '../lib/slack-response.js';
import { parsePolicy } from './authorize.js';
import { type SigningStage, signingSecretsReader } from './signing-secrets.js';
import { type HttpResponse, type SlackOpsDeps, handleSlackRequest } from './slack-ops.js';

const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  SLACK_COMMAND: z.string().check(z.regex(/^\/[a-z0-9_-]{1,31}$/, 'must be a Slack slash command such as /ops')),
  AWS_REGION: envField.text,
  ACCOUNT_ID: envField.text,
  NAME_PREFIX: envField.text,
  TABLE_NAME: envField.text,
  SLACK_SIGNING_SECRET_ARN: envField.arn,
  AUDIT_BUCKET: envField.text,
  AUTHORIZATION_PARAMETER: envField.text,
  SCALING_LIMITS: envField.scalingLimits,
  APPROVAL_MINUTES: envField.positiveInt,
  APPROVAL_USE_MINUTES: envField.positiveInt,
  APPROVAL_RECORD_DAYS: envField.positiveInt,
  FOUR_EYES_WORKFLOWS: envField.list,
});

/** One stage's `signingSecret`; undefined when the stage has no value (AWSPENDING when no rotation is open, or before the owner stored it). */
async function readSigningSecret(secrets: SecretsManagerClient, secretId: string, stage: SigningStage): Promise<string | undefined> {
  let text: string | undefined;
  try {
    text = (await secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }))).SecretString;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    throw new Error(`The Slack signing secret's ${stage} version is not a JSON document { signingSecret }`);
  }
  const field = (value as { signingSecret?: unknown } | null)?.signingSecret;
  if (typeof field !== 'string' || field.length === 0) throw new Error(`The Slack signing secret's ${stage} version has no signingSecret field`);
  return field;
}

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly sfn: SFNClient; readonly ddb: DynamoDBClient; readonly s3: S3Client; readonly secrets: SecretsManagerClient; readonly fetch: typeof fetch; readonly now: () => Date }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  // Short SDK timeouts keep the whole answer inside Slack's 3 s window.
  const clientOptions = { requestHandler: { requestTimeout: 1500, connectionTimeout: 500 } };
  // Not traced by the X-Ray SDK: loading it and its async hooks cost the cold acknowledgement more than its whole
  // budget beside Slack's 3 s (npm run bench); Lambda's active tracing still records each invocation and its init.
  const { sfn, ddb, s3, secrets, fetch: post, now } = {
    sfn: new SFNClient(clientOptions),
    ddb: new DynamoDBClient(clientOptions),
    s3: new S3Client(clientOptions),
    secrets: new SecretsManagerClient(clientOptions),
    // Read when a button click answers through its response URL: reading globalThis.fetch loads undici, which the
    // slash command's acknowledgement never needs.
    fetch: ((input, init) => globalThis.fetch(input, init)) as typeof fetch,
    now: () => new Date(),
    ...overrides.clients,
  };
  const deps: SlackOpsDeps = {
    sfn,
    ddb,
    config: {
      environment: env.ENVIRONMENT,
      slashCommand: env.SLACK_COMMAND,
      region: env.AWS_REGION,
      account: env.ACCOUNT_ID,
      prefix: env.NAME_PREFIX,
      tableName: env.TABLE_NAME,
      limits: env.SCALING_LIMITS,
      approvalMinutes: env.APPROVAL_MINUTES,
      approvalUseMinutes: env.APPROVAL_USE_MINUTES,
      approvalRecordDays: env.APPROVAL_RECORD_DAYS,
      fourEyesWorkflows: env.FOUR_EYES_WORKFLOWS,
    },
    signingSecrets: signingSecretsReader({
      read: (stage) => readSigningSecret(secrets, env.SLACK_SIGNING_SECRET_ARN, stage),
      maxAgeMs: 300_000,
      minRefreshMs: 10_000,
      nowMs: () => now().getTime(),
      onPendingError: (error) => logger.warn('The pending Slack signing secret could not be read; verifying with AWSCURRENT only', { error }),
    }),
    policy: async () => parsePolicy((await getParameter(env.AUTHORIZATION_PARAMETER, { maxAge: 60 })) ?? '{}'),
    respond: (url, message) => postToResponseUrl(post, url, message),
    audit: async (entries) => {
      await writeAudit(s3, env.AUDIT_BUCKET, entries);
    },
    now,
  };

  /** Slack answers must always arrive: an internal failure becomes a message to the operator, never a Lambda error. */
  async function lambdaHandler(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    try {
      return await handleSlackRequest(
        { headers: event.headers ?? {}, body: event.body, isBase64Encoded: event.isBase64Encoded },
        deps,
      );
    } catch (error) {
      logger.error('Slack request failed', { error });
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          response_type: 'ephemeral',
          text: ':x: The ops command failed on our side before it could start anything. Check `fhops list` before retrying; the error is in the slack-ops logs.',
        }),
      };
    }
  }

  return opsHandler(lambdaHandler, { correlationIdPath: 'requestContext.requestId' });
}
