import { type Output, type RegisterCommand, follow, output } from './context.js';

/** `fhops follow <executionArn>`: an execution's states as they happen. */
export const registerFollow: RegisterCommand = (program, context) => {
  program
    .command('follow <executionArn>')
    .description('print an execution’s states as they happen until it ends')
    .option('--timeout-minutes <minutes>', 'stop following after this long', (v) => Number(v), 60)
    .option('--output <format>', 'text, or json: one document with the status and the events', output, 'text')
    .action(async (executionArn: string, options: { timeoutMinutes: number; output: Output }) => follow(context.sfn(), executionArn, options.timeoutMinutes, options.output));
};
