import { InvalidArgumentError } from 'commander';
import { SERVICES, type EnvironmentName, type ServiceName } from '../../contracts/environments.js';
import { type RegisterCommand, environment } from './context.js';
import { runOpsCommand } from './ops-verbs.js';

const serviceArgument = (value: string): ServiceName => {
  const found = SERVICES.find((name) => name === value);
  if (!found) throw new InvalidArgumentError(`must be one of ${SERVICES.join(', ')}`);
  return found;
};

/** The `/ops` text of a rollback: the rollback workflow's input is what `/ops rollback` starts (and an approval binds). */
export const rollbackCommandText = (service: ServiceName, env: EnvironmentName, reason: string): string => `rollback ${env} ${service} ${reason}`.trim();

/**
 * `fhops rollback <service> --env <env>`: starts the rollback workflow (back to the task definition the latest release
 * replaced, read back from ECS) and follows it. In production it needs a second person's approval: it is asked for in
 * the ops channel as the caller's AWS identity, and the approval path starts it; the CLI never starts it alone.
 */
export const registerRollback: RegisterCommand = (program, context) => {
  program
    .command('rollback')
    .description('roll a service back to the task definition its latest release replaced (production: a second person approves)')
    .argument('<service>', SERVICES.join(', '), serviceArgument)
    .requiredOption('--env <env>', 'staging or production', environment)
    .option('--reason <text>', 'why, for the result and the audit trail', 'rollback requested from fhops')
    .option('--no-follow', 'start and return without following')
    .option('--requested-by <name>', 'who asks, in staging (defaults to your login; production asks as your AWS identity)')
    .action(async (service: ServiceName, options: { env: EnvironmentName; reason: string; follow: boolean; requestedBy?: string }) => {
      await runOpsCommand(context, rollbackCommandText(service, options.env, options.reason), { follow: options.follow, requestedBy: options.requestedBy });
    });
};
