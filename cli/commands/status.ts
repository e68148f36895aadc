import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { EXIT_CODES } from '../errors.js';
import { type Output, type RegisterCommand, output, printJson } from './context.js';

/** `fhops status <executionArn>`: where one execution stands now, without following it. */
export const registerStatus: RegisterCommand = (program, context) => {
  program
    .command('status <executionArn>')
    .description('where an execution stands now: status, start and stop, its result or error')
    .option('--output <format>', 'text, or json', output, 'text')
    .action(async (executionArn: string, options: { output: Output }) => {
      const execution = await context.sfn().send(new DescribeExecutionCommand({ executionArn }));
      const status = execution.status ?? 'UNKNOWN';
      const summary = {
        executionArn,
        status,
        startDate: execution.startDate?.toISOString(),
        stopDate: execution.stopDate?.toISOString(),
        output: execution.output ? (JSON.parse(execution.output) as unknown) : undefined,
        error: execution.error,
        cause: execution.cause,
      };
      if (options.output === 'json') printJson(summary);
      else {
        console.log(`${status}  started ${summary.startDate ?? '?'}${summary.stopDate ? `, stopped ${summary.stopDate}` : ''}`);
        if (execution.error) console.log(`${execution.error}: ${execution.cause ?? ''}`);
        if (execution.output) console.log(execution.output);
        if (status === 'RUNNING') console.log(`Follow it with: fhops follow ${executionArn}`);
      }
      process.exitCode = status === 'SUCCEEDED' || status === 'RUNNING' ? EXIT_CODES.ok : EXIT_CODES.failed;
    });
};
