import { SCENARIOS } from '../../rehearsal/scenarios/index.js';
import { faultProblems, faultRunsOf } from './support/fault-suite.js';

/** The rotation scenarios of test/workflow/rotation-faults.test.ts in production, with every third of their faults. */
describe('fault injection', () => {
  it.each(faultRunsOf(SCENARIOS.filter((s) => s.rotation), ['production']))('keeps %s truthful under every single fault', async (_name, scenario, environment, index) => {
    // Act
    const problems = await faultProblems(scenario, environment, index);

    // Assess
    expect(problems).toEqual([]);
  }, 900_000);
});
