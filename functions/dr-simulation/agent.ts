import type pg from 'pg';
import * as z from 'zod';
import { type ProbeFetch, probeOnce } from '../lib/health-probe.js';
import { isTransient } from '../lib/transient-error.js';
import { inspectRestoredDatabase } from '../restore-drill/verify.js';
import { classifyAwsError } from '../restore-drill/errors.js';
import { SimulationError } from './errors.js';
import type { AgentAnswer } from './simulation.js';

/**
 * The part of the simulation that runs inside the DR network (the restored database and the backend task have only
 * private addresses there, and the DR VPC has no route to the primary region): one probe of `/api/health` and, when
 * asked, the verification SQL on the restored database.
 */

export interface AgentDependencies {
  readonly fetch: ProbeFetch;
  /** Connects as the master user (the replicated master secret) to the restored instance. */
  readonly connect: (host: string, port: number) => Promise<pg.Client>;
  readonly settings: { readonly schema: string; readonly criticalTables: readonly string[]; readonly probeTimeoutSeconds: number };
  readonly now: () => Date;
}

const privateHost = z.string().regex(/^(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.)[\d.]+$|\.rds\.amazonaws\.com$/, 'a private address in the DR VPC or an RDS endpoint');

export const agentEventSchema = z.object({
  action: z.literal('probeAndVerify'),
  // Only plain HTTP to a private address: the agent reaches nothing else.
  healthUrl: z.url({ protocol: /^http$/ }).refine((url) => privateHost.safeParse(new URL(url).hostname).success, 'the backend task\'s private address'),
  database: z.object({ host: privateHost, port: z.number().int().positive() }).optional(),
});

export async function runAgentAction(event: unknown, deps: AgentDependencies): Promise<AgentAnswer> {
  const parsed = agentEventSchema.safeParse(event);
  if (!parsed.success) throw new SimulationError('InvalidInput', `Not a DR agent request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}`);
  const { healthUrl, database } = parsed.data;
  const probe = await probeOnce(deps.fetch, healthUrl, deps.settings.probeTimeoutSeconds);
  if (!database) return probe;
  let client: pg.Client;
  try {
    client = await deps.connect(database.host, database.port);
  } catch (error) {
    if (isTransient(error)) throw classifyAwsError(error, 'reading the master secret for the verification');
    return { ...probe, verification: { passed: false, problems: [`cannot connect to the restored database: ${error instanceof Error ? error.message : String(error)}`], tables: [], verifiedAt: deps.now().toISOString() } };
  }
  try {
    const outcome = await inspectRestoredDatabase(client, deps.settings);
    return { ...probe, verification: { ...outcome, verifiedAt: deps.now().toISOString() } };
  } finally {
    await client.end().catch(() => undefined);
  }
}
