import type { EnvironmentName } from '../../contracts/environments.js';
import { environmentConfig } from '../../infra/config.js';
import { listWorkflows } from '../aws-workflows.js';
import { type Output, type RegisterCommand, environment, output, printJson } from './context.js';

/** `fhops list --env <env>`: each workflow's state machine, its running executions and the last one. */
export const registerList: RegisterCommand = (program, context) => {
  program
    .command('list')
    .description('the workflows of an environment: running executions and the last result')
    .requiredOption('--env <env>', 'staging or production', environment)
    .option('--output <format>', 'text, or json: one document per workflow in a list', output, 'text')
    .action(async (options: { env: EnvironmentName; output: Output }) => {
      const rows = await listWorkflows(context.sfn(), environmentConfig(options.env).prefix);
      if (options.output === 'json') return printJson(rows.map((row) => ({ ...row, deployed: row.stateMachineArn !== undefined })));
      for (const row of rows) {
        const last = row.lastExecution ? `${row.lastExecution.status} ${row.lastExecution.name}` : 'never run';
        console.log(`${row.workflow.padEnd(22)} ${row.stateMachineArn ? `running ${row.running}`.padEnd(12) : 'not deployed'.padEnd(12)} ${last}`);
      }
    });
};
