import type { EnvironmentName } from '../../contracts/environments.js';
import type { SimulatedAccount } from '../simulated/account.js';
import { type SimulatedRelease, simulateRelease } from '../simulated/release.js';
import { type FourEyesWorld, type Roster, approvedInput, fourEyesWorld } from './four-eyes.js';
import { type Scenario, published } from './scenario.js';

export interface RollbackWorldOptions {
  /** Who may ask and approve. @default the rehearsal's roster */
  readonly roster?: Roster;
}

export interface RollbackWorld {
  /** The backend's release: revision 8, which replaced revision 7. */
  readonly release: SimulatedRelease;
  /** Where a production rollback's approval is recorded and verified. */
  readonly approvals: FourEyesWorld;
}

/** The rollback's account: the backend's release in ECS, the approvals table and roster, the notification topic. */
export function rollbackWorld(account: SimulatedAccount, environment: EnvironmentName, options: RollbackWorldOptions = {}): RollbackWorld {
  const approvals = fourEyesWorld(account, environment, { roster: options.roster });
  const release = simulateRelease(account, environment);
  published(account);
  return { release, approvals };
}

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
    const input = rollbackInput(environment);
    const { approvals } = rollbackWorld(account, environment);
    if (input.approvalId) approvals.record({ workflow: 'rollback', input, at: clock.now() });
    return {};
  },
};

export const rollbackScenarios: readonly Scenario[] = [previousRelease];
