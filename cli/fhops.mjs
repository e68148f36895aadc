#!/usr/bin/env node
// The `fhops` command (package.json bin): `npx fhops`, `npm link` and `npm install -g .` run this file with plain
// Node. It checks the Node version, then runs the TypeScript CLI through tsx's loader from this repository.
import process from 'node:process';
import { requireNode } from './require-node.mjs';

requireNode();
// `fhops rehearse --list | head`: a closed pipe ends the command quietly, as other commands do.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { tsImport } = await import('tsx/esm/api');
await tsImport('./fhops.ts', import.meta.url);
