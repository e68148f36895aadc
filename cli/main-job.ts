/**
 * `npm start`: the main job, offline. Synthesizes every stack of both environments (Lambdas bundled by the
 * local esbuild) with the three cdk-nag packs, prints what was built, then rehearses every workflow scenario:
 * the synthesized state machine with the real handler code against a simulated account.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { SCENARIOS, rehearse } from '../rehearsal/index.js';
import { ENVIRONMENTS } from '../contracts/environments.js';
import { buildFinanceHub } from '../infra/financehub.js';
import { acknowledgmentsByRule, collectAcknowledgments } from '../infra/nag/report.js';

process.env.CDK_DISABLE_VERSION_CHECK = 'true';
const outdir = process.env.CDK_OUTDIR ?? 'cdk.out';

const started = performance.now();
const app = new App({ outdir });
buildFinanceHub(app);
try {
  app.synth();
} catch (error) {
  const report = join(outdir, 'validation-report.json');
  console.error(`Synthesis failed: ${error instanceof Error ? error.message : String(error)}`);
  if (existsSync(report)) console.error(readFileSync(report, 'utf8').slice(0, 20_000));
  process.exit(1);
}
const seconds = (performance.now() - started) / 1000;

const stacks = app.node.children.filter((child): child is Stack => child instanceof Stack);
console.log(`Synthesized ${stacks.length} stacks into ${outdir}/ in ${seconds.toFixed(1)} s\n`);
console.log('stack'.padEnd(40), 'region'.padEnd(10), 'resources');
for (const stack of stacks) {
  const template = JSON.parse(readFileSync(join(outdir, stack.templateFile), 'utf8')) as { Resources?: object };
  console.log(stack.stackName.padEnd(40), String(stack.region).padEnd(10), Object.keys(template.Resources ?? {}).length);
}

const acks = collectAcknowledgments(app);
const byRule = acknowledgmentsByRule(acks);
console.log(
  `\ncdk-nag (AwsSolutions, PCI DSS 3.2.1, NIST 800-53 R5): 0 unacknowledged errors; ` +
    `${acks.length} acknowledgments of ${byRule.size} rules (docs/nag-acknowledgments.md lists them with reasons)`,
);

console.log('\nRehearsals (offline: real handlers, simulated account):');
console.log('environment'.padEnd(12), 'workflow'.padEnd(22), 'scenario'.padEnd(12), 'outcome'.padEnd(10), 'transitions'.padStart(11), 'AWS calls'.padStart(10));
let unexpected = 0;
for (const environment of ENVIRONMENTS) {
  for (const scenario of SCENARIOS) {
    const { run, calls } = await rehearse(scenario, environment);
    const ok = run.status === scenario.expect;
    if (!ok) unexpected += 1;
    console.log(
      environment.padEnd(12),
      scenario.workflow.padEnd(22),
      scenario.name.padEnd(12),
      `${run.status}${ok ? '' : ' (!)'}`.padEnd(10),
      String(run.transitions).padStart(11),
      String(calls.length).padStart(10),
    );
    if (!ok) console.error(`  expected ${scenario.expect}: ${run.error ?? ''} ${run.cause ?? ''}`);
  }
}
if (unexpected > 0) {
  console.error(`${unexpected} rehearsal(s) ended differently than their scenario expects`);
  process.exit(1);
}
console.log('Every rehearsal ended as its scenario expects. Try one yourself: npx fhops rehearse restore-drill --calls');
