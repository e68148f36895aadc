import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { opsHandler } from '../lib/handler.js';
import { logger, tracer } from '../lib/powertools.js';
import { postToResponseUrl } from '../lib/slack-response.js';
import { executionStatusChangeSchema, followUpExecution } from './followup.js';

const env = readConfig(z.object({ TABLE_NAME: envField.text }));
const ddb = tracer.captureAWSv3Client(new DynamoDBClient({}));

/**
 * A malformed event is logged and dropped (retrying cannot fix it); a failed post to Slack is rethrown so the
 * asynchronous invocation retries and then lands in the dead-letter queue.
 */
export async function lambdaHandler(event: unknown): Promise<string> {
  const parsed = executionStatusChangeSchema.safeParse(event);
  if (!parsed.success) {
    logger.error('Not a Step Functions status change; ignored', { issues: parsed.error.issues });
    return 'ignored';
  }
  const outcome = await followUpExecution(parsed.data, {
    ddb,
    tableName: env.TABLE_NAME,
    respond: (url, message) => postToResponseUrl(fetch, url, message),
  });
  logger.info('Follow-up handled', { execution: parsed.data.detail.name, outcome });
  return outcome;
}

export const handler = opsHandler(lambdaHandler, { correlationIdPath: 'id' });
