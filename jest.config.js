// ESM throughout (middy >= 5 is ESM-only), so ts-jest runs with useESM and jest with --experimental-vm-modules.
const transform = { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] };
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  testEnvironment: 'node',
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

// With maxWorkers 1 (what jest picks on a 2-core machine) every suite runs in jest's own process and the ESM module
// registries of 60+ suites pile up until the heap runs out (measured: 3.3 GB, rc 134). Two workers, each recycled
// once it idles above the limit, keep every process small.
export default {
  maxWorkers: 2,
  workerIdleMemoryLimit: '1536MB',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'workflow', testMatch: ['<rootDir>/test/workflow/**/*.test.ts'], globalSetup: '<rootDir>/test/workflow/support/global-setup.mjs' },
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
  ],
};
