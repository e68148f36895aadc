import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { tracer } from '../lib/tracer.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { auditResult, reminders, secretAges } from './audit.js';

const environmentSchema = z.object({ ENVIRONMENT: envField.environment, NAME_PREFIX: envField.text, TOPIC_ARN: envField.arn, MAX_AGE_DAYS: envField.positiveInt, ESCALATE_AFTER_DAYS: envField.positiveInt });

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly secrets: SecretsManagerClient; readonly sns: SNSClient; readonly now: () => Date }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const { secrets, sns, now } = {
    secrets: tracer.captureAWSv3Client(new SecretsManagerClient({})),
    sns: tracer.captureAWSv3Client(new SNSClient({})),
    now: () => new Date(),
    ...overrides.clients,
  };

  /** The daily audit: one result naming every secret older than the rotation period, then a reminder per open rotation request. */
  return opsHandler(async (): Promise<{ stale: number; reminded: number }> => {
    const startedAt = now();
    const ages = await secretAges(secrets, env.NAME_PREFIX, startedAt);
    await publishOpsResult(sns, env.TOPIC_ARN, auditResult(ages, env.ENVIRONMENT, env.MAX_AGE_DAYS, startedAt, now()));
    const due = reminders(ages, env.ENVIRONMENT, env.ESCALATE_AFTER_DAYS, env.NAME_PREFIX, now());
    for (const reminder of due) await publishOpsResult(sns, env.TOPIC_ARN, reminder);
    return { stale: ages.filter((a) => a.ageDays > env.MAX_AGE_DAYS).length, reminded: due.length };
  }, { tracer });
}
