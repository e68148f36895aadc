import { readFileSync } from 'node:fs';
import { figuresTable, renderDiagrams, withDiagrams } from '../../infra/architecture/diagram.js';
import { synthesizeApp } from './support/synth.js';

describe('docs/architecture.md', () => {
  const { app, staging, production } = synthesizeApp();
  const page = readFileSync('docs/architecture.md', 'utf8');

  it('shows the figures, stacks and workflows the code has now (npm run docs:architecture regenerates them)', () => {
    // Act
    const fresh = withDiagrams(page, renderDiagrams(app, 'staging', staging.config.prefix, figuresTable(staging.config, production.config)));

    // Assess
    expect(page).toBe(fresh);
  });

  it('draws each workflow from its trigger through its state machine to the functions it runs', () => {
    // Assess
    expect(page).toContain('sm_restore_drill_t0(["schedule cron(0 6 ? * TUE#1 *)"]) --> sm_restore_drill');
    expect(page).toContain('sm_alarm_remediation_t0(["rule remediation-alarms via alarm-remediation-start"]) --> sm_alarm_remediation');
    expect(page).toContain('sm_restore_drill --> restore_drill_fn_restore_drill["λ restore-drill"]');
    expect(page).toMatch(/restore_drill_fn_restore_drill_aws\[\/"[^"]*rds[^"]*"\/\]/);
    // A trigger is what may start the machine, not what may list it: the smoke test starts only from its ECS rule.
    expect(page).toContain('sm_smoke_test_t0(["rule smoke-test-deployments via smoke-test-start"]) --> sm_smoke_test');
    expect(page).not.toContain('sm_smoke_test_t1');
  });

  it('cites the architecture document by its title, never by a path a clone does not have', () => {
    // Prepare
    const pages = ['docs/architecture.md', 'docs/deviations.md', 'infra/config.ts', 'README.md'].map((file) => readFileSync(file, 'utf8'));

    // Assess
    for (const text of pages) expect(text).not.toMatch(/seed-architecture|shared\//);
    expect(page).toContain('"Infrastructure Architecture for FinanceHub"');
  });
});
