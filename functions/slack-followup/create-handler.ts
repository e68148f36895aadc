import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { logger, tracer } from '../lib/powertools.js';
import { postToResponseUrl } from '../lib/slack-response.js';
import { executionStatusChangeSchema, followUpExecution } from './followup.js';

const environmentSchema = z.object({ TABLE_NAME: envField.text });
/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly ddb: DynamoDBClient; readonly fetch: typeof fetch }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const { ddb, fetch: post } = { ddb: tracer.captureAWSv3Client(new DynamoDBClient({})), fetch: globalThis.fetch, ...overrides.clients };

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
    });
    logger.info('Follow-up handled', { execution: parsed.data.detail.name, outcome });
    return outcome;
  }

  return opsHandler(lambdaHandler, { correlationIdPath: 'id' });
}
