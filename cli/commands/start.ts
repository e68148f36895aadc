import type { EnvironmentName } from '../../contracts/environments.js';
import { isWorkflowName } from '../../contracts/workflows.js';
import { CommandError } from '../../functions/slack-ops/commands.js';
import { environmentConfig } from '../../infra/config.js';
import { describeStart, requestExecutionName, startWorkflow } from '../aws-workflows.js';
import { type RegisterCommand, environment, follow, requester } from './context.js';

/** `fhops start <workflow> --env <env> --input <json>`: any workflow, with the input given. */
export const registerStart: RegisterCommand = (program, context) => {
  program
    .command('start <workflow>')
    .description('start any workflow with a JSON input and follow it')
    .requiredOption('--env <env>', 'staging or production', environment)
    .option('--input <json>', 'execution input', '{}')
    .option('--name <name>', 'execution name (the same name never starts twice)')
    .option('--no-follow', 'start and return without following')
    .action(async (workflow: string, options: { env: EnvironmentName; input: string; name?: string; follow: boolean }) => {
      if (!isWorkflowName(workflow)) throw new CommandError(`Unknown workflow ${workflow}`);
      const input = { environment: options.env, requestedBy: requester(), ...(JSON.parse(options.input) as Record<string, unknown>) };
      const name = options.name ?? requestExecutionName(requester(), workflow, input, new Date());
      const started = await startWorkflow(context.sfn(), environmentConfig(options.env).prefix, workflow, name, input);
      console.log(describeStart(started, workflow));
      if (options.follow) await follow(context.sfn(), started.executionArn, 60);
    });
};
