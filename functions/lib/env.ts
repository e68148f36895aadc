import * as z from 'zod';
import { ENVIRONMENTS } from '../../contracts/environments.js';
import { scalingLimitsSchema } from '../../contracts/scaling.js';

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
export function readConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      return env[name] === undefined ? `${name} is not set` : `${name} is malformed: ${issue.message}`;
    });
    throw new ConfigError(`Invalid function configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** A JSON document (the ops stack writes structured settings so); `.pipe()` a schema to check its shape. */
const json = z.string().transform((value, ctx) => {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
});

/** Common field types for `readConfig` schemas. */
export const envField = {
  json,
  /** `SCALING_LIMITS`: the one shape of contracts/scaling.ts, set from infra/config.ts. */
  scalingLimits: json.pipe(scalingLimitsSchema),
  arn: z.string().startsWith('arn:'),
  text: z.string().min(1),
  int: z.coerce.number().int(),
  positiveInt: z.coerce.number().int().positive(),
  bool: z.enum(['true', 'false']).transform((v) => v === 'true'),
  list: z.string().transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0)),
  environment: z.enum(ENVIRONMENTS),
};
