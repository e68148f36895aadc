import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { CREDENTIAL_FALLBACKS_NEVER_LOADED_IN_LAMBDA as LEFT_OUT, handlerEntry, localBuildOptions } from '../../infra/constructs/ops-function.js';

const functions = readdirSync(join(handlerEntry('lib'), '..', '..')).filter((name) => name !== 'lib');
// Bundling a function takes a few seconds on a loaded machine; this is not a timing test (npm run bench measures).
const BUNDLE_TIMEOUT_MS = 60_000;

describe('function bundles', () => {
  it.each(functions)('%s leaves out only the credential fallbacks, and only where they load on demand', async (name) => {
    // Act
    const { metafile } = await build({ ...localBuildOptions(name), write: false, outdir: '/tmp', metafile: true });

    // Assess
    const imports = Object.values(metafile.inputs).flatMap((input) => input.imports);
    const external = imports.filter((i) => i.external && !builtinModules.includes(i.path.replace(/^node:/, '')));
    expect(external.length).toBeGreaterThan(0);
    // pg's optional native binding is required only when pg.native is read, which this project never does.
    const allowed = (i: { path: string; kind: string }) => (i.path === 'pg-native' ? i.kind === 'require-call' : LEFT_OUT.includes(i.path) && i.kind === 'dynamic-import');
    expect(external.filter((i) => !allowed(i))).toEqual([]);
    expect(Object.keys(metafile.inputs).some((input) => input.includes('@aws-sdk/credential-provider-env/'))).toBe(true);
  }, BUNDLE_TIMEOUT_MS);

  it('resolves the credentials Lambda sets in the environment without the fallbacks', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'bundle-credentials-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      "import { SNSClient } from '@aws-sdk/client-sns';\nconst { accessKeyId } = await new SNSClient({ region: 'us-east-1' }).config.credentials();\nconsole.log(accessKeyId);\n",
    );
    await build({ ...localBuildOptions('notify-slack'), entryPoints: [entry], outfile: join(dir, 'index.mjs'), nodePaths: [join(process.cwd(), 'node_modules')] });
    const run = (env: Record<string, string>) => spawnSync(process.execPath, [join(dir, 'index.mjs')], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', AWS_EC2_METADATA_DISABLED: 'true', ...env } });

    // Act
    const inLambda = run({ AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' });
    const withoutCredentials = run({});
    rmSync(dir, { recursive: true, force: true });

    // Assess
    expect(inLambda.stdout.trim()).toBe('ASIAEXAMPLE');
    expect(withoutCredentials.status).not.toBe(0);
    expect(withoutCredentials.stderr).toContain('@aws-sdk/credential-provider-ini');
  });
});
