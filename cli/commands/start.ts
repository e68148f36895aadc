import type { EnvironmentName } from '../../contracts/environments.js';
import { WORKFLOWS, isWorkflowName } from '../../contracts/workflows.js';
import { environmentConfig } from '../../infra/config.js';
import { describeStart, requestExecutionName, startWorkflow } from '../aws-workflows.js';
import { UsageError, unknown } from '../errors.js';
import { type RegisterCommand, environment, follow, requester } from './context.js';

/** `--input`: a JSON object, or a usage error that quotes where it went wrong. */
export function parseInput(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--input is not valid JSON (${error instanceof Error ? error.message : String(error)}).`, `Give a JSON object in single quotes, e.g. --input '{"requestedBy":"ana"}'.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError('--input must be a JSON object.', `Give the fields by name, e.g. --input '{"requestedBy":"ana"}'.`);
  }
  return parsed as Record<string, unknown>;
}

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
      if (!isWorkflowName(workflow)) throw unknown('workflow', workflow, WORKFLOWS);
      if (environmentConfig(options.env).fourEyes.workflows.includes(workflow)) {
        // Its first state would refuse it anyway (no recorded approval): start nothing instead of a refused execution.
        throw new UsageError(
          `${workflow} in ${options.env} needs a second person's approval.`,
          'Ask for it with its verb (fhops scale, fhops scale-revert, fhops failover-drill, fhops rollback, fhops dr-simulation), which asks the ops channel as your AWS identity.',
        );
      }
      const input = { environment: options.env, requestedBy: requester(), ...parseInput(options.input) };
      const name = options.name ?? requestExecutionName(requester(), workflow, input, context.now());
      const started = await startWorkflow(context.sfn(), environmentConfig(options.env).prefix, workflow, name, input);
      console.log(describeStart(started, workflow));
      if (options.follow) await follow(context.sfn(), started.executionArn, 60);
    });
};
