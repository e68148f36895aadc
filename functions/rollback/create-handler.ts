import { ECSClient } from '@aws-sdk/client-ecs';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { tracer } from '../lib/tracer.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { type RollbackClients, runRollbackAction } from './actions.js';

const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  CLUSTER_NAME: envField.text,
  SERVICE_PREFIX: envField.text,
  TOPIC_ARN: envField.arn,
});

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<RollbackClients & { readonly sns: SNSClient }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const { sns, ...clients } = {
    ecs: tracer.captureAWSv3Client(new ECSClient({})),
    sns: tracer.captureAWSv3Client(new SNSClient({})),
    now: () => new Date(),
    ...overrides.clients,
  };
  return opsHandler(
    (event: unknown) =>
      runRollbackAction(event, {
        clients,
        settings: { environment: env.ENVIRONMENT, clusterName: env.CLUSTER_NAME, servicePrefix: env.SERVICE_PREFIX },
        publish: (result) => publishOpsResult(sns, env.TOPIC_ARN, result),
      }),
    { correlationIdPath: 'executionArn', tracer },
  );
}
