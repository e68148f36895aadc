import { DescribeServicesCommand, type Deployment, ECSClient, type Service, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SimulatedAccount, publishedResults } from '../../rehearsal/simulated/account.js';
import type { OpsResult } from '../../contracts/ops-result.js';
import { POST_ROTATION_STATES as S } from '../../infra/workflows/post-rotation.js';
import { type DeployedHandler, type WorkflowRun, functionEnvironment, inProcess, loadStateMachine, quietEmptyMetricsWarnings, runWorkflow } from './support/workflow.js';

const CLUSTER = 'financehub-staging';
const SERVICES = ['financehub-staging-backend', 'financehub-staging-worker'];
const account = new SimulatedAccount();
const ecs = account.mock(ECSClient);
const sns = account.mock(SNSClient);
let handler: DeployedHandler;

const input = { secretId: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/db/app-AbCdEf', rotatedAt: new Date().toISOString(), cluster: CLUSTER, services: SERVICES };
const service = (name: string, rolloutState: Deployment['rolloutState'], deployments = 1): Service => ({
  serviceName: name,
  runningCount: 2,
  desiredCount: 2,
  deployments: [{ status: 'PRIMARY', rolloutState }, ...Array.from({ length: deployments - 1 }, (): Deployment => ({ status: 'ACTIVE', rolloutState: 'COMPLETED' }))],
});

function run(): Promise<WorkflowRun> {
  return runWorkflow({ definition: loadStateMachine('staging', 'post-rotation'), input, lambdas: { 'post-rotation': inProcess(handler, 'post-rotation') } });
}

const published = (): OpsResult[] => publishedResults(account);

beforeAll(async () => {
  Object.assign(process.env, functionEnvironment('staging', 'post-rotation'));
  quietEmptyMetricsWarnings();
  ({ handler } = (await import('../../functions/post-rotation/handler.js')) as { handler: DeployedHandler });
});

beforeEach(() => {
  account.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  ecs.on(UpdateServiceCommand).callsFake((request: { service: string }) => ({ service: { serviceName: request.service } }));
});

afterAll(() => account.restore());

describe('the post-rotation workflow', () => {
  it('restarts backend and worker, waits until both are steady, and publishes the success', async () => {
    // Prepare
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce({ services: [service(SERVICES[0]!, 'IN_PROGRESS', 2), service(SERVICES[1]!, 'IN_PROGRESS', 2)] })
      .resolves({ services: [service(SERVICES[0]!, 'COMPLETED'), service(SERVICES[1]!, 'COMPLETED')] });

    // Act
    const result = await run();

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.path).toEqual([
      S.restart, 'Force new deployment', 'Force new deployment',
      S.startPolling, S.wait, S.check, S.steady, S.wait, S.check, S.steady, S.report, 'Services use the new credentials',
    ]);
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual(
      SERVICES.map((name) => ({ cluster: CLUSTER, service: name, forceNewDeployment: true })),
    );
    expect(published()[0]).toMatchObject({ workflow: 'post-rotation', outcome: 'succeeded', severity: 'info' });
    expect(result.transitions).toBe(12);
  });

  it('reports a critical failure when a forced deployment rolls back, and stops polling', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({ services: [service(SERVICES[0]!, 'FAILED', 2), service(SERVICES[1]!, 'COMPLETED')] });

    // Act
    const result = await run();

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'PostRotationRestartFailed' });
    expect(result.path.slice(-3)).toEqual([S.check, S.reportFailure, S.failed]);
    const [report] = published();
    expect(report).toMatchObject({ outcome: 'failed', severity: 'critical' });
    expect(report?.summary).toContain('financehub-staging-backend: the forced deployment failed and was rolled back');
    expect(report?.howToUndo).toContain('old and new credentials both work');
  });

  it('gives up after the configured number of checks when the services never settle', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({ services: [service(SERVICES[0]!, 'IN_PROGRESS', 2), service(SERVICES[1]!, 'COMPLETED')] });

    // Act
    const result = await run();

    // Assess
    expect(result.status).toBe('FAILED');
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(Number(process.env.MAX_CHECKS));
    expect(published()[0]?.summary).toContain(`Not steady after ${process.env.MAX_CHECKS} checks`);
  });

  it('reports the restart as failed when ECS refuses the forced deployment', async () => {
    // Prepare
    ecs.on(UpdateServiceCommand).rejects(Object.assign(new Error('Service was not ACTIVE'), { name: 'ServiceNotActiveException' }));

    // Act
    const result = await run();

    // Assess
    expect(result.path[0]).toBe(S.restart);
    expect(result.path.slice(-2)).toEqual([S.reportFailure, S.failed]);
    expect(result.path).not.toContain(S.check);
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(0);
    expect(published()[0]).toMatchObject({ outcome: 'failed', severity: 'critical' });
  });
});
