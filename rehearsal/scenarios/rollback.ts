import type { EnvironmentName } from '../../contracts/environments.js';
import { simulateRelease } from '../simulated/release.js';
import { approvedInput, recordApproval } from './four-eyes.js';
import { type Scenario, published } from './scenario.js';

const rollbackInput = (environment: EnvironmentName) =>
  approvedInput('rollback', environment, { environment, service: 'backend', reason: 'smoke test failed: /api/health answered 503', requestedBy: 'rehearsal' });

const previousRelease: Scenario = {
  workflow: 'rollback',
  name: 'previous-release',
  description: 'backend revision 8 back to revision 7, the release it replaced, read back from ECS (production: on a second person’s approval)',
  expect: 'SUCCEEDED',
  functions: ['verify-approval', 'rollback'],
  input: (environment) => rollbackInput(environment),
  script: (account, environment, _executionName, { clock }) => {
    recordApproval(account, 'rollback', environment, rollbackInput(environment), clock.now());
    simulateRelease(account, environment);
    published(account);
    return {};
  },
};

export const rollbackScenarios: readonly Scenario[] = [previousRelease];
