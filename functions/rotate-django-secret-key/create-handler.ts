import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { logger } from '../lib/powertools.js';
import { tracer } from '../lib/tracer.js';
import { parseRotationEvent } from '../lib/rotation-contract.js';
import { rotateDjangoSecretKey } from './rotation.js';

const environmentSchema = z.object({
  KEY_LENGTH: envField.positiveInt,
  EXCLUDE_CHARACTERS: z.string().default(''),
  SESSION_MAX_AGE_SECONDS: envField.positiveInt,
});

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly secrets: SecretsManagerClient; readonly now: () => Date }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const { secrets, now } = { secrets: tracer.captureAWSv3Client(new SecretsManagerClient({})), now: () => new Date(), ...overrides.clients };

  /** The Secrets Manager rotation contract: a failed step throws, the error names why and never contains a key. */
  async function lambdaHandler(event: unknown): Promise<void> {
    await rotateDjangoSecretKey(parseRotationEvent(event), {
      secrets,
      keyLength: env.KEY_LENGTH,
      excludeCharacters: env.EXCLUDE_CHARACTERS,
      sessionMaxAgeSeconds: env.SESSION_MAX_AGE_SECONDS,
      now,
      log: (message, details) => logger.info(message, details ?? {}),
    });
  }

  return opsHandler(lambdaHandler, { correlationIdPath: 'ClientRequestToken', tracer });
}
