import { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { logger } from '../lib/powertools.js';
import { tracer } from '../lib/tracer.js';
import { startSmokeTest } from './start.js';

const environmentSchema = z.object({ STATE_MACHINE_ARN: envField.arn });

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly sfn: SFNClient }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const { sfn } = { sfn: tracer.captureAWSv3Client(new SFNClient({})), ...overrides.clients };
  return opsHandler(
    async (event: unknown) => {
      const started = await startSmokeTest(sfn, env.STATE_MACHINE_ARN, event);
      logger.info(started.duplicate ? 'Duplicate event: this deployment\'s smoke test was already started' : 'Smoke test started', { ...started });
      return started;
    },
    { correlationIdPath: 'id', tracer },
  );
}
