import * as z from 'zod/mini';
import type * as core from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';
import { ENVIRONMENTS } from '../../contracts/environments.js';
import { scalingLimitsSchema } from '../../contracts/scaling.js';

// zod/mini (a fifth of classic zod's bundle and init, npm run bench) carries no messages of its own: English ones, as
// classic zod sets them, so that a bad variable is named with what is wrong with it.
z.config(en());

/** Thrown at init when the environment does not match what a function needs: names every bad variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Reads a function's configuration from the environment once, at module load.
 * Logic receives the parsed object and never reads `process.env` itself.
 */
export function readConfig<S extends core.$ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): core.output<S> {
  const parsed = z.safeParse(schema, env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      // A JSON variable's issue sits inside it (ROTATED_SECRETS, item 0, secretArn): name the variable, then where.
      const [name = '', ...inside] = issue.path.map(String);
      const where = inside.length > 0 ? ` at ${inside.join('.')}` : '';
      return env[name] === undefined ? `${name} is not set` : `${name} is malformed${where}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid function configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** A JSON document (the ops stack writes structured settings so); `z.pipe()` it into a schema to check its shape. */
const json = z.pipe(
  z.string(),
  z.transform((value: string, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.issues.push({ code: 'custom', message: 'not JSON', input: value });
      return z.NEVER;
    }
  }),
);

/** Common field types for `readConfig` schemas (zod/mini, usable in classic zod objects too). */
export const envField = {
  json,
  /** `SCALING_LIMITS`: the one shape of contracts/scaling.ts, set from infra/config.ts. */
  scalingLimits: z.pipe(json, scalingLimitsSchema),
  arn: z.string().check(z.startsWith('arn:')),
  text: z.string().check(z.minLength(1)),
  int: z.coerce.number().check(z.int()),
  positiveInt: z.coerce.number().check(z.int(), z.positive()),
  bool: z.pipe(z.enum(['true', 'false']), z.transform((v) => v === 'true')),
  list: z.pipe(
    z.string(),
    z.transform((v: string) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0)),
  ),
  environment: z.enum(ENVIRONMENTS),
};
