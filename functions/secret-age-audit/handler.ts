import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { opsHandler } from '../lib/handler.js';
import { tracer } from '../lib/powertools.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { auditResult, secretAges } from './audit.js';

const env = readConfig(
  z.object({ ENVIRONMENT: envField.environment, NAME_PREFIX: envField.text, TOPIC_ARN: envField.arn, MAX_AGE_DAYS: envField.positiveInt }),
);
const secrets = tracer.captureAWSv3Client(new SecretsManagerClient({}));
const sns = tracer.captureAWSv3Client(new SNSClient({}));

/** The daily audit: publishes one result naming every secret older than the rotation period. */
export async function lambdaHandler(): Promise<{ stale: number }> {
  const startedAt = new Date();
  const ages = await secretAges(secrets, env.NAME_PREFIX, startedAt);
  const result = auditResult(ages, env.ENVIRONMENT, env.MAX_AGE_DAYS, startedAt, new Date());
  await publishOpsResult(sns, env.TOPIC_ARN, result);
  return { stale: ages.filter((a) => a.ageDays > env.MAX_AGE_DAYS).length };
}

export const handler = opsHandler(lambdaHandler);
