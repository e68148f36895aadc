import { App } from 'aws-cdk-lib';
import { type EnvironmentStacks, buildFinanceHub } from '../../../infra/financehub.js';

export interface SynthesizedApp {
  readonly app: App;
  readonly staging: EnvironmentStacks;
  readonly production: EnvironmentStacks;
}

let cached: SynthesizedApp | undefined;

/**
 * The whole app, both environments, with the cdk-nag packs, synthesized once per test file. Lambda bundling is
 * skipped (`aws:cdk:bundling-stacks: []`): templates are the same, without esbuild's time.
 */
export function synthesizeApp(): SynthesizedApp {
  if (cached) return cached;
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const [staging, production] = buildFinanceHub(app);
  if (!staging || !production) throw new Error('buildFinanceHub must build staging and production');
  app.synth();
  cached = { app, staging, production };
  return cached;
}
