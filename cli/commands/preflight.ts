import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import type { EnvironmentName } from '../../contracts/environments.js';
import { deploymentContextFrom, environmentConfig } from '../../infra/config.js';
import { FEATURE_FLAGS, buildEnvironments } from '../../infra/financehub.js';
import { defaultClients, planFrom, runPreflight } from '../preflight.js';
import { type RegisterCommand, environment } from './context.js';

interface PreflightOptions {
  readonly env: EnvironmentName;
  readonly stagingAccount?: string;
  readonly productionAccount?: string;
  readonly hostedZoneId?: string;
  readonly domainName?: string;
  readonly imageTag?: string;
  readonly slackWorkspaceId?: string;
  readonly slackStagingCriticalChannel?: string;
  readonly slackProductionCriticalChannel?: string;
}

/** `fhops preflight --env production ...`: checks an account is ready for the deploy the same settings synthesize. */
export const registerPreflight: RegisterCommand = (program) => {
  program
    .command('preflight')
    .description('before a deploy, with that environment\'s credentials: bootstrap, account, hosted zone, images in ECR, Lambda concurrency')
    .requiredOption('--env <env>', 'staging or production', environment)
    .option('--staging-account <id>', 'as -c stagingAccount')
    .option('--production-account <id>', 'as -c productionAccount')
    .option('--hosted-zone-id <id>', 'as -c hostedZoneId')
    .option('--domain-name <name>', 'as -c domainName')
    .option('--image-tag <tag>', 'as -c imageTag')
    .option('--slack-workspace-id <id>', 'as -c slackWorkspaceId')
    .option('--slack-staging-critical-channel <id>', 'as -c slackStagingCriticalChannel')
    .option('--slack-production-critical-channel <id>', 'as -c slackProductionCriticalChannel')
    .action(async (options: PreflightOptions) => {
      // The same settings and refusals as the synth (DeploymentSettingError names the setting).
      const context = deploymentContextFrom({ ...options, phase: 'all' });
      if (!context.real) throw new Error('preflight checks a real deploy: pass --staging-account, --production-account, --hosted-zone-id, --image-tag and the three --slack-... ids');
      const outdir = mkdtempSync(path.join(tmpdir(), 'fhops-preflight-'));
      try {
        const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...FEATURE_FLAGS } });
        buildEnvironments(app, context);
        const prefix = `FinanceHub-${options.env}-`;
        const stacks = app
          .synth()
          .stacks.filter((stack) => stack.stackName.startsWith(prefix))
          .map((stack) => ({
            stackName: stack.stackName,
            region: stack.environment.region,
            requiredBootstrapVersion: stack.requiresBootstrapStackVersion ?? 0,
            template: stack.template as object,
          }));
        const config = environmentConfig(options.env, context);
        const results = await runPreflight(planFrom(config, context.imageTag ?? '', stacks), defaultClients(config.region));
        for (const result of results) console.log(`${result.ok ? '✓' : '✗'} ${result.check.padEnd(44)} ${result.detail}`);
        const failed = results.filter((result) => !result.ok).length;
        console.log(failed === 0 ? `${options.env} is ready to deploy.` : `${failed} check(s) failed: ${options.env} is not ready; nothing was changed.`);
        process.exitCode = failed === 0 ? 0 : 1;
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    });
};
