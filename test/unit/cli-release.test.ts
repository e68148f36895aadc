import { ECSClient } from '@aws-sdk/client-ecs';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { RollbackRefused, deployStatus, formatStatus, rollbackService } from '../../cli/release.js';
import { environmentConfig } from '../../infra/config.js';
import { RELEASE_DEPLOYMENT, RELEASE_SHA, simulateRelease } from '../../rehearsal/scenarios/smoke-test.js';
import { SimulatedAccount } from '../../rehearsal/simulated/account.js';

const account = new SimulatedAccount();
afterEach(() => account.reset());
afterAll(() => account.restore());
const TD = (environment: string, account: string, revision: number) => `arn:aws:ecs:us-east-1:${account}:task-definition/financehub-${environment}-backend:${revision}`;

describe('fhops deploy-status', () => {
  it('shows what the backend runs, who deployed it, and the verdict of the smoke test of that deployment', async () => {
    // Prepare
    simulateRelease(account, 'staging');
    account.mock(SFNClient).on(ListExecutionsCommand).resolves({
      executions: [
        { name: 'backend-ecs-svc-4711000000000000042', status: 'SUCCEEDED', startDate: new Date('2026-12-01T14:05:01Z'), executionArn: 'arn:x:1', stateMachineArn: 'arn:x' },
        { name: 'backend-ecs-svc-1000', status: 'FAILED', startDate: new Date('2026-11-30T09:00:00Z'), executionArn: 'arn:x:2', stateMachineArn: 'arn:x' },
      ],
    });

    // Act
    const rows = await deployStatus({ ecs: new ECSClient({}), sfn: new SFNClient({}) }, environmentConfig('staging'));

    // Assess
    const backend = rows.find((row) => row.service === 'backend');
    expect(backend).toMatchObject({ taskDefinition: TD('staging', '111111111111', 8), commit: RELEASE_SHA, deployedBy: 'alice', primaryDeploymentId: RELEASE_DEPLOYMENT });
    expect(backend?.lastSmokeTest).toEqual({ name: 'backend-ecs-svc-4711000000000000042', status: 'SUCCEEDED', startedAt: '2026-12-01T14:05:01.000Z', ofCurrentDeployment: true });
    expect(formatStatus(rows).find((line) => line.startsWith('backend'))).toBe(
      `backend   financehub-staging-backend:8 image ${RELEASE_SHA} commit ${RELEASE_SHA} by alice, ?/? tasks, rollout ?, smoke test passed`,
    );
  });
});

describe('fhops rollback', () => {
  it('rolls staging back to the definition the release replaced and reads back what runs', async () => {
    // Prepare
    const release = simulateRelease(account, 'staging');

    // Act
    const { rolledBack } = await rollbackService(new ECSClient({}), environmentConfig('staging'), 'backend', () => new Date());

    // Assess
    expect(rolledBack).toMatchObject({ toTaskDefinition: TD('staging', '111111111111', 7), fromTaskDefinition: TD('staging', '111111111111', 8), alreadyRolledBack: false });
    expect(release.current()).toBe(TD('staging', '111111111111', 7));
  });

  it('refuses production, changes nothing, and says how two people roll back', async () => {
    // Prepare
    const release = simulateRelease(account, 'production');

    // Act
    const rollback = rollbackService(new ECSClient({}), environmentConfig('production'), 'backend', () => new Date());

    // Assess
    await expect(rollback).rejects.toThrow(RollbackRefused);
    await expect(rollback).rejects.toThrow(`--task-definition ${TD('production', '222222222222', 7)}`);
    expect(account.calls().filter((call) => call.command === 'UpdateService')).toEqual([]);
    expect(release.current()).toBe(TD('production', '222222222222', 8));
  });
});
