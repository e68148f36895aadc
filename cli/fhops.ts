#!/usr/bin/env node
/**
 * fhops: run and follow FinanceHub's ops workflows from a terminal, on AWS (your credentials) or rehearsed
 * offline (`fhops rehearse`). The verbs mirror the Slack `/ops` command and are validated by the same parser.
 * Each command lives in its own module under `cli/commands/`; add one there and list it in COMMANDS.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SFNClient } from '@aws-sdk/client-sfn';
import { Command, CommanderError } from 'commander';
import { CommandError } from '../functions/slack-ops/commands.js';
import type { CliContext, RegisterCommand } from './commands/context.js';
import { registerAudit } from './commands/audit.js';
import { registerDeployStatus } from './commands/deploy-status.js';
import { registerFollow } from './commands/follow.js';
import { registerList } from './commands/list.js';
import { registerOpsVerbs } from './commands/ops-verbs.js';
import { registerPreflight } from './commands/preflight.js';
import { registerRehearse } from './commands/rehearse.js';
import { registerRollback } from './commands/rollback.js';
import { registerSecret } from './commands/secret.js';
import { registerSlackManifest } from './commands/slack-manifest.js';
import { registerSlackSetup } from './commands/slack-setup.js';
import { registerStart } from './commands/start.js';
import { registerStatus } from './commands/status.js';
import { EXIT_CODES, EXIT_CODES_HELP, explainAwsError } from './errors.js';

const COMMANDS: readonly RegisterCommand[] = [
  registerOpsVerbs,
  registerList,
  registerStart,
  registerFollow,
  registerStatus,
  registerDeployStatus,
  registerRollback,
  registerRehearse,
  registerSlackManifest,
  registerSlackSetup,
  registerPreflight,
  registerSecret,
  registerAudit,
];

const program = new Command('fhops')
  .description('Run and follow FinanceHub ops workflows on AWS, or rehearse them offline')
  .option('--region <region>', 'AWS region of the environment (credentials: AWS_PROFILE, aws sso login)', process.env.AWS_REGION ?? 'us-east-1')
  .addHelpText('after', EXIT_CODES_HELP)
  // commander's own errors (unknown command or option, missing argument) come back here for the exit code.
  .exitOverride()
  .showSuggestionAfterError()
  .configureOutput({ outputError: (text, write) => write(`${text.trimEnd()}\nNothing was changed. See fhops --help.\n`) });
const region = () => program.opts<{ region: string }>().region;

const context: CliContext = { sfn: () => new SFNClient({ region: region() }), region, now: () => new Date(), sleep: (ms) => sleep(ms) };
for (const register of COMMANDS) register(program, context);

program.parseAsync().catch((caught: unknown) => {
  if (caught instanceof CommanderError) {
    // Help and version end here too, with exit code 0; commander has printed its message already.
    process.exitCode = caught.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    return;
  }
  const error = explainAwsError(caught, region());
  if (error instanceof CommandError) {
    console.error(`${error.message}\nNothing was changed. See fhops --help.`);
    process.exitCode = EXIT_CODES.usage;
  } else if (error instanceof Error && 'exitCode' in error && typeof error.exitCode === 'number') {
    console.error(error.message);
    process.exitCode = error.exitCode;
  } else {
    console.error(`fhops: ${error instanceof Error ? error.message : String(error)}\nCheck with fhops status or fhops list whether anything was started before retrying.`);
    process.exitCode = EXIT_CODES.failed;
  }
});
