import { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { writeAudit } from '../lib/audit.js';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { tracer } from '../lib/tracer.js';
import { auditExecutionChange } from './record.js';

const environmentSchema = z.object({ ENVIRONMENT: envField.environment, AUDIT_BUCKET: envField.text });

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly s3: S3Client }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const { s3 } = { s3: tracer.captureAWSv3Client(new S3Client({})), ...overrides.clients };
  return opsHandler(
    (event: unknown) =>
      auditExecutionChange(event, {
        environment: env.ENVIRONMENT,
        append: async (entries) => void (await writeAudit(s3, env.AUDIT_BUCKET, entries)),
      }),
    { correlationIdPath: 'id', tracer },
  );
}
