import { RDSClient } from '@aws-sdk/client-rds';
import { SNSClient } from '@aws-sdk/client-sns';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { logger, metrics } from '../lib/powertools.js';
import { tracer } from '../lib/tracer.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { type SweeperConfig, type SweptInstance, sweepDrillInstances, sweepResult } from './sweep.js';

const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  AWS_REGION: envField.text,
  DRILL_INSTANCE_PREFIX: envField.text,
  MAX_AGE_HOURS: envField.positiveInt,
  TOPIC_ARN: envField.arn,
});

/** Sweeps, counts, and reports only when it found something (a quiet day posts nothing). */
export async function sweepAndReport(deps: { rds: RDSClient; config: SweeperConfig; now: () => Date; publish: (result: OpsResultInput) => Promise<unknown> }): Promise<{ swept: SweptInstance[] }> {
  const startedAt = deps.now();
  const swept = await sweepDrillInstances(deps.rds, deps.config, startedAt);
  metrics.addMetric('StaleDrillInstances', MetricUnit.Count, swept.length);
  if (swept.length === 0) {
    logger.info('No stale restore-drill instances');
    return { swept };
  }
  await deps.publish(sweepResult(swept, deps.config, startedAt, deps.now()));
  return { swept };
}

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<{ readonly rds: RDSClient; readonly sns: SNSClient; readonly now: () => Date }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const config: SweeperConfig = { environment: env.ENVIRONMENT, region: env.AWS_REGION, drillInstancePrefix: env.DRILL_INSTANCE_PREFIX, maxAgeHours: env.MAX_AGE_HOURS };
  const { rds, sns, now } = {
    rds: tracer.captureAWSv3Client(new RDSClient({})),
    sns: tracer.captureAWSv3Client(new SNSClient({})),
    now: () => new Date(),
    ...overrides.clients,
  };
  return opsHandler(() => sweepAndReport({ rds, config, now, publish: (result) => publishOpsResult(sns, env.TOPIC_ARN, result) }), { tracer });
}
