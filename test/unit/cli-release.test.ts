import { ECSClient } from '@aws-sdk/client-ecs';
import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { jest } from '@jest/globals';
import type { CliContext } from '../../cli/commands/context.js';
import { rollbackCommandText } from '../../cli/commands/rollback.js';
import { runOpsCommand } from '../../cli/commands/ops-verbs.js';
import { deployStatus, formatStatus } from '../../cli/release.js';
import { WORKFLOWS } from '../../contracts/workflows.js';
import { environmentConfig } from '../../infra/config.js';
import { RELEASE_DEPLOYMENT, RELEASE_SHA, simulateRelease } from '../../rehearsal/simulated/release.js';
import { SimulatedAccount } from '../../rehearsal/simulated/account.js';

const account = new SimulatedAccount();
afterEach(() => account.reset());
afterAll(() => account.restore());
const context: CliContext = { sfn: () => new SFNClient({}), region: () => 'us-east-1', now: () => new Date(), sleep: async () => undefined };
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
  const stateMachines = (prefix: string, account: string) => ({
    stateMachines: WORKFLOWS.map((workflow) => ({ name: `${prefix}-${workflow}`, stateMachineArn: `arn:aws:states:us-east-1:${account}:stateMachine:${prefix}-${workflow}`, type: 'STANDARD' as const, creationDate: new Date(0) })),
  });

  it('starts staging’s rollback workflow with the input /ops rollback starts, and changes nothing itself', async () => {
    // Prepare
    const sfn = account.mock(SFNClient);
    sfn.on(ListStateMachinesCommand).resolves(stateMachines('financehub-staging', '111111111111'));
    sfn.on(StartExecutionCommand).callsFake(async (input: { name: string }) => ({ executionArn: `arn:aws:states:us-east-1:111111111111:execution:financehub-staging-rollback:${input.name}`, startDate: new Date() }));
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);

    // Act
    await runOpsCommand(context, rollbackCommandText('backend', 'staging', 'bad release'), { follow: false, requestedBy: 'ana' });

    // Assess
    const starts = account.calls().filter((call) => call.command === 'StartExecution');
    expect(starts).toHaveLength(1);
    expect(starts[0]?.input).toMatchObject({ stateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:financehub-staging-rollback' });
    expect(JSON.parse(String((starts[0]?.input as { input: string }).input))).toEqual({ environment: 'staging', service: 'backend', reason: 'bad release', requestedBy: 'ana' });
    expect(account.calls().map((call) => call.command)).not.toContain('UpdateService');
    log.mockRestore();
  });

  it('asks for the second person in production as the caller\'s AWS identity: an identity mapped to nobody is refused and nothing starts', async () => {
    // Prepare
    account.mock(STSClient).on(GetCallerIdentityCommand).resolves({ UserId: 'AROAOPS:mallory', Arn: 'arn:aws:sts::222222222222:assumed-role/Ops/mallory', Account: '222222222222' });
    account.mock(SSMClient).on(GetParameterCommand).resolves({
      Parameter: { Value: JSON.stringify({ teamId: 'T0FINHUB', channels: ['C0OPS'], operators: ['U0ALICE'], approvers: ['U0BOB'], commands: {}, awsIdentities: { 'AROAOPS:alice': 'U0ALICE' } }) },
    });

    // Act
    const rollback = runOpsCommand(context, rollbackCommandText('backend', 'production', 'bad release'), { follow: false });

    // Assess
    await expect(rollback).rejects.toThrow('Your AWS identity AROAOPS:mallory (arn:aws:sts::222222222222:assumed-role/Ops/mallory) is not mapped to a person');
    expect(account.calls().map((call) => call.command)).toEqual(['GetCallerIdentity', 'GetParameter']);
  });

  it('refuses --requested-by in production, where the request is made as the caller\'s AWS identity, before anything reaches AWS', async () => {
    // Act
    const rollback = runOpsCommand(context, rollbackCommandText('backend', 'production', 'bad release'), { follow: false, requestedBy: 'ana' });

    // Assess
    await expect(rollback).rejects.toThrow('--requested-by is not taken here');
    expect(account.calls()).toEqual([]);
  });
});
