import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { Option } from 'commander';
import { CommandError, type OpsCommand, describeCommand, needsApproval, parseCommand, workflowFor } from '../../functions/slack-ops/commands.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import { environmentConfig, scalingLimits } from '../../infra/config.js';
import { ApprovalWaitEnded, requestApprovalFromCli, unstartedMessage } from '../approval-request.js';
import { describeStart, requestExecutionName, startWorkflow } from '../aws-workflows.js';
import { UsageError } from '../errors.js';
import { type CliContext, type RegisterCommand, environment, follow, requester } from './context.js';

/**
 * A command that needs two people: asked for as the caller's AWS identity, waited for, and once the approval path has
 * started it, followed. The CLI itself never starts it.
 */
async function requestAndFollow(context: CliContext, text: string, command: OpsCommand, env: EnvironmentName, follows: boolean): Promise<void> {
  const region = context.region();
  const config = environmentConfig(env);
  const outcome = await requestApprovalFromCli(
    {
      sts: new STSClient({ region }),
      ssm: new SSMClient({ region }),
      ddb: new DynamoDBClient({ region }),
      print: (line) => console.log(line),
      sleep: context.sleep,
      now: context.now,
    },
    config,
    text,
    command,
  );
  if (outcome.status !== 'approved') throw new ApprovalWaitEnded(unstartedMessage(outcome, config));
  console.log(`Approved by ${outcome.approvedBy}; the approval path started ${outcome.executionArn}`);
  if (follows) await follow(context.sfn(), outcome.executionArn, 60);
}

interface VerbOptions {
  readonly follow: boolean;
  readonly requestedBy?: string;
  readonly approvedBy?: string;
}

/** Runs an /ops-style command on AWS: validated, approved where the environment needs two people, started, followed (`fhops rollback` shares it). */
export async function runOpsCommand(context: CliContext, text: string, options: VerbOptions): Promise<void> {
  const env = environment(text.split(/\s+/)[1] ?? '');
  const command = parseCommand(text, scalingLimits(environmentConfig(env)));
  const twoPeople = needsApproval(command, environmentConfig(env).fourEyes.workflows);
  if (options.approvedBy !== undefined) {
    throw new UsageError(
      `--approved-by is gone: ${twoPeople ? 'this command asks the ops channel for a second person\'s approval as your AWS identity' : 'this command needs no approval'}.`,
      'Run it without --approved-by.',
    );
  }
  if (twoPeople) {
    if (options.requestedBy !== undefined) {
      throw new UsageError(`--requested-by is not taken here: ${describeCommand(command)} is asked for as your AWS identity.`, 'Run it without --requested-by.');
    }
    await requestAndFollow(context, text, command, env, options.follow);
    return;
  }
  const requestedBy = options.requestedBy ?? requester();
  const start = workflowFor(command, requestedBy);
  if (!start) throw new CommandError(`${command.name} does not start a workflow`);
  const name = requestExecutionName(requestedBy, start.workflow, start.input, context.now());
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
      .option('--requested-by <name>', 'who asks, for commands one person may run (defaults to your login); two-person ones ask as your AWS identity')
      // Gone: kept only to say so instead of commander's bare "unknown option".
      .addOption(new Option('--approved-by <name>').hideHelp());
    cmd.action(async (...values: unknown[]) => {
      const positional = values.slice(0, -2).flat().map(String);
      const options = values[values.length - 2] as VerbOptions;
      await runOpsCommand(context, [verb, ...positional].join(' '), options);
    });
  };

  opsVerb('scale', '<env> <service> <min> <max> <minutes> <reason...>', 'override autoscaling bounds for a while; reverts by itself');
  opsVerb('scale-revert', '<env> <service> [reason...]', 'end a scaling override now, back to the baseline');
  opsVerb('verify-backups', '<env>', 'run the backup verification now');
  opsVerb('restore-drill', '<env>', 'restore the latest backup to a temporary instance, verify it, delete it');
  opsVerb('failover-drill', '<env>', 'force database and cache failover and measure recovery');
  opsVerb('dr-simulation', '<env>', 'recover the platform in the DR region from its replicated backups, measure RTO and data loss, tear it down');
};
