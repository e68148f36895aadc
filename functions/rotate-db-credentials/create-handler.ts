import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { connectWithSecret } from '../lib/postgres.js';
import { logger } from '../lib/powertools.js';
import { tracer } from '../lib/tracer.js';
import { parseRotationEvent } from '../lib/rotation-contract.js';
import { rotateDatabaseCredentials } from './rotation.js';

const environmentSchema = z.object({
  PASSWORD_LENGTH: envField.positiveInt,
  EXCLUDE_CHARACTERS: z.string().default(''),
  APPLICATION_SCHEMA: envField.text,
  MASTER_SECRET_ARN: envField.arn,
});
/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly secrets: SecretsManagerClient }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  // Reaches Secrets Manager through the VPC interface endpoint (private DNS), the database on 5432.
  const { secrets } = { secrets: tracer.captureAWSv3Client(new SecretsManagerClient({})), ...overrides.clients };

  /**
   * The Secrets Manager rotation contract: a failed step must throw, so Secrets Manager marks the rotation failed
   * and retries it; the error says why and never contains a password.
   */
  async function lambdaHandler(event: unknown): Promise<void> {
    await rotateDatabaseCredentials(parseRotationEvent(event), {
      secrets,
      connect: connectWithSecret,
      passwordLength: env.PASSWORD_LENGTH,
      excludeCharacters: env.EXCLUDE_CHARACTERS,
      applicationSchema: env.APPLICATION_SCHEMA,
      masterSecretArn: env.MASTER_SECRET_ARN,
      log: (message, details) => logger.info(message, details ?? {}),
    });
  }

  return opsHandler(lambdaHandler, { correlationIdPath: 'ClientRequestToken', tracer });
}
