/**
 * `npm run bench`: measures what matters for speed and writes bench/results.json plus a table.
 * - every functions/<name>/handler.ts bundled with the CDK app's esbuild options: bytes, and the init time a fresh
 *   node process adds by importing it (minus a bare node start), median and p95 over RUNS runs;
 * - the Slack /ops acknowledgement as Lambda meets it: fresh processes import the slack-ops bundle and answer signed
 *   requests, every AWS call going to a loopback stand-in (bench/slack-ack-cold.ts): import, first request, both
 *   together (targets: p95 120 ms together, warm p99 20 ms);
 * - state transitions of each workflow's rehearsal (once the local executor runs them);
 * - `npm start` cold (empty output folder: bundling, cdk-nag, rehearsals) and warm (run again, nothing changed).
 * It reports; it never fails the test suite.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { REHEARSAL_ASSEMBLY_DIR, SCENARIOS, ensureAssembly, loadFunctionEnvironment, rehearse } from '../rehearsal/index.js';
import { localBuildOptions } from '../infra/constructs/ops-function.js';
import { measureColdAck } from './slack-ack-cold.js';
import { type Stats, stats } from './stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 25);
/** Fresh slack-ops processes, and warm requests each answers after its first (20 x 11 = 220 warm requests). */
const ACK_PROCESSES = Number(process.env.BENCH_ACK_PROCESSES ?? 20);
const ACK_WARM_REQUESTS = 11;
const root = resolve(import.meta.dirname, '..');
const out = join(root, 'bench', 'out');

interface FunctionResult {
  readonly name: string;
  readonly bytes: number;
  readonly initMs?: Stats;
  readonly error?: string;
}

async function bundle(name: string): Promise<string> {
  const outfile = join(out, name, 'index.mjs');
  await build({ ...localBuildOptions(name), outfile });
  return outfile;
}

function timeProcess(args: string[], env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(result.stderr.toString().split('\n').slice(0, 3).join(' '));
  return elapsed;
}

