import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONTEXT, environmentConfig, stackPrefix } from '../infra/config.js';
import type { EnvironmentName } from '../contracts/environments.js';
import { currentInputs, freshInputsRecord, writeInputsRecord } from './assembly-inputs.js';
import { type CloudFormationTemplate, type ResolvedStateMachine, collectExports, findStateMachine, resolveStateMachine, resolveTemplateValue } from './definition.js';

/**
 * The synthesized app as the local executor reads it: both environments, Lambda bundling skipped (templates are
 * the same without esbuild's time) and without the cdk-nag packs (the infra tests hold those), written once into a
 * cloud assembly directory that tests and `fhops --local` read.
 */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where the workflow tests keep their assembly. */
export const TEST_ASSEMBLY_DIR = path.join(repositoryRoot, 'cdk.out', 'test-assembly');

/** The app's module: bundling is skipped, so the handlers are no input of this assembly. */
export const ASSEMBLY_ENTRY_POINTS = ['infra/financehub.ts'];

/** The deployed app's inputs begin at the app's module and at every handler its functions bundle. */
export function deployedAppEntryPoints(): string[] {
  const handlers = readdirSync(path.join(repositoryRoot, 'functions'))
    .map((folder) => `functions/${folder}/handler.ts`)
    .filter((handler) => existsSync(path.join(repositoryRoot, handler)));
  return [...ASSEMBLY_ENTRY_POINTS, ...handlers];
}

/** True when `outdir` holds an assembly synthesized from exactly the files the app is built from now. */
export function isAssemblyFresh(outdir: string): boolean {
  return freshInputsRecord(outdir, ASSEMBLY_ENTRY_POINTS) !== undefined;
}

/** Synthesizes staging and production (with their DR stacks) into `outdir`. */
export async function synthesizeAssembly(outdir: string): Promise<void> {
  // Read before the app's modules load, so that an edit made meanwhile leaves the assembly stale, never fresh.
  const inputs = currentInputs(ASSEMBLY_ENTRY_POINTS);
  // Loaded only to synthesize: a run that finds its assembly fresh never pays for aws-cdk-lib.
  const [{ App }, { FEATURE_FLAGS, buildEnvironments }] = await Promise.all([import('aws-cdk-lib'), import('../infra/financehub.js')]);
  // NodejsFunction looks for the lock file from the working directory up: an installed fhops runs from anywhere.
  const workingDirectory = process.cwd();
  const target = path.resolve(workingDirectory, outdir);
  process.chdir(repositoryRoot);
  try {
    const app = new App({ outdir: target, context: { 'aws:cdk:bundling-stacks': [], ...FEATURE_FLAGS } });
    buildEnvironments(app, DEFAULT_CONTEXT);
    app.synth();
    writeInputsRecord(target, inputs);
  } finally {
    process.chdir(workingDirectory);
  }
}

/** The templates of one environment's stacks, by stack name. */
export function readEnvironmentTemplates(outdir: string, environment: EnvironmentName): Record<string, CloudFormationTemplate> {
  const prefix = `${stackPrefix(environmentConfig(environment, DEFAULT_CONTEXT))}-`;
  const files = readdirSync(outdir).filter((file) => file.startsWith(prefix) && file.endsWith('.template.json'));
  if (files.length === 0) throw new Error(`No ${environment} templates in ${outdir}: synthesize the assembly first`);
  return Object.fromEntries(
    files.map((file) => [file.slice(0, -'.template.json'.length), JSON.parse(readFileSync(path.join(outdir, file), 'utf8')) as CloudFormationTemplate]),
  );
}

/**
 * One environment's state machine, resolved to ASL: by logical id or a part of its logical id or physical name
 * (`restore-drill`); cross-stack references are resolved through the other stacks' exports.
 */
export function loadStateMachineFromAssembly(outdir: string, environment: EnvironmentName, idOrNamePart: string): ResolvedStateMachine {
  const config = environmentConfig(environment, DEFAULT_CONTEXT);
  const options = { region: config.region, account: config.account };
  const templates = readEnvironmentTemplates(outdir, environment);
  const imports = collectExports(Object.values(templates), options);
  const found = Object.values(templates).flatMap((template) => {
    const logicalId = findStateMachine(template, idOrNamePart, options);
    return logicalId ? [{ template, logicalId }] : [];
  });
  const [match] = found;
  if (!match) throw new Error(`No ${environment} state machine matches "${idOrNamePart}"`);
  if (found.length > 1) throw new Error(`"${idOrNamePart}" matches ${found.length} ${environment} state machines: ${found.map((f) => f.logicalId).join(', ')}`);
  return resolveStateMachine(match.template, match.logicalId, { ...options, imports });
}

/**
 * The environment variables of one of the environment's functions (by its folder name, `restore-drill`) as
 * deployed, references resolved to the same placeholders as the state machines: run the handler with them.
 */
export function loadFunctionEnvironment(outdir: string, environment: EnvironmentName, functionName: string): Record<string, string> {
  return loadFunction(outdir, environment, functionName).environment;
}

/** One of the environment's functions (by its folder name) as deployed: its variables, resolved, and its timeout. */
export function loadFunction(outdir: string, environment: EnvironmentName, functionName: string): { environment: Record<string, string>; timeoutSeconds: number } {
  const config = environmentConfig(environment, DEFAULT_CONTEXT);
  const options = { region: config.region, account: config.account };
  const templates = Object.values(readEnvironmentTemplates(outdir, environment));
  const imports = collectExports(templates, options);
  for (const template of templates) {
    for (const resource of Object.values(template.Resources ?? {})) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
      if (variables?.POWERTOOLS_SERVICE_NAME !== functionName) continue;
      const resolved = resolveTemplateValue(template, variables, { ...options, imports }) as Record<string, unknown>;
      const timeout = resource.Properties?.Timeout;
      // Lambda's default timeout is 3 seconds.
      return { environment: Object.fromEntries(Object.entries(resolved).map(([key, value]) => [key, String(value)])), timeoutSeconds: typeof timeout === 'number' ? timeout : 3 };
    }
  }
  throw new Error(`No ${environment} function named ${functionName} in ${outdir}`);
}
