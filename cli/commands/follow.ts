import { type RegisterCommand, follow } from './context.js';

/** `fhops follow <executionArn>`: an execution's states as they happen. */
export const registerFollow: RegisterCommand = (program, context) => {
  program
    .command('follow <executionArn>')
    .description('print an execution’s states as they happen until it ends')
    .option('--timeout-minutes <minutes>', 'stop following after this long', (v) => Number(v), 60)
    .action(async (executionArn: string, options: { timeoutMinutes: number }) => follow(context.sfn(), executionArn, options.timeoutMinutes));
};
