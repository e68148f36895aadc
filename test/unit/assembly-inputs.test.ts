import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ASSEMBLY_ENTRY_POINTS, deployedAppEntryPoints } from '../../rehearsal/assembly.js';
import { currentInputs, followImports, freshInputsRecord, writeInputsRecord } from '../../rehearsal/assembly-inputs.js';

describe('the rehearsal assembly’s inputs', () => {
  it('follow the synthesized app’s imports into the function and contract modules the workflow modules use', () => {
    // Act
    const inputs = followImports(ASSEMBLY_ENTRY_POINTS);

    // Assess
    expect(inputs).toEqual(
      expect.arrayContaining([
        'infra/financehub.ts',
        'infra/workflows/alarm-remediation.ts',
        // Imported by the alarm-remediation workflow module for the RDS event ids its rule matches.
        'functions/alarm-remediation/events.ts',
        'contracts/environments.ts',
        'package-lock.json',
        'tsconfig.json',
      ]),
    );
    // Handlers are bundled only for deployment, which the assembly skips: editing one leaves it fresh.
    expect(inputs.filter((input) => input.endsWith('/handler.ts'))).toEqual([]);
  });

  it('of the deployed app include every handler and the shared modules it bundles', () => {
    // Act
    const inputs = followImports(deployedAppEntryPoints());

    // Assess
    expect(inputs).toEqual(expect.arrayContaining(['infra/financehub.ts', 'functions/slack-ops/handler.ts', 'functions/restore-drill/handler.ts', 'functions/lib/powertools.ts']));
  });
});

describe('an assembly’s freshness', () => {
  let root: string;
  let outdir: string;
  const entryPoints = ['app/main.ts'];

  /** A small project: an entry point importing a module of a sibling folder, and an assembly synthesized from it. */
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'assembly-inputs-'));
    mkdirSync(path.join(root, 'app'));
    mkdirSync(path.join(root, 'lib'));
    writeFileSync(path.join(root, 'app', 'main.ts'), "import { size } from '../lib/size.js';\nexport const app = size;\n");
    writeFileSync(path.join(root, 'lib', 'size.ts'), 'export const size = 3;\n');
    writeFileSync(path.join(root, 'package-lock.json'), '{}\n');
    writeFileSync(path.join(root, 'tsconfig.json'), '{}\n');
    outdir = path.join(root, 'cdk.out');
    mkdirSync(outdir);
    writeFileSync(path.join(outdir, 'manifest.json'), '{}\n');
    writeFileSync(path.join(outdir, 'App.template.json'), '{"Resources":{"Topic":{}}}\n');
    writeInputsRecord(outdir, { ...currentInputs(entryPoints, root), summary: ['3 stacks'] });
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('holds while no input changed, with what the synthesis reported', () => {
    // Act
    const record = freshInputsRecord(outdir, entryPoints, root);

    // Assess
    expect(record?.files).toEqual(['app/main.ts', 'lib/size.ts', 'package-lock.json', 'tsconfig.json']);
    expect(record?.summary).toEqual(['3 stacks']);
  });

  it.each([
    ['an imported module changes', () => appendFileSync(path.join(root, 'lib', 'size.ts'), 'export const more = 4;\n')],
    ['the lockfile changes', () => writeFileSync(path.join(root, 'package-lock.json'), '{"lockfileVersion":3}\n')],
    ['an imported module is deleted', () => rmSync(path.join(root, 'lib', 'size.ts'))],
    ['a file appears beside an imported module', () => writeFileSync(path.join(root, 'lib', 'size.js'), 'export const size = 5;\n')],
    ['the manifest is gone', () => rmSync(path.join(outdir, 'manifest.json'))],
    ['another synthesis rewrote a template', () => writeFileSync(path.join(outdir, 'App.template.json'), '{"Resources":{}}\n')],
  ])('is lost when %s', (_change, change) => {
    // Act
    change();

    // Assess
    expect(freshInputsRecord(outdir, entryPoints, root)).toBeUndefined();
  });

  it('is lost for other entry points', () => {
    // Prepare
    writeFileSync(path.join(root, 'app', 'other.ts'), 'export const other = 1;\n');

    // Act
    const record = freshInputsRecord(outdir, [...entryPoints, 'app/other.ts'], root);

    // Assess
    expect(record).toBeUndefined();
  });

  it('comes back when a changed module is restored', () => {
    // Prepare
    writeFileSync(path.join(root, 'lib', 'size.ts'), 'export const size = 4;\n');
    expect(freshInputsRecord(outdir, entryPoints, root)).toBeUndefined();

    // Act
    writeFileSync(path.join(root, 'lib', 'size.ts'), 'export const size = 3;\n');

    // Assess
    expect(freshInputsRecord(outdir, entryPoints, root)).toBeDefined();
  });
});
