import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { logger, tracer } from '../lib/powertools.js';
import { postToResponseUrl } from '../lib/slack-response.js';
import { parsePolicy } from './authorize.js';
import { type HttpResponse, type SlackOpsDeps, handleSlackRequest } from './slack-ops.js';

const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  AWS_REGION: envField.text,
  ACCOUNT_ID: envField.text,
  NAME_PREFIX: envField.text,
  TABLE_NAME: envField.text,
  SLACK_SECRET_ARN: envField.arn,
  AUTHORIZATION_PARAMETER: envField.text,
  SCALING_LIMITS: z.string().transform((value, ctx) => {
    const parsed = z
      .object({ maxCeiling: z.object({ frontend: z.number(), backend: z.number(), worker: z.number() }), maxDurationMinutes: z.number() })
      .safeParse(JSON.parse(value));
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: 'must be JSON { maxCeiling: {frontend, backend, worker}, maxDurationMinutes }' });
      return z.NEVER;
    }
    return parsed.data;
  }),
  APPROVAL_MINUTES: envField.positiveInt,
});

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly sfn: SFNClient; readonly ddb: DynamoDBClient; readonly fetch: typeof fetch; readonly now: () => Date }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  // Short SDK timeouts keep the whole answer inside Slack's 3 s window.
  const clientOptions = { requestHandler: { requestTimeout: 1500, connectionTimeout: 500 } };
  const { sfn, ddb, fetch: post, now } = {
    sfn: tracer.captureAWSv3Client(new SFNClient(clientOptions)),
    ddb: tracer.captureAWSv3Client(new DynamoDBClient(clientOptions)),
    fetch: globalThis.fetch,
    now: () => new Date(),
    ...overrides.clients,
  };
  const deps: SlackOpsDeps = {
    sfn,
    ddb,
    config: {
      environment: env.ENVIRONMENT,
      region: env.AWS_REGION,
      account: env.ACCOUNT_ID,
      prefix: env.NAME_PREFIX,
      tableName: env.TABLE_NAME,
      limits: env.SCALING_LIMITS,
      approvalMinutes: env.APPROVAL_MINUTES,
    },
    signingSecret: async () => {
      const secret = await getSecret<{ signingSecret?: string }>(env.SLACK_SECRET_ARN, { transform: 'json', maxAge: 300 });
      if (!secret?.signingSecret) throw new Error('The Slack secret has no signingSecret field');
      return secret.signingSecret;
    },
    policy: async () => parsePolicy((await getParameter(env.AUTHORIZATION_PARAMETER, { maxAge: 60 })) ?? '{}'),
    respond: (url, message) => postToResponseUrl(post, url, message),
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
