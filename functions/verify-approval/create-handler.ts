import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import * as z from 'zod';
import { writeAudit } from '../lib/audit.js';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { tracer } from '../lib/tracer.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { parsePolicy } from '../slack-ops/authorize.js';
import { type VerifyDependencies, verifyApproval } from './verify.js';

const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  TABLE_NAME: envField.text,
  AUTHORIZATION_PARAMETER: envField.text,
  AUTOMATED_STARTERS: envField.list,
  AUDIT_BUCKET: envField.text,
  TOPIC_ARN: envField.arn,
});

interface VerifyClients {
  readonly ddb: DynamoDBClient;
  readonly sfn: SFNClient;
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly now: () => Date;
}

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<VerifyClients> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const clients: VerifyClients = {
    ddb: tracer.captureAWSv3Client(new DynamoDBClient({})),
    sfn: tracer.captureAWSv3Client(new SFNClient({})),
    s3: tracer.captureAWSv3Client(new S3Client({})),
    sns: tracer.captureAWSv3Client(new SNSClient({})),
    now: () => new Date(),
    ...overrides.clients,
  };
  const deps: VerifyDependencies = {
    ddb: clients.ddb,
    sfn: clients.sfn,
    settings: { environment: env.ENVIRONMENT, tableName: env.TABLE_NAME, automatedStarters: env.AUTOMATED_STARTERS },
    // Never cached: a person removed from the roster is refused from the next execution on.
    policy: async () => parsePolicy((await getParameter(env.AUTHORIZATION_PARAMETER, { forceFetch: true })) ?? '{}'),
    publish: (result) => publishOpsResult(clients.sns, env.TOPIC_ARN, result),
    audit: async (entries) => void (await writeAudit(clients.s3, env.AUDIT_BUCKET, entries)),
    now: clients.now,
  };
  return opsHandler((event: unknown) => verifyApproval(event, deps), { correlationIdPath: 'executionArn', tracer });
}
