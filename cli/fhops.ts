#!/usr/bin/env node
/**
 * fhops: run and follow FinanceHub's ops workflows from a terminal, on AWS (your credentials) or rehearsed
 * offline (`fhops rehearse`). The verbs mirror the Slack `/ops` command and are validated by the same parser.
 * Each command lives in its own module under `cli/commands/`; add one there and list it in COMMANDS.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { Command } from 'commander';
import { CommandError } from '../functions/slack-ops/commands.js';
import type { CliContext, RegisterCommand } from './commands/context.js';
import { registerFollow } from './commands/follow.js';
import { registerList } from './commands/list.js';
import { registerOpsVerbs } from './commands/ops-verbs.js';
import { registerPreflight } from './commands/preflight.js';
import { registerRehearse } from './commands/rehearse.js';
import { registerSlackManifest } from './commands/slack-manifest.js';
import { registerSlackSetup } from './commands/slack-setup.js';
import { registerStart } from './commands/start.js';

const COMMANDS: readonly RegisterCommand[] = [
  registerOpsVerbs,
  registerList,
  registerStart,
  registerFollow,
  registerRehearse,
  registerSlackManifest,
  registerSlackSetup,
  registerPreflight,
];

const program = new Command('fhops')
  .description('Run and follow FinanceHub ops workflows on AWS, or rehearse them offline')
  .option('--region <region>', 'AWS region of the environment', 'us-east-1');

const context: CliContext = { sfn: () => new SFNClient({ region: program.opts<{ region: string }>().region }) };
for (const register of COMMANDS) register(program, context);

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof CommandError ? error.message : `fhops: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
});
