import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { EnvironmentName } from '../../contracts/environments.js';
import { environmentConfig } from '../../infra/config.js';
import { putOwnerSecret } from '../owner-secret.js';
import { type RegisterCommand, environment } from './context.js';

/**
 * `fhops secret put <secret> --env <env>`: the owner of a third-party secret stores its new value (from standard input,
 * never an argument, so it stays out of shell history and process lists) as the open rotation's AWSPENDING version.
 */
export const registerSecret: RegisterCommand = (program) => {
  const secret = program.command('secret').description('third-party secrets rotated by their owner (docs/runbooks/rotate-owner-secret.md)');
  secret
    .command('put')
    .description('store the new value of a secret you own (standard input) for its open rotation; it is checked, then promoted')
    .argument('<secret>', 'the secret\'s name, e.g. api-keys')
    .requiredOption('--env <env>', 'staging or production', environment)
    .option('--wait <seconds>', 'how long to watch for the promotion', (value) => Number.parseInt(value, 10), 120)
    .action(async (name: string, options: { env: EnvironmentName; wait: number }) => {
      const config = environmentConfig(options.env);
      if (process.stdin.isTTY) console.error('Paste the new value, then press Ctrl-D.');
      // One trailing newline is the terminal's or the file's, not the value's.
      const value = (await text(process.stdin)).replace(/\r?\n$/, '');
      const outcome = await putOwnerSecret(new SecretsManagerClient({ region: config.region }), config, name, value, {
        waitSeconds: Number.isFinite(options.wait) ? Math.max(0, options.wait) : 120,
        pollSeconds: 10,
        sleep: (ms) => sleep(ms),
      });
      console.log(`${outcome.secretId}: the new value is ${outcome.alreadyStored ? 'already' : 'now'} AWSPENDING version ${outcome.versionId} (read back); the rotation resumed.`);
      console.log(
        outcome.promoted
          ? 'It passed its check and is AWSCURRENT (read back). The services restart on it; the result comes to Slack. Revoke the old value at the issuer after that.'
          : `Not promoted yet after ${options.wait} s: Secrets Manager runs the check, then promotes it. The outcome comes to Slack (a refused value is reported there too).`,
      );
      process.exitCode = 0;
    });
};
