/**
 * `npm start`: the main job, offline. Synthesizes every stack of both environments (Lambdas bundled by the
 * local esbuild) with the three cdk-nag packs, then rehearses every workflow scenario: the synthesized state
 * machine with the real handler code against a simulated account. One line per phase with its elapsed time, then
 * what was built and how each rehearsal ended. The synthesis is skipped when the assembly in the output folder was
 * synthesized from exactly the files the app and its handlers are built from now (rehearsal/assembly-inputs.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENVIRONMENTS } from '../contracts/environments.js';
import { SCENARIOS, rehearse } from '../rehearsal/index.js';
import { deployedAppEntryPoints } from '../rehearsal/assembly.js';
import { currentInputs, freshInputsRecord, writeInputsRecord } from '../rehearsal/assembly-inputs.js';

process.env.CDK_DISABLE_VERSION_CHECK = 'true';
const outdir = process.env.CDK_OUTDIR ?? 'cdk.out';
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** Starts a phase's line; the elapsed time ends it, so a busy machine still shows what it is doing. */
function phase(text: string): () => string {
  const started = performance.now();
  process.stdout.write(`${text} ... `);
  return () => seconds(started);
}

/**
 * CDK announces every asset it bundles on stderr ("Bundling asset <path>..."); the main job keeps those out of its
 * output. Anything else on stderr (esbuild's warnings and errors) still shows.
 */
function withoutBundlingNotices<T>(work: () => T): T {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
    String(chunk).startsWith('Bundling asset ') ? true : write(chunk, ...rest)) as typeof process.stderr.write;
  try {
    return work();
  } finally {
    process.stderr.write = write;
  }
}

/**
 * Synthesizes the app with bundling and cdk-nag into `outdir` and records what it was built from, with the lines
 * that describe the result. aws-cdk-lib and the app load only here: a run that reuses the assembly never loads them.
 */
async function synthesize(entryPoints: readonly string[]): Promise<readonly string[]> {
  // Read before the app's modules load, so that an edit made meanwhile leaves the assembly stale, never fresh.
  const inputs = currentInputs(entryPoints);
  const [{ App, Stack }, { buildFinanceHub }, { acknowledgmentsByRule, collectAcknowledgments }] = await Promise.all([
    import('aws-cdk-lib'),
    import('../infra/financehub.js'),
    import('../infra/nag/report.js'),
  ]);
  const app = new App({ outdir });
  try {
    withoutBundlingNotices(() => {
      buildFinanceHub(app);
      app.synth();
    });
  } catch (error) {
    const report = join(outdir, 'validation-report.json');
    console.log('failed');
    console.error(`Synthesis failed: ${error instanceof Error ? error.message : String(error)}`);
    if (existsSync(report)) console.error(readFileSync(report, 'utf8').slice(0, 20_000));
    process.exit(1);
  }
  const stacks = app.node.children.filter((child): child is InstanceType<typeof Stack> => child instanceof Stack);
  const acks = collectAcknowledgments(app);
  const summary = [`      ${stacks.length} stacks into ${outdir}/; cdk-nag: 0 unacknowledged errors, ${acks.length} acknowledgments of ${acknowledgmentsByRule(acks).size} rules (docs/nag-acknowledgments.md)`];
  for (const environment of ENVIRONMENTS) {
    const counts = stacks
      .filter((stack) => stack.stackName.startsWith(`FinanceHub-${environment}-`))
      .map((stack) => {
        const template = JSON.parse(readFileSync(join(outdir, stack.templateFile), 'utf8')) as { Resources?: object };
        return `${stack.stackName.replace(`FinanceHub-${environment}-`, '')} ${Object.keys(template.Resources ?? {}).length}`;
      });
    summary.push(`      ${environment.padEnd(11)} resources per stack: ${counts.join(', ')}`);
  }
  writeInputsRecord(outdir, { ...inputs, summary });
  return summary;
}

const synthesis = phase('[1/2] Synthesizing both environments with cdk-nag (AwsSolutions, PCI DSS 3.2.1, NIST 800-53 R5)');
const entryPoints = deployedAppEntryPoints();
const reused = freshInputsRecord(outdir, entryPoints);
if (reused) {
  console.log(`${synthesis()}: up to date, none of the ${reused.files.length} files it was synthesized from changed`);
  for (const line of reused.summary ?? []) console.log(line);
} else {
  const summary = await synthesize(entryPoints);
  console.log(synthesis());
  for (const line of summary) console.log(line);
}

const rehearsing = phase(`[2/2] Rehearsing ${SCENARIOS.length} scenarios in ${ENVIRONMENTS.length} environments (real handlers, simulated account)`);
const rows: string[][] = [];
const surprises: string[] = [];
// The rotations' scenarios (success, then a failure at each point) read best as one row per rotation.
const POINTS = ['rotated', 'createSecret', 'setSecret', 'testSecret', 'finishSecret', 'restart', 'revoke', 'report'] as const;
const rotations = new Map<string, Map<string, boolean>>();
for (const environment of ENVIRONMENTS) {
  for (const scenario of SCENARIOS) {
    const { run, calls } = await rehearse(scenario, environment);
    const asExpected = run.status === scenario.expect;
    if (!asExpected) surprises.push(`${environment} ${scenario.workflow} ${scenario.name}: ${run.error ?? ''} ${run.cause ?? ''}`.trim());
    if (scenario.rotation) {
      const key = `${scenario.workflow} (${scenario.rotation.kind})`;
      const cells = rotations.get(key) ?? new Map<string, boolean>();
      const point = scenario.rotation.failure ?? 'rotated';
      cells.set(point, (cells.get(point) ?? true) && asExpected);
      rotations.set(key, cells);
      continue;
    }
    // A scenario that proves a failure is reported ends FAILED on purpose; only a different ending is a problem.
    const outcome = asExpected ? `${run.status}${run.status === 'FAILED' ? ' (expected)' : ''}` : `${run.status} (expected ${scenario.expect})`;
    rows.push([environment, scenario.workflow, scenario.name, outcome, String(run.transitions), String(calls.length)]);
  }
}
console.log(rehearsing());
const table = (header: readonly string[], body: readonly string[][], rightFrom: number) => {
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((row) => row[i]?.length ?? 0)));
  for (const row of [header, ...body]) console.log(`      ${row.map((cell, i) => (i >= rightFrom ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ')}`);
};
table(['environment', 'workflow', 'scenario', 'outcome', 'transitions', 'AWS calls'], rows, 4);
console.log('      Secret rotations, both environments (ok: ended as expected; -: no scenario of its own: the owner\'s createSecret waits for the owner within "rotated", the master restarts nothing):');
table(
  ['rotation', ...POINTS.map((p) => (p === 'rotated' ? p : `fails at ${p}`))],
  [...rotations].map(([key, cells]) => [key, ...POINTS.map((p) => (cells.has(p) ? (cells.get(p) ? 'ok' : 'UNEXPECTED') : '-'))]),
  POINTS.length + 1,
);

if (surprises.length > 0) {
  for (const surprise of surprises) console.error(`  ${surprise}`);
  console.error(`${surprises.length} rehearsal(s) ended differently than their scenario expects`);
  process.exit(1);
}
console.log('Every rehearsal ended as its scenario expects. Try one yourself: npx fhops rehearse restore-drill --scenario data-loss --calls');
