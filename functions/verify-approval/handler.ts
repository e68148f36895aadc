import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import * as z from 'zod';
import { writeAudit } from '../lib/audit.js';
import { envField, readConfig } from '../lib/env.js';
import { opsHandler } from '../lib/handler.js';
import { tracer } from '../lib/powertools.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { parsePolicy } from '../slack-ops/authorize.js';
import { type VerifyDependencies, verifyApproval } from './verify.js';

const env = readConfig(
  z.object({
    ENVIRONMENT: envField.environment,
    TABLE_NAME: envField.text,
    AUTHORIZATION_PARAMETER: envField.text,
    AUTOMATED_STARTERS: envField.list,
    AUDIT_BUCKET: envField.text,
    TOPIC_ARN: envField.arn,
  }),
);

/** Built with its dependencies; tests and rehearsals pass their own clients, never patching them afterwards. */
export function createHandler(overrides: Partial<VerifyDependencies> = {}) {
  const s3 = overrides.audit ? undefined : tracer.captureAWSv3Client(new S3Client({}));
  const sns = overrides.publish ? undefined : tracer.captureAWSv3Client(new SNSClient({}));
  const deps: VerifyDependencies = {
    ddb: overrides.ddb ?? tracer.captureAWSv3Client(new DynamoDBClient({})),
    sfn: overrides.sfn ?? tracer.captureAWSv3Client(new SFNClient({})),
    settings: overrides.settings ?? { environment: env.ENVIRONMENT, tableName: env.TABLE_NAME, automatedStarters: env.AUTOMATED_STARTERS },
    // Never cached: a person removed from the roster is refused from the next execution on.
    policy: overrides.policy ?? (async () => parsePolicy((await getParameter(env.AUTHORIZATION_PARAMETER, { forceFetch: true })) ?? '{}')),
    publish: overrides.publish ?? ((result) => publishOpsResult(sns as SNSClient, env.TOPIC_ARN, result)),
    audit: overrides.audit ?? (async (entries) => void (await writeAudit(s3 as S3Client, env.AUDIT_BUCKET, entries))),
    now: overrides.now ?? (() => new Date()),
  };
  return opsHandler((event: unknown) => verifyApproval(event, deps), { correlationIdPath: 'executionArn' });
}

export const handler = createHandler();
