import { ECSClient } from '@aws-sdk/client-ecs';
import { InvalidArgumentError } from 'commander';
import { SERVICES, type EnvironmentName, type ServiceName } from '../../contracts/environments.js';
import { environmentConfig } from '../../infra/config.js';
import { RollbackRefused, rollbackService } from '../release.js';
import { type RegisterCommand, environment } from './context.js';

const serviceArgument = (value: string): ServiceName => {
  const found = SERVICES.find((name) => name === value);
  if (!found) throw new InvalidArgumentError(`must be one of ${SERVICES.join(', ')}`);
  return found;
};

/** `fhops rollback <service> --env <env>`: back to the task definition the latest release replaced (staging; production refuses). */
export const registerRollback: RegisterCommand = (program) => {
  program
    .command('rollback')
    .description('roll a service back to the task definition its latest deployment replaced (staging; production needs two people)')
    .argument('<service>', SERVICES.join(', '), serviceArgument)
    .requiredOption('--env <env>', 'staging or production', environment)
    .action(async (service: ServiceName, options: { env: EnvironmentName }) => {
      const ecs = new ECSClient({ region: program.opts<{ region: string }>().region });
      try {
        const { release, rolledBack } = await rollbackService(ecs, environmentConfig(options.env), service, () => new Date());
        console.log(
          rolledBack.alreadyRolledBack
            ? `${release.serviceName} already runs ${rolledBack.toTaskDefinition}; nothing changed.`
            : `${release.serviceName} now runs ${rolledBack.toTaskDefinition} (deployment ${rolledBack.deploymentId ?? '?'}; was ${rolledBack.fromTaskDefinition}). Its smoke test follows: fhops deploy-status --env ${options.env}`,
        );
      } catch (error) {
        if (!(error instanceof RollbackRefused)) throw error;
        console.error(error.message);
        process.exitCode = 1;
      }
    });
};
