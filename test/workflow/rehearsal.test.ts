import { rehearse } from '../../rehearsal/rehearse.js';
import { SCENARIOS, findScenario } from '../../rehearsal/scenarios/index.js';
import { formatNotification, severityOf } from '../../functions/notify-slack/format.js';
import type { Notification } from '../../functions/notify-slack/messages.js';
import { blockKitProblems } from '../support/block-kit.js';
import { ENVIRONMENTS } from '../../contracts/environments.js';

describe('fhops rehearse', () => {
  it.each(ENVIRONMENTS.flatMap((environment) => SCENARIOS.map((s) => [s.workflow, s.name, environment, s] as const)))('rehearses %s (%s) in %s offline to the outcome its scenario expects', async (_workflow, _name, environment, scenario) => {
    // Act
    const { run, calls, published } = await rehearse(scenario, environment);

    // Assess
    expect(run.status).toBe(scenario.expect);
    // A rotation that fails in a step runs no state machine: its path is the steps Secrets Manager ran.
    expect(scenario.rotation ? run.path.length : run.transitions).toBeGreaterThan(0);
    expect(calls.length).toBeGreaterThan(0);
    // Every message on-call reads says what happened and how to undo it; the last one gives the outcome. A report
    // Slack refused is told by the failed execution's alarm instead.
    const reportRefused = scenario.rotation?.failure === 'report';
    expect(published.length > 0).toBe(!reportRefused);
    // A rotation's messages come from the rotation function, the ingress (secret-rotation) and post-rotation.
    const workflows = scenario.rotation ? [scenario.workflow, 'secret-rotation', 'post-rotation'] : [scenario.workflow];
    for (const result of published) {
      expect(result).toMatchObject({ environment, howToUndo: expect.any(String) });
      expect(workflows).toContain(result.workflow);
    }
    expect(reportRefused || (published.at(-1)?.outcome === 'failed') === (scenario.expect === 'FAILED')).toBe(true);
    // ...in a message Slack accepts.
    for (const result of published) {
      const notification: Notification = { kind: 'ops-result', result };
      expect(blockKitProblems(formatNotification(notification, severityOf(notification), { region: 'us-east-1' }))).toEqual([]);
    }
  }, 60_000);

  it('tells on-call which service restarted and which did not when a forced deployment is rolled back after a rotation', async () => {
    // Act
    const { run, published } = await rehearse(findScenario('post-rotation', 'restart-rolled-back'), 'staging');

    // Assess
    expect(run.path).toContain('Report restart failure');
    expect(published.at(-1)).toMatchObject({ outcome: 'failed', severity: 'critical' });
    expect(published.at(-1)?.summary).toContain('financehub-staging-backend: the forced deployment failed and was rolled back');
    expect(published.at(-1)?.howToUndo).toContain('--force-new-deployment');
    expect(published.at(-1)?.howToUndo).toContain('update-secret-version-stage');
  }, 60_000);

  it('measures the failover drill on the simulated clock: the phases take the simulated time, not the rehearsal’s', async () => {
    // Act
    const { published } = await rehearse(findScenario('failover-drill'), 'staging');

    // Assess
    expect(published[0]).toMatchObject({ environment: 'staging', outcome: 'succeeded', requestedBy: 'rehearsal' });
    expect(published[0]?.measurements.map((m) => [m.name, m.value])).toEqual([
      ['Database failover', 45],
      ['Cache failover', 30],
      ['Time to healthy application', 95],
    ]);
  }, 60_000);
});
