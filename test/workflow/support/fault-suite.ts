import { ENVIRONMENTS, type EnvironmentName } from '../../../contracts/environments.js';
import { type FaultRun, faultsFor, rehearseWithFault } from '../../../rehearsal/faults.js';
import type { Scenario } from '../../../rehearsal/scenarios/scenario.js';

/**
 * Production runs the same scenarios with every third of their faults (3 is prime to the 4 call faults and 2 Lambda
 * faults, so each kind meets the calls in turn), from an offset that moves with the scenario; staging runs them all.
 */
const PRODUCTION_EVERY = 3;

/** Each scenario in each environment, named for the test, with its position (the production sample's offset). */
export const faultRunsOf = (scenarios: readonly Scenario[], environments: readonly EnvironmentName[] = ENVIRONMENTS) =>
  environments.flatMap((environment) => scenarios.map((scenario, index) => [`${scenario.workflow} (${scenario.name}) in ${environment}`, scenario, environment, index] as const));

/**
 * The scenario with one fault at a time: each AWS-call fault (throttle, 5xx, denied, applied-then-5xx) at each of its
 * AWS calls, each Lambda fault (crash, timeout after the work) at each of its invocations. Returns every problem: a
 * rule of rehearsal/fault-checks.ts (and for a rotation rehearsal/rotation-checks.ts) broken, with the fault that
 * broke it, or a fault that never happened; empty when every run kept them.
 */
export async function faultProblems(scenario: Scenario, environment: EnvironmentName, index: number): Promise<string[]> {
  const baseline = await rehearseWithFault(scenario, environment);
  const all = faultsFor(baseline);
  const faults = environment === 'production' ? all.filter((_, i) => (i + index) % PRODUCTION_EVERY === 0) : all;
  const runs: FaultRun[] = [];
  for (const fault of faults) runs.push(await rehearseWithFault(scenario, environment, fault, baseline));
  return [
    ...baseline.violations.map((violation) => `without a fault: ${violation}`),
    ...runs.filter((run) => run.injected === undefined).map((run) => `${JSON.stringify(run.fault)} was never injected`),
    ...runs.filter((run) => run.violations.length > 0).map((run) => `${run.injected}: ${run.violations.join('; ')}`),
  ];
}
