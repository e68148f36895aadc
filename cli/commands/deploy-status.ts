import { ECSClient } from '@aws-sdk/client-ecs';
import type { EnvironmentName } from '../../contracts/environments.js';
import { environmentConfig } from '../../infra/config.js';
import { deployStatus, formatStatus } from '../release.js';
import { type RegisterCommand, environment } from './context.js';

/** `fhops deploy-status --env <env>`: what each service runs (task definition, image, commit, deployer) and its last smoke-test verdict. */
export const registerDeployStatus: RegisterCommand = (program, context) => {
  program
    .command('deploy-status')
    .description('what runs where: task definition, image, commit, who deployed it, and the last smoke-test verdict')
    .requiredOption('--env <env>', 'staging or production', environment)
    .action(async (options: { env: EnvironmentName }) => {
      const ecs = new ECSClient({ region: program.opts<{ region: string }>().region });
      for (const line of formatStatus(await deployStatus({ ecs, sfn: context.sfn() }, environmentConfig(options.env)))) console.log(line);
    });
};
