import * as z from 'zod';
import { envField } from '../lib/env.js';

const json = <T extends z.ZodType>(name: string, schema: T) =>
  z.string().transform((value, ctx): z.infer<T> => {
    try {
      return schema.parse(JSON.parse(value));
    } catch {
      ctx.addIssue({ code: 'custom', message: `${name} must be JSON of the documented shape` });
      return z.NEVER;
    }
  });

const named = z.array(z.object({ name: z.string().min(1), url: z.url({ protocol: /^https$/ }) })).min(1);

/** The smoke-test function's environment, as infra/workflows set it. */
export const smokeTestEnvironment = z.object({
  ENVIRONMENT: envField.environment,
  AWS_REGION: envField.text,
  ACCOUNT_ID: z.string().regex(/^\d{12}$/),
  CLUSTER_NAME: envField.text,
  SERVICE_PREFIX: envField.text,
  /** JSON `[{ name, url }]`: the health endpoints through the public endpoint. */
  HEALTH_ENDPOINTS: json('HEALTH_ENDPOINTS', named),
  /** JSON `[{ name, arn }]`: the target groups whose health is read. */
  TARGET_GROUPS: json('TARGET_GROUPS', z.array(z.object({ name: z.string().min(1), arn: z.string().min(1) }))),
  ALARM_NAMES: envField.list,
  ROUNDS: envField.positiveInt,
  POLL_SECONDS: envField.positiveInt,
  MAX_CONSECUTIVE_FAILURES: envField.positiveInt,
  PROBE_TIMEOUT_SECONDS: envField.positiveInt,
  ROLLBACK: z.enum(['automatic', 'approval']),
  /** This environment's Slack command (`/ops`, `/ops-staging`): how the verdict says to ask for a rollback. */
  SLACK_COMMAND: envField.text,
  TOPIC_ARN: envField.arn,
});
