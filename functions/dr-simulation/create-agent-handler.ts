import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import type { ProbeFetch } from '../lib/health-probe.js';
import { connectAsMaster } from '../lib/master-credentials.js';
import { tracer } from '../lib/tracer.js';
import { runAgentAction } from './agent.js';

const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  MASTER_SECRET_ID: envField.text,
  DATABASE_NAME: envField.text,
  DRILL_SCHEMA: envField.text,
  CRITICAL_TABLES: envField.list,
  PROBE_TIMEOUT_SECONDS: envField.positiveInt,
});

/** The DR agent's handler (in the DR VPC): Lambda's environment and real clients unless `overrides` gives others. */
export function createAgentHandler(overrides: HandlerOverrides<{ readonly secrets: SecretsManagerClient; readonly fetch: ProbeFetch; readonly now: () => Date }> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const { secrets, fetch, now } = {
    // The replica of the master secret in this (the DR) region, through the VPC endpoint.
    secrets: tracer.captureAWSv3Client(new SecretsManagerClient({})),
    fetch: globalThis.fetch as ProbeFetch,
    now: () => new Date(),
    ...overrides.clients,
  };
  return opsHandler((event: unknown) =>
    runAgentAction(event, {
      fetch,
      now,
      settings: { schema: env.DRILL_SCHEMA, criticalTables: env.CRITICAL_TABLES, probeTimeoutSeconds: env.PROBE_TIMEOUT_SECONDS },
      connect: async (host, port) => (await connectAsMaster({ secrets }, env.MASTER_SECRET_ID, { host, port, database: env.DATABASE_NAME })).client,
    }),
  );
}
