import type { EnvironmentName } from '../../../contracts/environments.js';
import { TEST_ASSEMBLY_DIR, loadFunctionEnvironment, loadStateMachineFromAssembly } from '../../../rehearsal/assembly.js';
import type { ResolvedStateMachine } from '../../../rehearsal/definition.js';

export { type DeployedHandler, inProcess, lambdaContext, runWorkflow, type RunWorkflowOptions, type WorkflowRun } from '../../../rehearsal/executor.js';
export type { ResolvedStateMachine, TaskBinding } from '../../../rehearsal/definition.js';

const cache = new Map<string, ResolvedStateMachine>();

/**
 * A state machine of the synthesized app (written once per test run by the workflow project's globalSetup),
 * resolved to plain ASL with its Task bindings: by logical id or a part of its logical id or physical name.
 */
export function loadStateMachine(environment: EnvironmentName, stateMachineLogicalIdOrNamePart: string): ResolvedStateMachine {
  const key = `${environment}/${stateMachineLogicalIdOrNamePart}`;
  let resolved = cache.get(key);
  if (!resolved) {
    resolved = loadStateMachineFromAssembly(TEST_ASSEMBLY_DIR, environment, stateMachineLogicalIdOrNamePart);
    cache.set(key, resolved);
  }
  return resolved;
}

/**
 * A function's environment variables as the synthesized template sets them (references resolved to placeholders),
 * plus what the Lambda runtime provides: build its handler with them (`createHandler({ environment })`).
 */
export function functionEnvironment(environment: EnvironmentName, functionName: string): Record<string, string> {
  return {
    ...loadFunctionEnvironment(TEST_ASSEMBLY_DIR, environment, functionName),
    AWS_REGION: 'us-east-1',
  };
}

/**
 * Powertools reads its settings from the process once, when the shared logger, metrics and tracer are created:
 * call before importing a handler factory so the tests log nothing and send no traces or metrics.
 */
export function quietPowertools(): void {
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_TRACE_DISABLED: 'true',
    POWERTOOLS_METRICS_DISABLED: 'true',
    // Powertools writes its own warnings through the global console then, so tests can filter them.
    POWERTOOLS_DEV: 'true',
  });
}

/** Hides Powertools' "No application metrics to publish" warning (steps that measure nothing); other warnings still show. */
export function quietEmptyMetricsWarnings(): void {
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('No application metrics to publish')) return;
    warn(...args);
  };
}
