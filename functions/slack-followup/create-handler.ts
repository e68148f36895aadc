import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { logger } from '../lib/powertools.js';
import { tracer } from '../lib/tracer.js';
import { postChatMessage, postToResponseUrl } from '../lib/slack-response.js';
import { executionStatusChangeSchema, followUpExecution } from './followup.js';

const environmentSchema = z.object({ TABLE_NAME: envField.text, SLACK_SECRET_ARN: envField.arn });
/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly ddb: DynamoDBClient; readonly fetch: typeof fetch }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const { ddb, fetch: post } = { ddb: tracer.captureAWSv3Client(new DynamoDBClient({})), fetch: globalThis.fetch, ...overrides.clients };

  /** The Slack app's bot token, read only when a long run's outcome needs it. */
  async function botToken(): Promise<string> {
    const secret = await getSecret<{ botToken?: string }>(env.SLACK_SECRET_ARN, { transform: 'json', maxAge: 300 });
    if (!secret?.botToken) throw new Error('The Slack secret has no botToken field: long runs cannot be followed up in Slack');
    return secret.botToken;
  }

  /**
   * A malformed event is logged and dropped (retrying cannot fix it); a failed post to Slack is rethrown so the
   * asynchronous invocation retries and then lands in the dead-letter queue.
   */
  async function lambdaHandler(event: unknown): Promise<string> {
    const parsed = executionStatusChangeSchema.safeParse(event);
    if (!parsed.success) {
      logger.error('Not a Step Functions status change; ignored', { issues: parsed.error.issues });
      return 'ignored';
    }
    const outcome = await followUpExecution(parsed.data, {
      ddb,
      tableName: env.TABLE_NAME,
      respond: (url, message) => postToResponseUrl(post, url, message),
      postToChannel: async (message) => postChatMessage(await botToken(), message, { fetch: post, sleep: (ms) => sleep(ms) }),
      now: () => new Date(),
    });
    logger.info('Follow-up handled', { execution: parsed.data.detail.name, outcome });
    return outcome;
  }

  return opsHandler(lambdaHandler, { correlationIdPath: 'id', tracer });
}
