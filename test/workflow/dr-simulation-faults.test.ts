import { type Fault, type FaultRun, AWS_CALL_FAULTS, LAMBDA_FAULTS, rehearseWithFault } from '../../rehearsal/faults.js';
import { SCENARIOS } from '../../rehearsal/scenarios/index.js';

/**
 * The DR simulation under faults. Its passing run makes about 80 AWS calls over hours of simulated polling, so every
 * single fault at every call (about 380 runs) is beyond this suite's time; instead each AWS-call fault hits the first
 * and the last call of every kind (where a step starts and where its retries or teardown end), and each Lambda fault
 * hits every invocation. Every run must keep the rules of rehearsal/fault-checks.ts.
 */
function sampledFaults(baseline: FaultRun): Fault[] {
  const positions = new Map<string, { first: number; last: number }>();
  baseline.calls.forEach((call, index) => {
    const key = `${call.service}:${call.command}`;
    const seen = positions.get(key);
    positions.set(key, { first: seen?.first ?? index + 1, last: index + 1 });
  });
  const atCalls = [...new Set([...positions.values()].flatMap(({ first, last }) => [first, last]))].sort((a, b) => a - b);
  return [
    ...atCalls.flatMap((atCall) => AWS_CALL_FAULTS.map((kind): Fault => ({ kind, atCall }))),
    ...Array.from({ length: baseline.invocations }, (_, index) => LAMBDA_FAULTS.map((kind): Fault => ({ kind, atInvocation: index + 1 }))).flat(),
  ];
}

describe('the DR simulation under faults', () => {
  const passing = SCENARIOS.find((scenario) => scenario.workflow === 'dr-simulation' && scenario.name === 'passing');

  it.each(['staging', 'production'] as const)('stays truthful and cleans up in %s under a fault at the first and last call of every kind and at every invocation', async (environment) => {
    // Prepare
    if (!passing) throw new Error('the dr-simulation passing scenario is missing');
    const baseline = await rehearseWithFault(passing, environment);
    const faults = sampledFaults(baseline);

    // Act
    const runs: FaultRun[] = [];
    for (const fault of faults) runs.push(await rehearseWithFault(passing, environment, fault, baseline));

    // Assess
    expect(baseline.violations).toEqual([]);
    const faulted = new Set(runs.map((run) => run.injected?.match(/\((\w+:\w+)\)$/)?.[1]).filter(Boolean));
    const changing = baseline.calls.map((call) => `${call.service}:${call.command}`).filter((call) => !/:(Describe|List|Get)/.test(call));
    expect(changing).toEqual(expect.arrayContaining(['RDS:RestoreDBInstanceToPointInTime', 'Backup:StartRestoreJob', 'ECS:RunTask', 'ECS:StopTask', 'RDS:DeleteDBInstance', 'EFS:DeleteFileSystem']));
    expect(changing.filter((call) => !faulted.has(call))).toEqual([]);
    expect(runs.every((run) => run.injected !== undefined)).toBe(true);
    expect(runs.filter((run) => run.violations.length > 0).map((run) => `${run.injected}: ${run.violations.join('; ')}`)).toEqual([]);
  }, 1_200_000);
});
