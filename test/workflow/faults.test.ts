import { violations } from '../../rehearsal/fault-checks.js';
import { type FaultRun, faultsFor, rehearseWithFault } from '../../rehearsal/faults.js';
import { SCENARIOS } from '../../rehearsal/scenarios/index.js';
import { ENVIRONMENTS } from '../../contracts/environments.js';

/**
 * Every rehearsal scenario with one fault at a time: each AWS-call fault (throttle, 5xx, denied, applied-then-5xx) at
 * each of its AWS calls, each Lambda fault (crash, timeout after the work) at each of its invocations. Every run must
 * keep the rules of rehearsal/fault-checks.ts; a failure lists each broken rule with the fault that broke it.
 */
// A rotation's step failures are scenarios of their own (test/workflow/secret-rotation.test.ts): Secrets Manager does
// not retry a failed step within the attempt, so a throttle in a step honestly fails the rotation, which these
// rules (built for Step Functions' retries) would call a changed outcome. The DR simulation's scenarios make about 80
// AWS calls each (hours of polling on the simulated clock): test/workflow/dr-simulation-faults.test.ts samples them.
/**
 * Production runs the same scenarios with every third of their faults (3 is prime to the 4 call faults and 2 Lambda
 * faults, so each kind meets the calls in turn), from an offset that moves with the scenario. Measured on the shared
 * 2-core machine: staging's 1144 faults take 81 s, production's 390 of 1238 take 21 s; all of production would add
 * about 65 s more and take the suite past 3 minutes.
 */
const PRODUCTION_EVERY = 3;
const checked = SCENARIOS.filter((s) => !s.rotation && s.workflow !== 'dr-simulation');
const runsOf = ENVIRONMENTS.flatMap((environment) => checked.map((scenario, index) => [`${scenario.workflow} (${scenario.name}) in ${environment}`, scenario, environment, index] as const));

describe('fault injection', () => {
  it.each(runsOf)('keeps %s truthful under every single fault', async (_name, scenario, environment, index) => {
    // Prepare
    const baseline = await rehearseWithFault(scenario, environment);
    const all = faultsFor(baseline);
    const faults = environment === 'production' ? all.filter((_, i) => (i + index) % PRODUCTION_EVERY === 0) : all;

    // Act
    const runs: FaultRun[] = [];
    for (const fault of faults) runs.push(await rehearseWithFault(scenario, environment, fault, baseline));

    // Assess
    expect(baseline.violations).toEqual([]);
    expect(all.length).toBe(baseline.calls.length * 4 + baseline.invocations * 2);
    expect(runs.every((run) => run.injected !== undefined)).toBe(true);
    expect(runs.filter((run) => run.violations.length > 0).map((run) => `${run.injected}: ${run.violations.join('; ')}`)).toEqual([]);
  }, 900_000);
});

describe('the fault checks', () => {
  const restore = { service: 'RDS', command: 'RestoreDBInstanceToPointInTime', input: { TargetDBInstanceIdentifier: 'financehub-staging-drill-x' }, reached: true, applied: true };
  const lock = { service: 'DynamoDB', command: 'PutItem', input: { Item: { pk: { S: 'lock#backend' } } }, reached: true, applied: true };
  const run = { status: 'SUCCEEDED' as const, path: [], transitions: 1, retries: 0, taskCalls: [] };
  const result = (summary: string) => ({
    kind: 'OpsResult' as const,
    workflow: 'restore-drill',
    environment: 'staging' as const,
    outcome: 'failed' as const,
    severity: 'critical' as const,
    summary,
    startedAt: '2026-12-01T00:00:00Z',
    finishedAt: '2026-12-01T00:01:00Z',
    durationSeconds: 60,
    measurements: [],
    actionsTaken: [],
  });

  it('catch a claim that nothing was created, an instance left behind, a silent held lock and a success nobody heard of', () => {
    // Act
    const found = [
      ...violations({ workflow: 'restore-drill', run, published: [result('Restore drill failed. Nothing was created.')], calls: [restore], executionName: 'own' }),
      ...violations({ workflow: 'alarm-remediation', run, published: [result('Done. The lock on backend is released.')], calls: [lock], executionName: 'own' }),
      ...violations({ workflow: 'restore-drill', run, published: [], calls: [], executionName: 'own' }),
    ];

    // Assess
    expect(found).toEqual([
      'claims "Nothing was created" although RestoreDBInstanceToPointInTime was applied',
      'left financehub-staging-drill-x behind without reporting it',
      'left the lock lock#backend held without saying so',
      'says the lock on backend is released while it is held',
      'succeeded without publishing a result: on-call was not told',
    ]);
  });

  it('catch the kill switch acting and a retried fault that changed the outcome', () => {
    // Act
    const found = violations({
      workflow: 'alarm-remediation',
      run: { ...run, status: 'FAILED' },
      published: [result('Remediation FAILED.')],
      calls: [lock],
      executionName: 'own',
      killSwitchOn: true,
      baseline: { status: 'SUCCEEDED', outcome: 'skipped' },
      fault: 'throttle at AWS call 1 (SSM:GetParameters)',
    });

    // Assess
    expect(found).toEqual(expect.arrayContaining(['acted with the kill switch on: PutItem', expect.stringMatching(/^a retried fault changed the outcome: SUCCEEDED\/skipped without it, FAILED\/failed with it/)]));
  });
});
