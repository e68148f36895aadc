import * as z from 'zod/mini';
import type { ScalingLimits } from '../../contracts/scaling.js';
import type { WorkflowName } from '../../contracts/workflows.js';
import { ENVIRONMENTS, SERVICES } from '../../contracts/environments.js';

const environment = z.enum(ENVIRONMENTS, { error: 'environment must be staging or production' });
const service = z.enum(SERVICES, { error: 'service must be frontend, backend or worker' });
const count = (name: string, ...bounds: z.core.$ZodCheck<number>[]) =>
  z.coerce.number({ error: `${name} must be a whole number` }).check(z.int({ error: `${name} must be a whole number` }), ...bounds);

export type OpsCommand =
  | { readonly name: 'help' }
  | { readonly name: 'status'; readonly environment: z.infer<typeof environment> }
  | {
      readonly name: 'scale';
      readonly environment: z.infer<typeof environment>;
      readonly service: z.infer<typeof service>;
      readonly min: number;
      readonly max: number;
      readonly durationMinutes: number;
      readonly reason: string;
    }
  | {
      readonly name: 'scale-revert';
      readonly environment: z.infer<typeof environment>;
      readonly service: z.infer<typeof service>;
      readonly reason: string;
    }
  | {
      readonly name: 'rollback';
      readonly environment: z.infer<typeof environment>;
      readonly service: z.infer<typeof service>;
      readonly reason: string;
    }
  | { readonly name: 'verify-backups' | 'restore-drill' | 'failover-drill' | 'dr-simulation'; readonly environment: z.infer<typeof environment> };

/** An operator typed something we cannot act on; the message says how to type it. Nothing was changed. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/** The command list, as typed in this environment's Slack app (`/ops` in production, `/ops-staging` in staging). */
export function usage(slash = '/ops'): string {
  return [
    `\`${slash} help\`: this list`,
    `\`${slash} status <env>\`: workflows running now`,
    `\`${slash} scale <env> <service> <min> <max> <minutes> <reason>\`: override autoscaling bounds for a while`,
    `\`${slash} scale-revert <env> <service> [reason]\`: end an override now, back to the baseline`,
    `\`${slash} verify-backups <env>\`: run the backup verification now`,
    `\`${slash} restore-drill <env>\`: restore the latest backup to a temporary instance, verify, delete it`,
    `\`${slash} failover-drill <env>\`: force database and cache failover and measure recovery`,
    `\`${slash} rollback <env> <service> [reason]\`: roll a service back to the task definition its latest release replaced`,
    `\`${slash} dr-simulation <env>\`: recover the platform in the DR region from its replicated backups, measure RTO and data loss, tear it down`,
    '`<env>` is staging or production; in production, scale, scale-revert, failover-drill, rollback and dr-simulation need a second person to approve.',
  ].join('\n');
}

function parse<T>(schema: z.ZodMiniType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new CommandError(result.error.issues.map((issue) => issue.message).join('; '));
  return result.data;
}

function expectArgs(words: readonly string[], atLeast: number, usage: string): void {
  if (words.length < atLeast) throw new CommandError(`Not enough arguments. Usage: ${usage}`);
}

/**
 * Parses the text after the slash command (`slash`, as usage messages quote it) into a command, checking every number
 * against the limits before anything starts.
 */
