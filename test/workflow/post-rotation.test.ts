import { DescribeServicesCommand, type Deployment, ECSClient, type Service, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SimulatedAccount, publishedResults } from '../../rehearsal/simulated/account.js';
import type { OpsResult } from '../../contracts/ops-result.js';
import { POST_ROTATION_STATES as S } from '../../infra/workflows/post-rotation.js';
import { type DeployedHandler, type WorkflowRun, functionEnvironment, inProcess, loadStateMachine, quietEmptyMetricsWarnings, quietPowertools, runWorkflow } from './support/workflow.js';

const CLUSTER = 'financehub-staging';
const SERVICES = ['financehub-staging-backend', 'financehub-staging-worker'];
const account = new SimulatedAccount();
const ecs = account.mock(ECSClient);
const sns = account.mock(SNSClient);
let handler: DeployedHandler;
let environment: Record<string, string>;

const input = { secretId: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/db/app-AbCdEf', rotatedAt: new Date().toISOString(), cluster: CLUSTER, services: SERVICES };
const service = (name: string, rolloutState: Deployment['rolloutState'], deployments = 1): Service => ({
  serviceName: name,
  runningCount: 2,
  desiredCount: 2,
  // The primary deployment is the forced one, created after the rotation; the older one is still draining.
  deployments: [{ status: 'PRIMARY', rolloutState, createdAt: new Date() }, ...Array.from({ length: deployments - 1 }, (): Deployment => ({ status: 'ACTIVE', rolloutState: 'COMPLETED', createdAt: new Date(0) }))],
});

function run(given: unknown = input): Promise<WorkflowRun> {
  return runWorkflow({ definition: loadStateMachine('staging', 'post-rotation'), input: given, lambdas: { 'post-rotation': inProcess(handler, 'post-rotation') } });
}

const published = (): OpsResult[] => publishedResults(account);

beforeAll(async () => {
  environment = functionEnvironment('staging', 'post-rotation');
  quietPowertools();
  quietEmptyMetricsWarnings();
  // Imported after Powertools is quiet: it reads its settings when the shared logger is created.
  const { createHandler } = await import('../../functions/post-rotation/create-handler.js');
  handler = createHandler({ environment });
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
      S.validate, S.restart, 'Force new deployment', 'Force new deployment',
      S.startPolling, S.wait, S.check, S.steady, S.wait, S.check, S.steady, S.report, 'Services use the new credentials',
    ]);
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual(
      SERVICES.map((name) => ({ cluster: CLUSTER, service: name, forceNewDeployment: true })),
    );
    expect(published()[0]).toMatchObject({ workflow: 'post-rotation', outcome: 'succeeded', severity: 'info' });
    expect(result.transitions).toBe(13);
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
    // Every check, then one read-back for the result.
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(Number(environment.MAX_CHECKS) + 1);
    expect(published()[0]?.summary).toContain(`Not steady after ${environment.MAX_CHECKS} checks`);
  });

  it('reports the restart as failed when ECS refuses the forced deployment', async () => {
    // Prepare
    ecs.on(UpdateServiceCommand).rejects(Object.assign(new Error('Service was not ACTIVE'), { name: 'ServiceNotActiveException' }));

    // Act
    const result = await run();

    // Assess
    expect(result.path.slice(0, 2)).toEqual([S.validate, S.restart]);
    expect(result.path.slice(-2)).toEqual([S.reportFailure, S.failed]);
    expect(result.path).not.toContain(S.check);
    // The result's read-back only.
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(1);
    expect(published()[0]).toMatchObject({ outcome: 'failed', severity: 'critical' });
  });

  it('names the service that restarted and the one that did not when ECS denies one forced deployment', async () => {
    // Prepare
    ecs.on(UpdateServiceCommand, { service: SERVICES[1] }).rejects(Object.assign(new Error('not authorized to perform ecs:UpdateService'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    const stale: Service = { ...service(SERVICES[1]!, 'COMPLETED'), deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED', createdAt: new Date(0) }] };
    ecs.on(DescribeServicesCommand).resolves({ services: [service(SERVICES[0]!, 'IN_PROGRESS', 2), stale] });

    // Act
    const result = await run();

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'PostRotationRestartFailed' });
    const [report] = published();
    expect(report).toMatchObject({ outcome: 'failed', severity: 'critical' });
    expect(report?.summary).toContain(`Restarted since the rotation: ${SERVICES[0]}.`);
    expect(report?.summary).toContain(`NOT restarted: ${SERVICES[1]}.`);
    expect(report?.summary).not.toContain('each reached steady state');
  });

  it.each([
    ['the other environment\'s cluster', { ...input, cluster: 'financehub-production' }, 'cluster must be financehub-staging'],
    ['a service that does not read the secret', { ...input, services: ['financehub-staging-frontend'] }, 'services.0: services may only name'],
    ['a 10 KB secretId', { ...input, secretId: 'x'.repeat(10_240) }, 'secretId must be at most 2048 characters'],
    ['no rotation time', { ...input, rotatedAt: 'yesterday' }, 'rotatedAt must be an ISO 8601 time'],
  ])('refuses %s in its first state, restarts nothing and publishes why', async (_case, given, problem) => {
    // Act
    const result = await run(given);

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'InvalidRotationInput' });
    expect(result.path).toEqual([S.validate, S.reportRejected, S.rejected]);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    const [report] = published();
    expect(report).toMatchObject({ outcome: 'failed', severity: 'critical', actionsTaken: ['Nothing was restarted'] });
    expect(report?.summary).toContain(problem);
  });
});