/** Added init: importing the bundle in a fresh process, minus a bare node start, run after run (interleaved). */
function measureInit(name: string, bundlePath: string): Stats {
  // The function's environment as deployed (staging), so its configuration loads as it does in Lambda.
  const env = {
    ...process.env,
    ...loadFunctionEnvironment(REHEARSAL_ASSEMBLY_DIR, 'staging', name),
    AWS_REGION: 'us-east-1',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  const importer = ['--enable-source-maps', '--input-type=module', '-e', `await import(${JSON.stringify(`file://${bundlePath}`)});`];
  const bare = ['--input-type=module', '-e', ''];
  timeProcess(importer, env);
  const added: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const base = timeProcess(bare, env);
    added.push(timeProcess(importer, env) - base);
  }
  return stats(added);
}

interface MainJobRun {
  readonly seconds: number;
  /** The synthesis phase as the job timed it. */
  readonly synthSeconds: number;
  /** Whether it reused the assembly (nothing it was built from changed). */
  readonly reused: boolean;
  readonly lines: number;
}

/** One `npm start` (the main job: synthesis with bundling and cdk-nag, then every rehearsal) into `outdir`; `--silent` leaves npm's own header out of the line count. */
function runMainJob(outdir: string): MainJobRun {
  const started = process.hrtime.bigint();
  const result = spawnSync('npm', ['start', '--silent'], { cwd: root, env: { ...process.env, CDK_OUTDIR: outdir }, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error((result.stderr || result.stdout).split('\n').slice(0, 3).join(' '));
  const synth = /\[1\/2\] Synthesizing .* \.\.\. ([\d.]+) s(: up to date)?/.exec(result.stdout);
  return { seconds, synthSeconds: Number(synth?.[1] ?? Number.NaN), reused: synth?.[2] !== undefined, lines: result.stdout.trimEnd().split('\n').length };
}

/**
 * `npm start` cold (no assembly: every bundle built, cdk-nag run, the rehearsal assembly synthesized too) and then
 * warm (the same again with nothing changed: target 10 s), each with the machine's load when it started.
 */
function measureMainJob(): { cold?: MainJobRun & { load: number }; warm?: MainJobRun & { load: number }; error?: string } {
  const outdir = join(out, 'cdk.out');
  rmSync(outdir, { recursive: true, force: true });
  rmSync(REHEARSAL_ASSEMBLY_DIR, { recursive: true, force: true });
  try {
    const coldLoad = loadavg()[0] ?? Number.NaN;
    const cold = { ...runMainJob(outdir), load: coldLoad };
    const warmLoad = loadavg()[0] ?? Number.NaN;
    return { cold, warm: { ...runMainJob(outdir), load: warmLoad } };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  await ensureAssembly();
  const names = readdirSync(join(root, 'functions'))
    .filter((name) => name !== 'lib' && existsSync(join(root, 'functions', name, 'handler.ts')))
    .sort();
  const functions: FunctionResult[] = [];
  for (const name of names) {
    try {
      const path = await bundle(name);
      const bytes = statSync(path).size;
      try {
        functions.push({ name, bytes, initMs: measureInit(name, path) });
      } catch (error) {
        functions.push({ name, bytes, error: `init: ${error instanceof Error ? error.message : String(error)}` });
      }
    } catch (error) {
      functions.push({ name, bytes: 0, error: `bundle: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  const ackBundle = await bundle('slack-ops');
  const slackAck = {
    bundleBytes: statSync(ackBundle).size,
    ...(await measureColdAck({
      bundlePath: ackBundle,
      functionEnvironment: loadFunctionEnvironment(REHEARSAL_ASSEMBLY_DIR, 'staging', 'slack-ops'),
      processes: ACK_PROCESSES,
      warmRequestsPerProcess: ACK_WARM_REQUESTS,
    })),
  };
  const transitions: { workflow: string; scenario: string; status: string; transitions: number }[] = [];
  for (const scenario of SCENARIOS) {
    const { run } = await rehearse(scenario, 'staging');
    transitions.push({ workflow: scenario.workflow, scenario: scenario.name, status: run.status, transitions: run.transitions });
  }
  // Every scenario in both environments on the simulated clock, handlers already loaded (the runs above warmed them
  // for staging; production's load once here): target 5 s.
  for (const scenario of SCENARIOS) await rehearse(scenario, 'production');
  const rehearsalStarted = performance.now();
  for (const environment of ['staging', 'production'] as const) for (const scenario of SCENARIOS) await rehearse(scenario, environment);
  const rehearsalSeconds = (performance.now() - rehearsalStarted) / 1000;
  const mainJob = measureMainJob();

  const results = { measuredAt: new Date().toISOString(), node: process.version, runs: RUNS, loadAverage: loadavg(), functions, slackAck, transitions, rehearsalSeconds, mainJob };
  writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  console.log(`\nfunction bundles (targets: < 350 KB each, notify-slack < 200 KB, added init p95 < 60 ms); ${RUNS} runs\n`);
  console.log('function'.padEnd(24), 'bundle'.padStart(10), 'init median'.padStart(12), 'init p95'.padStart(10));
  for (const f of functions) {
    const init = f.initMs ? [`${f.initMs.median.toFixed(1)} ms`.padStart(12), `${f.initMs.p95.toFixed(1)} ms`.padStart(10)] : [f.error ?? ''];
    console.log(f.name.padEnd(24), kb(f.bytes).padStart(10), ...init);
  }
  const ms = (s: Stats) => `median ${s.median.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms`;
  console.log(`\nSlack /ops acknowledgement from a cold process (slack-ops bundle ${kb(slackAck.bundleBytes)}, AWS on a loopback stand-in; ${ACK_PROCESSES} processes)`);
  console.log(`  import ${ms(slackAck.importMs)}; first request ${ms(slackAck.firstRequestMs)}`);
  console.log(`  together ${ms(slackAck.togetherMs)} (target p95 120 ms); bare node -e 0: ${ms(slackAck.bareNodeMs)}`);
  console.log(`  CPU time of import and first request: ${ms(slackAck.togetherCpuMs)}`);
  console.log(`  warm (${slackAck.warmMs.runs} requests): median ${slackAck.warmMs.median.toFixed(1)} ms, p99 ${slackAck.warmMs.p99.toFixed(1)} ms (target 20 ms)`);
  console.log(`  AWS calls per request: ${Object.entries(slackAck.callsPerRequest).map(([call, n]) => `${call} ${Number(n.toFixed(2))}`).join(', ')}`);
  console.log(`  load average when measured: ${results.loadAverage.map((l) => l.toFixed(1)).join(' ')} (the machine is shared)`);
  console.log('\nstate transitions per rehearsed run (Step Functions Standard bills $0.025 per 1,000):');
  for (const t of transitions) console.log(`  ${t.workflow.padEnd(22)} ${t.scenario.padEnd(12)} ${t.status.padEnd(10)} ${t.transitions}`);
  console.log(`every scenario rehearsed in both environments (${SCENARIOS.length * 2} runs, simulated clock; target 5 s): ${rehearsalSeconds.toFixed(2)} s`);
  const job = (run: MainJobRun & { load: number }) =>
    `${run.seconds.toFixed(1)} s (synthesis ${run.reused ? 'reused' : `${run.synthSeconds.toFixed(1)} s`}, ${run.lines} lines, load ${run.load.toFixed(1)})`;
  console.log(
    mainJob.error || !mainJob.cold || !mainJob.warm
      ? `npm start failed: ${mainJob.error ?? ''}`
      : `npm start: cold ${job(mainJob.cold)}; warm, nothing changed ${job(mainJob.warm)} (target 10 s)`,
  );
  console.log('\nwritten: bench/results.json');
}

await main();