export function parseCommand(text: string, limits: ScalingLimits, slash = '/ops'): OpsCommand {
  const [first = 'help', ...args] = text.trim().split(/\s+/).filter((word) => word.length > 0);
  const verb = first.toLowerCase();
  switch (verb) {
    case 'help':
      return { name: 'help' };
    case 'status':
      expectArgs(args, 1, `\`${slash} status <env>\``);
      return { name: 'status', environment: parse(environment, args[0]) };
    case 'verify-backups':
    case 'restore-drill':
    case 'failover-drill':
    case 'dr-simulation':
      expectArgs(args, 1, `\`${slash} ${verb} <env>\``);
      return { name: verb as 'verify-backups' | 'restore-drill' | 'failover-drill' | 'dr-simulation', environment: parse(environment, args[0]) };
    case 'scale-revert':
      expectArgs(args, 2, `\`${slash} scale-revert <env> <service> [reason]\``);
      return {
        name: 'scale-revert',
        environment: parse(environment, args[0]),
        service: parse(service, args[1]),
        reason: args.slice(2).join(' ') || 'early revert requested from Slack',
      };
    case 'rollback':
      expectArgs(args, 2, `\`${slash} rollback <env> <service> [reason]\``);
      return {
        name: 'rollback',
        environment: parse(environment, args[0]),
        service: parse(service, args[1]),
        reason: args.slice(2).join(' ') || 'rollback requested',
      };
    case 'scale': {
      expectArgs(args, 6, `\`${slash} scale <env> <service> <min> <max> <minutes> <reason>\``);
      const svc = parse(service, args[1]);
      const ceiling = limits.services[svc].overrideMaxCeiling;
      const min = parse(count('min', z.gte(1, 'min must be at least 1')), args[2]);
      const max = parse(count('max', z.lte(ceiling, `max must be at most ${ceiling} for ${svc}`)), args[3]);
      if (min > max) throw new CommandError(`min (${min}) must not exceed max (${max})`);
      const durationMinutes = parse(
        count('minutes', z.gte(1, 'minutes must be at least 1'), z.lte(limits.maxDurationMinutes, `minutes must be at most ${limits.maxDurationMinutes}`)),
        args[4],
      );
      return {
        name: 'scale',
        environment: parse(environment, args[0]),
        service: svc,
        min,
        max,
        durationMinutes,
        reason: args.slice(5).join(' '),
      };
    }
    default:
      throw new CommandError(`Unknown command \`${verb}\`. Commands:\n${usage(slash)}`);
  }
}

/** The workflows `/ops` starts: the Slack ingress may start these and no other. */
export const SLACK_WORKFLOWS = ['backup-verification', 'restore-drill', 'failover-drill', 'scaling-override', 'rollback', 'dr-simulation'] as const satisfies readonly WorkflowName[];

export type SlackWorkflow = (typeof SLACK_WORKFLOWS)[number];

export interface WorkflowStart {
  readonly workflow: SlackWorkflow;
  readonly input: Record<string, unknown>;
}

/** What a command starts: the workflow and its input, as the state machine expects it (and as an approval binds it). */
export function workflowFor(command: OpsCommand, requestedBy: string, approvedBy?: string): WorkflowStart | undefined {
  const approval = approvedBy ? { approvedBy } : {};
  switch (command.name) {
    case 'scale':
      return {
        workflow: 'scaling-override',
        input: {
          environment: command.environment,
          service: command.service,
          min: command.min,
          max: command.max,
          durationMinutes: command.durationMinutes,
          reason: command.reason,
          requestedBy,
          ...approval,
        },
      };
    case 'scale-revert':
      return {
        workflow: 'scaling-override',
        input: { action: 'revert', environment: command.environment, service: command.service, reason: command.reason, requestedBy, ...approval },
      };
    case 'verify-backups':
      return { workflow: 'backup-verification', input: { environment: command.environment, requestedBy } };
    case 'restore-drill':
      return { workflow: 'restore-drill', input: { environment: command.environment, requestedBy } };
    case 'failover-drill':
      return { workflow: 'failover-drill', input: { environment: command.environment, requestedBy, ...approval } };
    case 'rollback':
      return { workflow: 'rollback', input: { environment: command.environment, service: command.service, reason: command.reason, requestedBy, ...approval } };
    case 'dr-simulation':
      return { workflow: 'dr-simulation', input: { environment: command.environment, requestedBy, ...approval } };
    case 'help':
    case 'status':
      return undefined;
  }
}

/** Commands whose workflow verifies a second person's recorded approval in this environment (config.fourEyes). */
export function needsApproval(command: OpsCommand, fourEyesWorkflows: readonly string[]): boolean {
  const start = workflowFor(command, 'nobody');
  return start !== undefined && fourEyesWorkflows.includes(start.workflow);
}

/** One line an operator reads back: what the command will do. */
export function describeCommand(command: OpsCommand): string {
  switch (command.name) {
    case 'scale':
      return `scale ${command.service} in ${command.environment} to min ${command.min}, max ${command.max} for ${command.durationMinutes} min (${command.reason})`;
    case 'scale-revert':
      return `revert the scaling override of ${command.service} in ${command.environment} to its baseline`;
    case 'rollback':
      return `roll ${command.service} in ${command.environment} back to the task definition its latest release replaced (${command.reason})`;
    case 'status':
      return `list the workflows running in ${command.environment}`;
    case 'dr-simulation':
      return `run the DR simulation of ${command.environment}: restore the database and file system in the DR region, start one backend task there, measure, tear it all down`;
    case 'help':
      return 'show the commands';
    default:
      return `run the ${command.name} in ${command.environment}`;
  }
}
