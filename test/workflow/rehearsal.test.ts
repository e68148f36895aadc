import { type HandlerModule, rehearse, replaceClients } from '../../rehearsal/rehearse.js';
import { SCENARIOS, type Scenario, findScenario } from '../../rehearsal/scenarios/index.js';
import { formatNotification, severityOf } from '../../functions/notify-slack/format.js';
import type { Notification } from '../../functions/notify-slack/messages.js';
import { blockKitProblems } from '../support/block-kit.js';

describe('fhops rehearse', () => {
  it.each(SCENARIOS.map((s) => [s.workflow, s.name, s] as const))('rehearses %s (%s) offline to the outcome its scenario expects', async (_workflow, _name, scenario) => {
    // Act
    const { run, calls, published } = await rehearse(scenario, 'staging');

    // Assess
    expect(run.status).toBe(scenario.expect);
    expect(run.transitions).toBeGreaterThan(0);
    expect(calls.length).toBeGreaterThan(0);
    // Every message on-call reads says what happened and how to undo it; the last one gives the outcome.
    expect(published.length).toBeGreaterThan(0);
    for (const result of published) expect(result).toMatchObject({ workflow: scenario.workflow, environment: 'staging', howToUndo: expect.any(String) });
    expect(published.at(-1)?.outcome === 'failed').toBe(scenario.expect === 'FAILED');
    // ...in a message Slack accepts.
    for (const result of published) {
      const notification: Notification = { kind: 'ops-result', result };
      expect(blockKitProblems(formatNotification(notification, severityOf(notification), { region: 'us-east-1' }))).toEqual([]);
    }
  }, 60_000);

  it('measures the failover drill on the simulated clock: the phases take the simulated time, not the rehearsal’s', async () => {
    // Act
    const { published } = await rehearse(findScenario('failover-drill'), 'staging');

    // Assess
    expect(published[0]).toMatchObject({ environment: 'staging', outcome: 'succeeded', requestedBy: 'rehearsal' });
    expect(published[0]?.measurements.map((m) => [m.name, m.value])).toEqual([
      ['Database failover', 45],
      ['Cache failover', 30],
      ['Time to healthy application', 120],
    ]);
  }, 60_000);

  it('swaps a scenario’s clients into the functions for the rehearsal and puts the real ones back', () => {
    // Prepare
    const realNow = () => new Date();
    const module: HandlerModule = { handler: async () => undefined, dependencies: { clients: { now: realNow } } };
    const simulatedNow = () => new Date(0);

    // Act
    const putBack = replaceClients([module], { now: simulatedNow });
    const during = module.dependencies?.clients?.now;
    putBack();

    // Assess
    expect(during).toBe(simulatedNow);
    expect(module.dependencies?.clients?.now).toBe(realNow);
  });

  it('refuses a scenario that replaces a client no function of the rehearsal has', async () => {
    // Prepare
    const base = findScenario('backup-verification');
    const broken: Scenario = { ...base, script: (account, environment, name) => ({ ...base.script(account, environment, name), functionClients: { now: () => new Date(0) } }) };

    // Act and assess
    await expect(rehearse(broken, 'staging')).rejects.toThrow('The scenario replaces the client "now", but no function of the rehearsal exports it in dependencies.clients');
  }, 60_000);
});
