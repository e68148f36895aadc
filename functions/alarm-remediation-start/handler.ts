import { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { opsHandler } from '../lib/handler.js';
import { logger, tracer } from '../lib/powertools.js';
import { startRemediation } from './start.js';

const env = readConfig(z.object({ STATE_MACHINE_ARN: envField.arn }));
const sfn = tracer.captureAWSv3Client(new SFNClient({}));

export const handler = opsHandler(
  async (event: unknown) => {
    const started = await startRemediation(sfn, env.STATE_MACHINE_ARN, event);
    logger.info(started.duplicate ? 'Duplicate event: its remediation was already started' : 'Remediation started', { ...started });
    return started;
  },
  { correlationIdPath: 'id' },
);
