import { alarmRemediationScenarios } from './alarm-remediation.js';
import { backupVerificationScenarios } from './backup-verification.js';
import { drSimulationScenarios } from './dr-simulation.js';
import { failoverDrillScenarios } from './failover-drill.js';
import { postRotationScenarios } from './post-rotation.js';
import { restoreDrillScenarios } from './restore-drill.js';
import { rollbackScenarios } from './rollback.js';
import { rotateDbCredentialsScenarios } from './rotate-db-credentials.js';
import { rotateDjangoSecretKeyScenarios } from './rotate-django-secret-key.js';
import { rotateOwnerSecretScenarios } from './rotate-owner-secret.js';
import { rotateRedisAuthScenarios } from './rotate-redis-auth.js';
import type { Scenario } from './scenario.js';
import { scalingOverrideScenarios } from './scaling-override.js';
import { smokeTestScenarios } from './smoke-test.js';

/** Every rehearsal scenario, one module per workflow (`rehearsal/scenarios/<workflow>.ts`), in the main job's order. */
export const SCENARIOS: readonly Scenario[] = [
  ...backupVerificationScenarios,
  ...restoreDrillScenarios,
  ...postRotationScenarios,
  ...rotateDbCredentialsScenarios,
  ...rotateRedisAuthScenarios,
  ...rotateDjangoSecretKeyScenarios,
  ...rotateOwnerSecretScenarios,
  ...scalingOverrideScenarios,
  ...alarmRemediationScenarios,
  ...failoverDrillScenarios,
  ...smokeTestScenarios,
  ...rollbackScenarios,
  ...drSimulationScenarios,
];

/** The scenario a workflow is rehearsed in by default: its first. */
export function findScenario(workflow: string, name?: string): Scenario {
  const candidates = SCENARIOS.filter((s) => s.workflow === workflow);
  const found = name ? candidates.find((s) => s.name === name) : candidates[0];
  if (!found) {
    const known = candidates.map((s) => s.name).join(', ') || 'none';
    throw new Error(`No rehearsal scenario ${name ?? ''} for ${workflow} (scenarios: ${known}; workflows: ${[...new Set(SCENARIOS.map((s) => s.workflow))].join(', ')})`);
  }
  return found;
}
