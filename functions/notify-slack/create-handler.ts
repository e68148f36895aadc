import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { SNSEvent } from 'aws-lambda';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { logger, metrics } from '../lib/powertools.js';
import { tracer } from '../lib/tracer.js';
import { FlapTracker } from './flap-tracker.js';
import { type Webhooks, notifySlack } from './notify.js';
import { SlackWebhookRejected, postToWebhook } from './slack-poster.js';

const environmentSchema = z.object({
  AWS_REGION: envField.text,
  SLACK_SECRET_ARN: envField.arn,
  TABLE_NAME: envField.text,
  FLAP_WINDOW_MINUTES: envField.positiveInt,
  RUNBOOKS_URL: z.string().url(),
});
const webhookSchema = z.object({ opsWebhookUrl: z.string().url(), incidentsWebhookUrl: z.string().url() });

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly dynamodb: DynamoDBClient; readonly fetch: typeof fetch }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const { dynamodb, fetch: post } = { dynamodb: tracer.captureAWSv3Client(new DynamoDBClient({})), fetch: globalThis.fetch, ...overrides.clients };
  const tracker = new FlapTracker(dynamodb, env.TABLE_NAME, env.FLAP_WINDOW_MINUTES * 60_000);

  async function webhooks(): Promise<Webhooks> {
    // Cached for five minutes across invocations; a changed secret is picked up without a deploy.
    const parsed = webhookSchema.safeParse(await getSecret(env.SLACK_SECRET_ARN, { transform: 'json', maxAge: 300 }));
    if (!parsed.success) throw new Error('The Slack secret needs opsWebhookUrl and incidentsWebhookUrl (https URLs)');
    return { ops: parsed.data.opsWebhookUrl, incidents: parsed.data.incidentsWebhookUrl };
  }

  /**
   * Posts every record; if any post failed, throws after the others went out, so the asynchronous invocation is
   * retried (records already posted are skipped) and finally lands in the dead-letter queue. Nothing is lost silently.
   */
  async function lambdaHandler(event: SNSEvent): Promise<{ posted: number; suppressed: number }> {
    const outcomes = await notifySlack(event.Records ?? [], {
      tracker,
      webhooks,
      post: (url, payload) => postToWebhook(url, payload, { fetch: post, sleep: (ms) => sleep(ms) }),
      now: () => Date.now(),
      region: env.AWS_REGION,
      runbooksUrl: env.RUNBOOKS_URL,
    });
    const failed = outcomes.filter((o) => o.outcome === 'failed');
    metrics.addMetric('SlackPosted', 'Count', outcomes.filter((o) => o.outcome === 'posted').length);
    metrics.addMetric('SlackSuppressed', 'Count', outcomes.filter((o) => o.outcome === 'suppressed').length);
    metrics.addMetric('SlackPostFailed', 'Count', failed.length);
    if (failed.some((o) => o.error instanceof SlackWebhookRejected)) metrics.addMetric('SlackWebhookRejected', 'Count', 1);
    if (failed.length > 0) {
      for (const f of failed) logger.error('Slack post failed', { messageId: f.messageId, kind: f.kind, error: f.error });
      throw new AggregateError(failed.map((f) => f.error), `${failed.length} of ${outcomes.length} notifications could not be posted to Slack`);
    }
    return {
      posted: outcomes.filter((o) => o.outcome === 'posted').length,
      suppressed: outcomes.filter((o) => o.outcome === 'suppressed').length,
    };
  }

  return opsHandler(lambdaHandler, { correlationIdPath: 'Records[0].Sns.MessageId', tracer });
}
