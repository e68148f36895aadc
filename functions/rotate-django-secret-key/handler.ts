import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { opsHandler } from '../lib/handler.js';
import { logger, tracer } from '../lib/powertools.js';
import { parseRotationEvent } from '../lib/rotation-contract.js';
import { rotateDjangoSecretKey } from './rotation.js';

const env = readConfig(
  z.object({
    KEY_LENGTH: envField.positiveInt,
    EXCLUDE_CHARACTERS: z.string().default(''),
    SESSION_MAX_AGE_SECONDS: envField.positiveInt,
  }),
);
const secrets = tracer.captureAWSv3Client(new SecretsManagerClient({}));

/** The Secrets Manager rotation contract: a failed step throws, the error names why and never contains a key. */
export async function lambdaHandler(event: unknown): Promise<void> {
  await rotateDjangoSecretKey(parseRotationEvent(event), {
    secrets,
    keyLength: env.KEY_LENGTH,
    excludeCharacters: env.EXCLUDE_CHARACTERS,
    sessionMaxAgeSeconds: env.SESSION_MAX_AGE_SECONDS,
    now: () => new Date(),
    log: (message, details) => logger.info(message, details ?? {}),
  });
}

export const handler = opsHandler(lambdaHandler, { correlationIdPath: 'ClientRequestToken' });
