import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

/**
 * What a cloud assembly was synthesized from, recorded beside it so that a later run can reuse it instead of
 * synthesizing again: the files esbuild follows from the app's entry points (packages stay external: the lockfile
 * pins them), hashed with the listing of every folder those files sit in (a file added there could change how an
 * import resolves). Any change to one of them, a file gone, or other entry points make the assembly stale. The check
 * reads the recorded files instead of following the imports again: a new import is a change to a recorded file.
 */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Inputs of every assembly: the lockfile pins aws-cdk-lib, cdk-nag, esbuild and the bundled SDK; tsconfig steers esbuild. */
const ALWAYS = ['package-lock.json', 'tsconfig.json'];

/** Beside the assembly's manifest. */
const RECORD_FILE = 'inputs.json';

export interface InputsRecord {
  /** Repository-relative entry points, sorted. */
  readonly entryPoints: readonly string[];
  /** Every file followed from them, repository-relative, sorted. */
  readonly files: readonly string[];
  readonly sha256: string;
  /** The hash of the assembly written from them (manifest and templates), so that a synthesis of other inputs into the same folder is noticed. */
  readonly assemblySha256?: string;
  /** What the synthesis reported (the main job prints it again when it reuses the assembly). */
  readonly summary?: readonly string[];
}

/** Every file the entry points import, transitively, with the files every assembly depends on (`root`: the repository's). */
export function followImports(entryPoints: readonly string[], root = repositoryRoot): string[] {
  const { metafile } = buildSync({
    entryPoints: [...entryPoints],
    absWorkingDir: root,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    write: false,
    outdir: 'not-written',
    metafile: true,
    logLevel: 'silent',
  });
  return [...new Set([...Object.keys(metafile.inputs), ...ALWAYS])].sort();
}

/** The hash of the files' contents and of their folders' listings; undefined when a file is gone. */
function digest(files: readonly string[], root: string): string | undefined {
  const hash = createHash('sha256');
  const folders = new Set<string>();
  for (const file of files) {
    const absolute = path.join(root, file);
    if (!existsSync(absolute)) return undefined;
    hash.update(file).update('\0').update(readFileSync(absolute)).update('\0');
    // The repository root itself is left out: cdk.out and other tools' folders come and go there.
    for (let folder = path.dirname(file); folder !== '.'; folder = path.dirname(folder)) folders.add(folder);
  }
  for (const folder of [...folders].sort()) hash.update(`${folder}/\0`).update(readdirSync(path.join(root, folder)).sort().join('\0')).update('\0');
  return hash.digest('hex');
}

/** The inputs as they are now: take this before the app is imported and synthesized, then write it beside the result. */
export function currentInputs(entryPoints: readonly string[], root = repositoryRoot): InputsRecord {
  const sorted = [...entryPoints].sort();
  const files = followImports(sorted, root);
  const sha256 = digest(files, root);
  if (sha256 === undefined) throw new Error(`An input of ${sorted.join(', ')} vanished while it was read`);
  return { entryPoints: sorted, files, sha256 };
}

/** The hash of the assembly's manifest and templates; undefined without a manifest. */
function assemblyDigest(outdir: string): string | undefined {
  if (!existsSync(path.join(outdir, 'manifest.json'))) return undefined;
  const hash = createHash('sha256');
  for (const file of ['manifest.json', ...readdirSync(outdir).filter((name) => name.endsWith('.template.json')).sort()]) {
    hash.update(file).update('\0').update(readFileSync(path.join(outdir, file))).update('\0');
  }
  return hash.digest('hex');
}

/** Records the inputs beside the assembly just synthesized into `outdir`. */
export function writeInputsRecord(outdir: string, record: Omit<InputsRecord, 'assemblySha256'>): void {
  writeFileSync(path.join(outdir, RECORD_FILE), `${JSON.stringify({ ...record, assemblySha256: assemblyDigest(outdir) }, null, 2)}\n`);
}

/**
 * The record of the assembly in `outdir` when that assembly was synthesized from these entry points and none of the
 * files it was built from changed since; undefined when it must be synthesized again.
 */
export function freshInputsRecord(outdir: string, entryPoints: readonly string[], root = repositoryRoot): InputsRecord | undefined {
  const file = path.join(outdir, RECORD_FILE);
  if (!existsSync(file)) return undefined;
  let record: InputsRecord;
  try {
    record = JSON.parse(readFileSync(file, 'utf8')) as InputsRecord;
  } catch {
    return undefined;
  }
  const sorted = [...entryPoints].sort();
  if (!Array.isArray(record.entryPoints) || !Array.isArray(record.files) || record.entryPoints.join('\0') !== sorted.join('\0')) return undefined;
  if (record.assemblySha256 === undefined || assemblyDigest(outdir) !== record.assemblySha256) return undefined;
  return digest(record.files, root) === record.sha256 ? record : undefined;
}
