import type { OpsResult } from '../../contracts/ops-result.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import type { RegisterCommand } from './context.js';
import { SCENARIOS, findScenario, rehearse } from '../../rehearsal/index.js';

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

/** `fhops rehearse <workflow>`: runs a workflow offline against a scripted account and shows what it would do. */
export const registerRehearse: RegisterCommand = (program) => {
  program
    .command('rehearse [workflow]')
    .description('run a workflow offline: the synthesized state machine, the real handler code, a simulated account')
    .option('--env <env>', 'staging or production', 'staging')
    .option('--scenario <name>', 'which scripted situation (see --list)')
    .option('--list', 'list the scenarios')
    .option('--calls', 'print every AWS call the workflow made')
    .action(async (workflow: string | undefined, options: { env: EnvironmentName; scenario?: string; list?: boolean; calls?: boolean }) => {
      if (options.list || !workflow) {
        for (const s of SCENARIOS) console.log(`${s.workflow.padEnd(22)} ${s.name.padEnd(12)} ${s.description}`);
        return;
      }
      const scenario = findScenario(workflow, options.scenario);
      console.log(`Rehearsing ${scenario.workflow} in ${options.env} (${scenario.name}): ${scenario.description}`);
      const { run, calls, published } = await rehearse(scenario, options.env);
      for (const state of run.path) console.log(`  → ${state}`);
      console.log(`${run.status}${run.error ? ` ${run.error}: ${run.cause ?? ''}` : ''}`);
      console.log(`${run.transitions} state transitions, ${calls.length} AWS calls`);
      for (const result of published) console.log(describeResult(result));
      if (options.calls) for (const call of calls) console.log(`  ${call.slice(0, 240)}`);
      process.exitCode = run.status === scenario.expect ? 0 : 1;
    });
};
