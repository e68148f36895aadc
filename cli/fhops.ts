#!/usr/bin/env node
/**
 * fhops: run and follow FinanceHub's ops workflows from a terminal, on AWS (your credentials) or rehearsed
 * offline (`fhops rehearse`). The verbs mirror the Slack `/ops` command and are validated by the same parser.
 */
import { userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { SFNClient } from '@aws-sdk/client-sfn';
import { Command, InvalidArgumentError } from 'commander';
import { type EnvironmentName, SERVICES, environmentConfig } from '../infra/config.js';
import { executionName, isWorkflowName } from '../functions/lib/workflows.js';
import { CommandError, describeCommand, needsApproval, parseCommand, workflowFor } from '../functions/slack-ops/commands.js';
import { followExecution, listWorkflows, startWorkflow } from './aws-workflows.js';
import { registerRehearse } from './rehearse-command.js';

const program = new Command('fhops')
  .description('Run and follow FinanceHub ops workflows on AWS, or rehearse them offline')
  .option('--region <region>', 'AWS region of the environment', 'us-east-1');

const sfn = () => new SFNClient({ region: program.opts<{ region: string }>().region });

function environment(value: string): EnvironmentName {
  if (value !== 'staging' && value !== 'production') throw new InvalidArgumentError('must be staging or production');
  return value;
}

function limitsFor(env: EnvironmentName) {
  const config = environmentConfig(env);
  return {
    maxCeiling: Object.fromEntries(SERVICES.map((s) => [s, config.services[s].overrideMaxCeiling])) as Record<(typeof SERVICES)[number], number>,
    maxDurationMinutes: config.remediation.maxOverrideMinutes,
  };
}

async function follow(executionArn: string, timeoutMinutes: number): Promise<void> {
  const status = await followExecution(sfn(), executionArn, {
    pollMs: 3000,
    timeoutMs: timeoutMinutes * 60_000,
    print: (line) => console.log(line),
    sleep: (ms) => sleep(ms),
    now: () => Date.now(),
  });
  if (status === 'RUNNING') console.log(`Still running after ${timeoutMinutes} min; follow again with: fhops follow ${executionArn}`);
  process.exitCode = status === 'SUCCEEDED' || status === 'RUNNING' ? 0 : 1;
}

/** Runs an /ops-style command on AWS: validated, approved where production needs it, then started and followed. */
async function runOpsCommand(text: string, options: { approvedBy?: string; follow: boolean; requestedBy: string }): Promise<void> {
  const env = environment(text.split(/\s+/)[1] ?? '');
  const command = parseCommand(text, limitsFor(env));
  if (needsApproval(command) && !options.approvedBy) {
    throw new CommandError(`${describeCommand(command)} needs a second person: add --approved-by <their name>. Nothing was changed.`);
  }
  const start = workflowFor(command, options.requestedBy, options.approvedBy);
  if (!start) throw new CommandError(`${command.name} does not start a workflow`);
  const name = executionName('cli', options.requestedBy, new Date().toISOString());
  const { executionArn, alreadyStarted } = await startWorkflow(sfn(), environmentConfig(env).prefix, start.workflow, name, start.input);
  console.log(`${alreadyStarted ? 'Already started' : 'Started'} ${start.workflow}: ${describeCommand(command)}\n${executionArn}`);
  if (options.follow) await follow(executionArn, 60);
}

const requester = () => `${userInfo().username}`;
const opsVerb = (verb: string, args: string, description: string, approval: boolean) => {
  const cmd = program
    .command(`${verb} ${args}`)
    .description(description)
    .option('--no-follow', 'start and return without following')
    .option('--requested-by <name>', 'who asks (defaults to your login)', requester());
  if (approval) cmd.option('--approved-by <name>', 'the second person approving a production action');
  cmd.action(async (...values: unknown[]) => {
    const positional = values.slice(0, -2).flat().map(String);
    const options = values[values.length - 2] as { approvedBy?: string; follow: boolean; requestedBy: string };
    await runOpsCommand([verb, ...positional].join(' '), options);
  });
};

opsVerb('scale', '<env> <service> <min> <max> <minutes> <reason...>', 'override autoscaling bounds for a while; reverts by itself', true);
opsVerb('scale-revert', '<env> <service> [reason...]', 'end a scaling override now, back to the baseline', true);
opsVerb('verify-backups', '<env>', 'run the backup verification now', false);
opsVerb('restore-drill', '<env>', 'restore the latest backup to a temporary instance, verify it, delete it', false);
opsVerb('failover-drill', '<env>', 'force database and cache failover and measure recovery', true);

program
  .command('list')
  .description('the workflows of an environment: running executions and the last result')
  .requiredOption('--env <env>', 'staging or production', environment)
  .action(async (options: { env: EnvironmentName }) => {
    const rows = await listWorkflows(sfn(), environmentConfig(options.env).prefix);
    for (const row of rows) {
      const last = row.lastExecution ? `${row.lastExecution.status} ${row.lastExecution.name}` : 'never run';
      console.log(`${row.workflow.padEnd(22)} ${row.stateMachineArn ? `running ${row.running}`.padEnd(12) : 'not deployed'.padEnd(12)} ${last}`);
    }
  });

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
    const name = options.name ?? executionName('cli', requester(), new Date().toISOString());
    const { executionArn, alreadyStarted } = await startWorkflow(sfn(), environmentConfig(options.env).prefix, workflow, name, input);
    console.log(`${alreadyStarted ? 'Already started' : 'Started'} ${executionArn}`);
    if (options.follow) await follow(executionArn, 60);
  });

program
  .command('follow <executionArn>')
  .description('print an execution’s states as they happen until it ends')
  .option('--timeout-minutes <minutes>', 'stop following after this long', (v) => Number(v), 60)
  .action(async (executionArn: string, options: { timeoutMinutes: number }) => follow(executionArn, options.timeoutMinutes));

registerRehearse(program);

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof CommandError ? error.message : `fhops: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
});
