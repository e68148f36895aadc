import { assemblyInputs } from '../../rehearsal/assembly.js';

describe('the rehearsal assembly’s freshness', () => {
  it('follows the synthesized app’s imports into the function and contract modules the workflow modules use', () => {
    // Act
    const inputs = assemblyInputs();

    // Assess
    expect(inputs).toEqual(
      expect.arrayContaining([
        'infra/financehub.ts',
        'infra/workflows/alarm-remediation.ts',
        // Imported by the alarm-remediation workflow module for the RDS event ids its rule matches.
        'functions/alarm-remediation/events.ts',
        'contracts/environments.ts',
        'package-lock.json',
      ]),
    );
    // Handlers are bundled only for deployment, which the assembly skips: editing one leaves it fresh.
    expect(inputs.filter((input) => input.endsWith('/handler.ts'))).toEqual([]);
  });
});
