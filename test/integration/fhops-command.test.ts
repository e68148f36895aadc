import { spawnSync } from 'node:child_process';

/** `fhops` as on-call runs it: the bin shim in a fresh process, with its exit codes. */
const fhops = (...args: string[]) => spawnSync(process.execPath, ['cli/fhops.mjs', ...args], { encoding: 'utf8', timeout: 60_000 });

describe('the fhops command', () => {
  it('runs from its bin with plain Node and documents its exit codes in --help', () => {
    // Act
    const result = fhops('--help');

    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: fhops');
    expect(result.stdout).toMatch(/Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 .*\n {2}3 /);
  }, 60_000);

  it('answers a mistyped environment with the nearest one and exit code 2, starting nothing', () => {
    // Act
    const result = fhops('rehearse', 'restore-drill', '--env', 'prod');

    // Assess
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Unknown environment: "prod". Did you mean "production"?');
    expect(result.stderr).toContain('Nothing was changed.');
  }, 60_000);

  it('prints the scenarios as JSON for scripts', () => {
    // Act
    const result = fhops('rehearse', '--list', '--output', 'json');

    // Assess
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toContainEqual(expect.objectContaining({ workflow: 'restore-drill', scenario: 'data-loss', expect: 'FAILED' }));
  }, 60_000);
});
