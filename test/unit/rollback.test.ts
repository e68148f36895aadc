import { InvalidRollback, parseRollbackInput, planRollback, rollbackResult } from '../../functions/rollback/rollback.js';
import type { Release } from '../../functions/lib/release.js';

const SETTINGS = { environment: 'production' as const, clusterName: 'financehub-production', servicePrefix: 'financehub-production-' };
const TD = (revision: number) => `arn:aws:ecs:us-east-1:222222222222:task-definition/financehub-production-backend:${revision}`;
const release = (overrides: Partial<Release> = {}): Release => ({
  service: 'backend',
  serviceName: 'financehub-production-backend',
  taskDefinition: TD(8),
  imageTag: 'abc123',
  commit: 'abc123',
  deployedBy: 'alice',
  previousTaskDefinition: TD(7),
  isRollback: false,
  ...overrides,
});

describe('deciding a requested rollback', () => {
  it.each([
    ['rolls back to the release the running one replaced', release(), 'roll-back', `roll back to ${TD(7)}`],
    ['does not roll back a rollback further', release({ taskDefinition: TD(7), previousTaskDefinition: TD(8), isRollback: true }), 'none', 'a rollback is not rolled back further'],
    ['has nothing to roll back to without ECS’s record', release({ previousTaskDefinition: undefined }), 'none', 'nothing to roll back to'],
  ] as const)('%s', (_case, running, action, reason) => {
    // Act
    const plan = planRollback(running);

    // Assess
    expect(plan.action).toBe(action);
    expect(plan.reason).toContain(reason);
  });
});

describe('reading a rollback request', () => {
  it.each([
    [{ environment: 'production', service: 'database', requestedBy: 'U0ALICE' }, 'service: service must be one of frontend, backend, worker'],
    [{ environment: 'production', service: 'backend' }, 'requestedBy: requestedBy (who asks) is required'],
    [{ environment: 'staging', service: 'backend', requestedBy: 'U0ALICE' }, "environment: this is production's rollback workflow, not staging's"],
  ])('refuses %j, naming the field', (input, message) => {
    // Act
    const parse = () => parseRollbackInput(SETTINGS, input);

    // Assess
    expect(parse).toThrow(InvalidRollback);
    expect(parse).toThrow(message);
  });
});

describe('the rollback result', () => {
  it('says a refused rollback changed nothing, and who asked and approved', () => {
    // Act
    const result = rollbackResult(
      { read: { request: { service: 'backend', requestedBy: 'U0ALICE', approvedBy: 'U0BOB', reason: 'smoke test failed' }, release: release({ previousTaskDefinition: undefined }), plan: planRollback(release({ previousTaskDefinition: undefined })) } },
      SETTINGS,
      { startedAt: '2026-12-01T14:00:00Z' },
      new Date('2026-12-01T14:00:04Z'),
    );

    // Assess
    expect(result).toMatchObject({ verdict: 'not-rolled-back', outcome: 'failed', severity: 'warning', requestedBy: 'U0ALICE', durationSeconds: 4 });
    expect(result.summary).toBe(`Not rolled back (requested by U0ALICE, approved by U0BOB: smoke test failed): ECS has no record of the task definition ${TD(8)} replaced: nothing to roll back to. Nothing was changed.`);
  });
});
