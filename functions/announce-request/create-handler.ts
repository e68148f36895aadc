import { S3Client } from '@aws-sdk/client-s3';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import * as z from 'zod';
import { writeAudit } from '../lib/audit.js';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { tracer } from '../lib/tracer.js';
import { postToResponseUrl } from '../lib/slack-response.js';
import { parsePolicy } from '../slack-ops/authorize.js';
import { type AnnounceOutcome, announceRequest } from './announce.js';

const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  SLACK_SECRET_ARN: envField.arn,
  AUDIT_BUCKET: envField.text,
  AUTHORIZATION_PARAMETER: envField.text,
  SCALING_LIMITS: envField.scalingLimits,
  FOUR_EYES_WORKFLOWS: envField.list,
});

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly s3: S3Client; readonly fetch: typeof fetch; readonly now: () => Date }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const { s3, fetch: post, now } = { s3: tracer.captureAWSv3Client(new S3Client({})), fetch: globalThis.fetch, now: () => new Date(), ...overrides.clients };
  const deps = {
    settings: { environment: env.ENVIRONMENT, limits: env.SCALING_LIMITS, fourEyesWorkflows: env.FOUR_EYES_WORKFLOWS },
    policy: async () => parsePolicy((await getParameter(env.AUTHORIZATION_PARAMETER, { forceFetch: true })) ?? '{}'),
    post: async (message: unknown) => {
      const secret = await getSecret<{ opsWebhookUrl?: string }>(env.SLACK_SECRET_ARN, { transform: 'json', maxAge: 300 });
      if (!secret?.opsWebhookUrl) throw new Error('The Slack secret has no opsWebhookUrl');
      await postToResponseUrl(post, secret.opsWebhookUrl, message);
    },
    audit: async (entries: Parameters<typeof writeAudit>[2]) => void (await writeAudit(s3, env.AUDIT_BUCKET, entries)),
    now,
  };
  /** One record per batch (the event source's batch size): a failure is retried, then kept in the failure queue. */
  return opsHandler(async (event: DynamoDBStreamEvent): Promise<AnnounceOutcome[]> => {
    const outcomes: AnnounceOutcome[] = [];
    for (const record of event.Records ?? []) outcomes.push(await announceRequest(record, deps));
    return outcomes;
  }, { tracer });
}
