import { pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';

// The configuration as `npm run lint` reads it (a JS module without types, so imported by URL).
const { default: config } = (await import(pathToFileURL('eslint.config.js').href)) as { default: Linter.Config[] };

/** Lints one import as if it were written in `filePath`, with the repository's lint configuration. */
async function lintImport(filePath: string, specifier: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: process.cwd(), overrideConfigFile: true, overrideConfig: config });
  const [result] = await eslint.lintText(`import { value } from '${specifier}';\nexport const copy = value;\n`, { filePath });
  return (result?.messages ?? []).filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('the import direction (cli, bench -> rehearsal -> infra -> functions -> contracts)', () => {
  it.each([
    ['contracts/planted.ts', '../functions/lib/workflows.js'],
    ['functions/lib/planted.ts', '../../infra/config.js'],
    ['functions/restore-drill/planted.ts', '../../rehearsal/executor.js'],
    ['infra/workflows/planted.ts', '../../rehearsal/assembly.js'],
    ['infra/planted.ts', '../cli/fhops.js'],
    ['infra/stacks/planted.ts', '../../events/alarm-high-cpu.json'],
    ['rehearsal/simulated/planted.ts', '../../cli/main-job.js'],
    ['cli/commands/planted.ts', '../../bench/stats.js'],
  ])('fails the lint when %s imports %s, against the direction', async (filePath, specifier) => {
    // Act
    const messages = await lintImport(filePath, specifier);

    // Assess
    expect(messages).toEqual([expect.stringContaining('imports run cli, bench -> rehearsal -> infra -> functions -> contracts')]);
  });

  it.each([
    ['functions/lib/planted.ts', '../../contracts/ops-result.js'],
    ['infra/workflows/planted.ts', '../../functions/lib/workflows.js'],
    ['infra/stacks/planted.ts', '../workflows/restore-drill.js'],
    ['rehearsal/scenarios/planted.ts', '../../infra/config.js'],
    ['rehearsal/scenarios/planted.ts', '../simulated/account.js'],
    ['cli/commands/planted.ts', '../../rehearsal/rehearse.js'],
    ['test/unit/planted.ts', '../../cli/main-job.js'],
  ])('lets %s import %s, with the direction', async (filePath, specifier) => {
    // Act
    const messages = await lintImport(filePath, specifier);

    // Assess
    expect(messages).toEqual([]);
  });
});
