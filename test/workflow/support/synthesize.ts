/**
 * Synthesizes the app once for the workflow tests (jest globalSetup runs this in a child process through tsx,
 * since jest cannot load TypeScript ES modules there); skipped when the assembly was synthesized from the files the
 * app is built from now.
 * Several engineers run tests at once: a lock directory serializes the writers, and the new assembly is built aside
 * and swapped in, so no test reads a half-written template.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { isAssemblyFresh, synthesizeAssembly, TEST_ASSEMBLY_DIR } from '../../../rehearsal/assembly.js';
import { ensureAssembly } from '../../../rehearsal/rehearse.js';

const lock = `${TEST_ASSEMBLY_DIR}.lock`;
const LOCK_STALE_MS = 5 * 60_000;

function acquire(): void {
  const deadline = Date.now() + LOCK_STALE_MS;
  for (;;) {
    try {
      mkdirSync(lock, { recursive: false });
      return;
    } catch {
      // A lock left by a killed run is taken over once it is older than any synthesis takes.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
}

if (process.env.FORCE_SYNTH === '1' || !isAssemblyFresh(TEST_ASSEMBLY_DIR)) {
  mkdirSync(`${TEST_ASSEMBLY_DIR}/..`, { recursive: true });
  acquire();
  try {
    // Another run may have synthesized while this one waited.
    if (process.env.FORCE_SYNTH === '1' || !isAssemblyFresh(TEST_ASSEMBLY_DIR)) {
      const started = Date.now();
      const next = `${TEST_ASSEMBLY_DIR}.next-${process.pid}`;
      const previous = `${TEST_ASSEMBLY_DIR}.previous-${process.pid}`;
      await synthesizeAssembly(next);
      if (existsSync(TEST_ASSEMBLY_DIR)) renameSync(TEST_ASSEMBLY_DIR, previous);
      renameSync(next, TEST_ASSEMBLY_DIR);
      rmSync(previous, { recursive: true, force: true });
      console.warn(`workflow tests: synthesized ${TEST_ASSEMBLY_DIR} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

// The tests that call rehearse() read the rehearsal assembly: synthesized here when stale, never inside a test's timeout.
await ensureAssembly();
