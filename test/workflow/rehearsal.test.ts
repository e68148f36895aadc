import { rehearse } from '../../cli/rehearsal/rehearse.js';
import { SCENARIOS } from '../../cli/rehearsal/scenarios.js';

describe('fhops rehearse', () => {
  it.each(SCENARIOS.map((s) => [s.workflow, s.name, s] as const))('rehearses %s (%s) offline to the outcome its scenario expects', async (_workflow, _name, scenario) => {
    // Act
    const { run, calls } = await rehearse(scenario, 'staging');

    // Assess
    expect(run.status).toBe(scenario.expect);
    expect(run.transitions).toBeGreaterThan(0);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.some((call) => call.startsWith('SNS:Publish'))).toBe(true);
  }, 60_000);
});
