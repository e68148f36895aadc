// jest globalSetup of the workflow project: synthesize the app once per test run (not once per test file).
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

export default function synthesizeOnce() {
  const script = fileURLToPath(new URL('./synthesize.ts', import.meta.url));
  const result = spawnSync(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`Synthesizing the app for the workflow tests failed (exit ${result.status})`);
}
