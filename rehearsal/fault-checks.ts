import type { OpsResult } from '../contracts/ops-result.js';
import type { WorkflowRun } from './executor.js';
import type { ObservedCall } from './faults.js';

/**
 * What must hold after any rehearsal, faults or not, judged from what AWS actually received and applied (the fault
 * harness's record) against what the workflow told on-call. Each check names the run's own evidence, so a violation
 * reads as a bug report. A new workflow gets them by being rehearsed; its own claims can be added to `CLAIMS`.
 */

export interface RunEvidence {
  readonly workflow: string;
  readonly run: WorkflowRun;
  readonly published: readonly OpsResult[];
  readonly calls: readonly ObservedCall[];
  /** The execution's own name: StartExecution of anything else is something it created. */
  readonly executionName: string;
  /** The scenario is the kill-switch one: nothing may change at all. */
  readonly killSwitchOn?: boolean;
  /** How the same scenario ended without the fault, and the fault injected (if it happened). */
  readonly baseline?: { readonly status: WorkflowRun['status']; readonly outcome?: OpsResult['outcome'] };
  readonly fault?: string;
}

/** Faults a retry absorbs: after them the workflow must end exactly as it does without them. */
const ABSORBED = /^(throttle|5xx|applied-then-5xx|timeout-after-work) /;

/** Calls that change the world: any of them applied means something was done. */
const MUTATING = new Set(['RebootDBInstance', 'TestFailover', 'RestoreDBInstanceToPointInTime', 'DeleteDBInstance', 'RegisterScalableTarget', 'StartExecution', 'StopExecution', 'UpdateService']);

/** Phrases that claim nothing happened, and the applied calls that make them false. */
const CLAIMS: readonly { readonly claim: RegExp; readonly falseIf: readonly string[] }[] = [
  { claim: /nothing was changed|changed nothing/i, falseIf: ['RebootDBInstance', 'TestFailover', 'RestoreDBInstanceToPointInTime', 'RegisterScalableTarget', 'StartExecution', 'StopExecution', 'UpdateService'] },
  { claim: /nothing was created/i, falseIf: ['RestoreDBInstanceToPointInTime'] },
  { claim: /Database \S+: not touched/, falseIf: ['RebootDBInstance'] },
  { claim: /Cache \S+: not touched/, falseIf: ['TestFailover'] },
  { claim: /nothing was restarted/i, falseIf: ['UpdateService'] },
  { claim: /the bounds were not changed/i, falseIf: ['RegisterScalableTarget'] },
];

const field = (input: unknown, ...path: string[]): unknown => path.reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), input);

/** Every violation of the rules; empty when the run told the truth. */
export function violations(evidence: RunEvidence): string[] {
  const { run, published, calls } = evidence;
  const found: string[] = [];
  const text = published.map((result) => [result.summary, ...result.actionsTaken, result.howToUndo ?? ''].join('\n')).join('\n');
  const applied = (command: string) => calls.filter((call) => call.applied && call.command === command);

  // It terminates, and on-call hears of it: a published result, or a failed execution (its alarm reaches Slack).
  if (!['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'].includes(run.status)) found.push(`did not terminate (${run.status})`);
  if (run.status === 'SUCCEEDED' && published.length === 0) found.push('succeeded without publishing a result: on-call was not told');

  // No false claim that nothing happened.
  for (const { claim, falseIf } of CLAIMS) {
    const match = claim.exec(text);
    const contradicted = falseIf.flatMap((command) => applied(command));
    if (match && contradicted.length > 0) found.push(`claims "${match[0]}" although ${contradicted.map((call) => call.command).join(', ')} was applied`);
  }

  // Nothing created is left unreported: drill instances, overrides in force, executions started.
  const deleted = new Set(applied('DeleteDBInstance').map((call) => String(field(call.input, 'DBInstanceIdentifier'))));
  for (const restored of applied('RestoreDBInstanceToPointInTime')) {
    const id = String(field(restored.input, 'TargetDBInstanceIdentifier'));
    if (!deleted.has(id) && !text.includes(id)) found.push(`left ${id} behind without reporting it`);
  }
  const [described] = applied('DescribeScalableTargets');
  const target = field(described?.answer, 'ScalableTargets', '0') as { MinCapacity?: number; MaxCapacity?: number } | undefined;
  const last = applied('RegisterScalableTarget').at(-1);
  if (last && target && (field(last.input, 'MinCapacity') !== target.MinCapacity || field(last.input, 'MaxCapacity') !== target.MaxCapacity)) {
    const bounds = `min ${String(field(last.input, 'MinCapacity'))}, max ${String(field(last.input, 'MaxCapacity'))}`;
    if (!text.includes(bounds)) found.push(`left the scalable target at ${bounds} (was min ${target.MinCapacity}, max ${target.MaxCapacity}) without saying so`);
  }
  for (const started of applied('StartExecution')) {
    const name = String(field(started.input, 'name'));
    if (name !== evidence.executionName && !text.includes(name)) found.push(`started execution ${name} without reporting it`);
  }

  // No lock stays held without the result saying so; no result says a held lock is released.
  const taken = applied('PutItem').filter((call) => String(field(call.input, 'Item', 'pk', 'S')).startsWith('lock#'));
  for (const lock of taken) {
    const key = String(field(lock.input, 'Item', 'pk', 'S'));
    const released = applied('DeleteItem').some((call) => field(call.input, 'Key', 'pk', 'S') === key && calls.indexOf(call) > calls.indexOf(lock));
    const name = key.slice('lock#'.length);
    if (!released && !/could NOT be released|is unknown/.test(text)) found.push(`left the lock ${key} held without saying so`);
    if (!released && text.includes(`The lock on ${name} is released`)) found.push(`says the lock on ${name} is released while it is held`);
  }

  // The kill switch never acts.
  if (evidence.killSwitchOn) {
    const acted = calls.filter((call) => call.applied && (MUTATING.has(call.command) || call.command === 'PutItem'));
    if (acted.length > 0) found.push(`acted with the kill switch on: ${acted.map((call) => call.command).join(', ')}`);
  }

  // A throttle, a 5xx, a call applied behind a 5xx or a timeout after the work is retried: it changes nothing of the outcome.
  if (evidence.baseline && evidence.fault && ABSORBED.test(evidence.fault)) {
    const outcome = published.at(-1)?.outcome;
    // A timeout costs real time: a drill measured against its targets may honestly miss one then, and say so.
    const honestlySlower = evidence.fault.startsWith('timeout-after-work') && /missed targets/.test(published.at(-1)?.summary ?? '');
    if (!honestlySlower && (run.status !== evidence.baseline.status || outcome !== evidence.baseline.outcome)) {
      found.push(`a retried fault changed the outcome: ${evidence.baseline.status}/${evidence.baseline.outcome ?? 'nothing published'} without it, ${run.status}/${outcome ?? 'nothing published'} with it (${published.at(-1)?.summary.slice(0, 160) ?? run.error ?? ''})`);
    }
  }

  // A success says what was done; it must have been done.
  const final = published.at(-1);
  if (final?.outcome === 'succeeded') {
    const need: Record<string, readonly string[]> = {
      'failover-drill': ['RebootDBInstance', 'TestFailover'],
      'restore-drill': ['RestoreDBInstanceToPointInTime', 'DeleteDBInstance'],
      'post-rotation': ['UpdateService'],
    };
    for (const command of need[evidence.workflow] ?? []) if (applied(command).length === 0) found.push(`reports success although ${command} never took effect`);
  }
  return found;
}
