import { CommandError, describeCommand, needsApproval, parseCommand, workflowFor } from '../../functions/slack-ops/commands.js';
import { type EnvironmentName, SERVICES } from '../../contracts/environments.js';
import { environmentConfig } from '../../infra/config.js';
import { describeStart, requestExecutionName, startWorkflow } from '../aws-workflows.js';
import { type CliContext, type RegisterCommand, environment, follow, requester } from './context.js';

function limitsFor(env: EnvironmentName) {
  const config = environmentConfig(env);
  return {
    maxCeiling: Object.fromEntries(SERVICES.map((s) => [s, config.services[s].overrideMaxCeiling])) as Record<(typeof SERVICES)[number], number>,
    maxDurationMinutes: config.remediation.maxOverrideMinutes,
  };
}

/** Runs an /ops-style command on AWS: validated, then started and followed. */
async function runOpsCommand(context: CliContext, text: string, options: { follow: boolean; requestedBy: string }): Promise<void> {
  const env = environment(text.split(/\s+/)[1] ?? '');
  const command = parseCommand(text, limitsFor(env));
  if (needsApproval(command, environmentConfig(env).fourEyes.workflows)) {
    throw new CommandError(`${describeCommand(command)} needs a second person's approval: ask for it with \`/ops ${text}\` in the ${env} ops channel. Nothing was changed.`);
  }
  const start = workflowFor(command, options.requestedBy);
  if (!start) throw new CommandError(`${command.name} does not start a workflow`);
  const name = requestExecutionName(options.requestedBy, start.workflow, start.input, new Date());
  const started = await startWorkflow(context.sfn(), environmentConfig(env).prefix, start.workflow, name, start.input);
  console.log(describeStart(started, `${start.workflow}: ${describeCommand(command)}`));
  if (options.follow) await follow(context.sfn(), started.executionArn, 60);
}

/** The verbs of the Slack `/ops` command, validated by the same parser: `fhops scale production backend 4 12 60 launch`. */
export const registerOpsVerbs: RegisterCommand = (program, context) => {
  const opsVerb = (verb: string, args: string, description: string) => {
    const cmd = program
      .command(`${verb} ${args}`)
      .description(description)
      .option('--no-follow', 'start and return without following')
      .option('--requested-by <name>', 'who asks (defaults to your login)', requester());
    cmd.action(async (...values: unknown[]) => {
      const positional = values.slice(0, -2).flat().map(String);
      const options = values[values.length - 2] as { follow: boolean; requestedBy: string };
      await runOpsCommand(context, [verb, ...positional].join(' '), options);
    });
  };

  opsVerb('scale', '<env> <service> <min> <max> <minutes> <reason...>', 'override autoscaling bounds for a while; reverts by itself');
  opsVerb('scale-revert', '<env> <service> [reason...]', 'end a scaling override now, back to the baseline');
  opsVerb('verify-backups', '<env>', 'run the backup verification now');
  opsVerb('restore-drill', '<env>', 'restore the latest backup to a temporary instance, verify it, delete it');
  opsVerb('failover-drill', '<env>', 'force database and cache failover and measure recovery');
};
