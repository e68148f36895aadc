import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { OpsResult } from '../../contracts/ops-result.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import { type Rehearsal, SCENARIOS, type Scenario, rehearse } from '../../rehearsal/index.js';
import { EXIT_CODES, unknown } from '../errors.js';
import { type Output, type RegisterCommand, environment, output, printJson } from './context.js';

/** The scenario asked for; a mistyped workflow or scenario gets the nearest name and the list. */
export function pickScenario(workflow: string, name: string | undefined): Scenario {
  const workflows = [...new Set(SCENARIOS.map((s) => s.workflow))];
  if (!workflows.includes(workflow as Scenario['workflow'])) throw unknown('workflow', workflow, workflows);
  const candidates = SCENARIOS.filter((s) => s.workflow === workflow);
  const found = name === undefined ? candidates[0] : candidates.find((s) => s.name === name);
  if (!found) throw unknown(`scenario of ${workflow}`, name ?? '', candidates.map((s) => s.name));
  return found;
}

/** The published result as on-call reads it: what happened, the numbers, what was done, how to undo it. */
function describeResult(result: OpsResult): string {
  const lines = [`Published to Slack (${result.severity}, ${result.outcome}): ${result.summary}`];
  for (const m of result.measurements) {
    const target = m.target === undefined ? '' : ` (target ${m.target} ${m.unit}${m.passed === false ? ', MISSED' : ''})`;
    lines.push(`  measured  ${m.name}: ${m.value} ${m.unit}${target}`);
  }
  for (const action of result.actionsTaken) lines.push(`  done      ${action}`);
  if (result.howToUndo) lines.push(`  to undo   ${result.howToUndo}`);
  return lines.join('\n');
}

/** Writes the HTML reports the rehearsal's workflow wrote to S3 into `folder`; returns their paths. */
export function keepReports(rehearsal: Rehearsal, folder: string): string[] {
  const pages = rehearsal.written.filter((object) => object.contentType?.startsWith('text/html'));
  if (pages.length === 0) return [];
  mkdirSync(folder, { recursive: true });
  return pages.map((page) => {
    const file = resolve(join(folder, `${rehearsal.environment}-${basename(page.key)}`));
    writeFileSync(file, page.body);
    return file;
  });
}

const reportFolder = (option: string | true) => (option === true ? 'rehearsal-reports' : option);

/** `fhops rehearse <workflow>`: runs a workflow offline against a scripted account and shows what it would do. */
export const registerRehearse: RegisterCommand = (program) => {
  program
    .command('rehearse [workflow]')
    .description('run a workflow offline: the synthesized state machine, the real handler code, a simulated account')
    .option('--env <env>', 'staging or production', environment, 'staging' as EnvironmentName)
    .option('--scenario <name>', 'which scripted situation (see --list)')
    .option('--list', 'list the scenarios')
    .option('--calls', 'print every AWS call the workflow made')
    .option('--output <format>', 'text, or json: the run, its AWS calls and what it published', output, 'text')
    .option('--report [folder]', 'write the drill\'s HTML report into folder (default rehearsal-reports/) and print its path')
    .action(async (workflow: string | undefined, options: { env: EnvironmentName; scenario?: string; list?: boolean; calls?: boolean; output: Output; report?: string | true }) => {
      if (options.list || !workflow) {
        if (options.output === 'json') return printJson(SCENARIOS.map((s) => ({ workflow: s.workflow, scenario: s.name, expect: s.expect, description: s.description })));
        for (const s of SCENARIOS) console.log(`${s.workflow.padEnd(22)} ${s.name.padEnd(12)} ${s.description}`);
        return;
      }
      const scenario = pickScenario(workflow, options.scenario);
      if (options.output === 'json') {
        const rehearsal = await rehearse(scenario, options.env);
        const { run, calls, published } = rehearsal;
        const reports = options.report ? keepReports(rehearsal, reportFolder(options.report)) : undefined;
        printJson({ workflow: scenario.workflow, scenario: scenario.name, environment: options.env, expected: scenario.expect, asExpected: run.status === scenario.expect, run, calls, published, reports });
        process.exitCode = run.status === scenario.expect ? EXIT_CODES.ok : EXIT_CODES.failed;
        return;
      }
      console.log(`Rehearsing ${scenario.workflow} in ${options.env} (${scenario.name}): ${scenario.description}`);
      const rehearsal = await rehearse(scenario, options.env);
      const { run, calls, published } = rehearsal;
      for (const state of run.path) console.log(`  → ${state}`);
      console.log(`${run.status}${run.error ? ` ${run.error}: ${run.cause ?? ''}` : ''}`);
      console.log(`${run.transitions} state transitions, ${calls.length} AWS calls`);
      for (const result of published) console.log(describeResult(result));
      if (options.calls) for (const call of calls) console.log(`  ${call.slice(0, 240)}`);
      if (options.report) {
        const reports = keepReports(rehearsal, reportFolder(options.report));
        if (reports.length === 0) console.log(`${scenario.workflow} writes no HTML report (the drills do); nothing was written.`);
        for (const file of reports) console.log(`Report: ${file}`);
      }
      process.exitCode = run.status === scenario.expect ? EXIT_CODES.ok : EXIT_CODES.failed;
    });
};
