import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { EnvironmentName } from '../../contracts/environments.js';
import { environmentConfig } from '../../infra/config.js';
import { slackManifest, slackRequestUrl } from '../slack-manifest.js';
import { type RegisterCommand, environment } from './context.js';

/** `fhops slack-manifest --env production`: the Slack app manifest, with the URL read from the deployed Ops stack. */
export const registerSlackManifest: RegisterCommand = (program) => {
  program
    .command('slack-manifest')
    .description('print the Slack app manifest of an environment (paste it into "Create New App" > "From a manifest")')
    .requiredOption('--env <env>', 'staging or production', environment)
    .option('--request-url <url>', 'the function URL, instead of reading the Ops stack output')
    .action(async (options: { env: EnvironmentName; requestUrl?: string }) => {
      const config = environmentConfig(options.env);
      const url = options.requestUrl ?? (await slackRequestUrl(new CloudFormationClient({ region: config.region }), config));
      console.log(JSON.stringify(slackManifest(config, url), null, 2));
    });
};
