import { CloudWatchClient, DescribeAlarmsCommand, type StateValue } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import completed from '../../events/smoke-test-deployment-completed.json';
import otherCluster from '../../events/smoke-test-deployment-other-cluster.json';
import { type CheckClients, type CheckSettings, type WatchProgress, checkRound } from '../../functions/smoke-test/checks.js';
import { type Deployment, InvalidDeploymentEvent, readDeployment } from '../../functions/smoke-test/deployment.js';
import { smokeTestResult } from '../../functions/smoke-test/report.js';
import { rollBack } from '../../functions/lib/release.js';
import { planRollback } from '../../functions/smoke-test/rollback.js';
import { startSmokeTest } from '../../functions/smoke-test-start/start.js';
import { executionName } from '../../functions/lib/workflows.js';
import { SimulatedAccount } from '../../rehearsal/simulated/account.js';
import { RELEASE_SHA, simulateRelease } from '../../rehearsal/simulated/release.js';

const SETTINGS = { environment: 'staging' as const, region: 'us-east-1', account: '111111111111', clusterName: 'financehub-staging', servicePrefix: 'financehub-staging-' };
const TD = (revision: number) => `arn:aws:ecs:us-east-1:111111111111:task-definition/financehub-staging-backend:${revision}`;

const account = new SimulatedAccount();
afterEach(() => account.reset());
afterAll(() => account.restore());

const deployment = (overrides: Partial<Deployment> = {}): Deployment => ({
  service: 'backend',
  serviceName: 'financehub-staging-backend',
  serviceArn: 'arn:aws:ecs:us-east-1:111111111111:service/financehub-staging/financehub-staging-backend',
  eventName: 'SERVICE_DEPLOYMENT_COMPLETED',
  deploymentId: 'ecs-svc/4711000000000000042',
  eventTime: '2026-12-01T14:05:00Z',
  taskDefinition: TD(8),
  image: `111111111111.dkr.ecr.us-east-1.amazonaws.com/financehub-staging/backend:${RELEASE_SHA}`,
  imageTag: RELEASE_SHA,
  commit: RELEASE_SHA,
  deployedBy: 'alice',
  previousTaskDefinition: TD(7),
  isRollback: false,
  ...overrides,
});

describe('reading the deployment', () => {
  it('reads the running task definition, its image, commit and deployer, and the definition it replaced', async () => {
    // Prepare
    simulateRelease(account, 'staging');

    // Act
    const read = await readDeployment(new ECSClient({}), SETTINGS, { event: completed });

    // Assess
    expect(read).toEqual({ ignored: false, ...deployment(), eventReason: completed.detail.reason, primaryDeploymentId: 'ecs-svc/4711000000000000042' });
  });

  it('ignores a deployment of another environment’s cluster without asking AWS anything', async () => {
    // Act
    const read = await readDeployment(new ECSClient({}), SETTINGS, { event: otherCluster });

    // Assess
    expect(read).toEqual({ ignored: true, reason: expect.stringContaining("is not a service of staging's cluster financehub-staging") });
    expect(account.calls()).toEqual([]);
  });

  it.each([
    ['detail.eventName', { ...completed, detail: { ...completed.detail, eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS' } }],
    ['resources', { ...completed, resources: [] }],
    ['detail-type', { ...completed, 'detail-type': 'ECS Task State Change' }],
  ])('rejects an event with a bad %s, naming the field, and changes nothing', async (field, event) => {
    // Act
    const reading = readDeployment(new ECSClient({}), SETTINGS, { event });

    // Assess
    await expect(reading).rejects.toThrow(InvalidDeploymentEvent);
    await expect(reading).rejects.toThrow(`event.${field}`);
    expect(account.calls()).toEqual([]);
  });
});

describe('one check round', () => {
  const settings: CheckSettings = {
    endpoints: [
      { name: 'frontend', url: 'https://staging.financehub.com/health' },
      { name: 'backend', url: 'https://staging.financehub.com/api/health' },
    ],
    targetGroups: [{ name: 'backend', arn: 'arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/financehub-staging-backend/1' }],
    alarmNames: ['financehub-staging-backend-high-error-rate', 'financehub-staging-backend-high-latency'],
    rounds: 3,
    pollSeconds: 30,
    maxConsecutiveFailures: 2,
    timeoutSeconds: 5,
  };
  const elb = account.mock(ElasticLoadBalancingV2Client);
  const cloudwatch = account.mock(CloudWatchClient);
  const clients = (status: number): CheckClients => ({ elb: new ElasticLoadBalancingV2Client({}), cloudwatch: new CloudWatchClient({}), fetch: async () => ({ status }), now: () => new Date() });
  const alarms = (errorRate: StateValue, latency: StateValue = 'OK') => ({
    MetricAlarms: [
      { AlarmName: 'financehub-staging-backend-high-error-rate', StateValue: errorRate },
      { AlarmName: 'financehub-staging-backend-high-latency', StateValue: latency },
    ],
  });
  const rounds = async (count: number, status: number) => {
    let progress: WatchProgress | undefined;
    for (let i = 0; i < count && !progress?.done; i += 1) progress = await checkRound(clients(status), settings, progress);
    return progress;
  };
  beforeEach(() => {
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }, { TargetHealth: { State: 'healthy' } }] });
  });

  it('passes the release after the configured rounds all came back clean', async () => {
    // Prepare
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarms('OK'));

    // Act
    const progress = await rounds(10, 200);

    // Assess
    expect(progress).toMatchObject({ rounds: 3, cleanRounds: 3, done: true, verdict: 'passed', probeAttempts: 6, probeSuccesses: 6 });
    expect(progress?.lastRound.targets).toEqual([{ name: 'backend', healthy: 2, unhealthy: 0, other: 0 }]);
  });

  it('fails the release at once when an alarm is in ALARM', async () => {
    // Prepare
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarms('ALARM'));

    // Act
    const progress = await rounds(10, 200);

    // Assess
    expect(progress).toMatchObject({ rounds: 1, done: true, verdict: 'failed', failureReason: 'alarm financehub-staging-backend-high-error-rate is in ALARM' });
  });

  it('fails the release when an alarm it must watch does not exist', async () => {
    // Prepare
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'financehub-staging-backend-high-error-rate', StateValue: 'OK' }] });

    // Act
    const progress = await rounds(10, 200);

    // Assess
    expect(progress).toMatchObject({ rounds: 1, verdict: 'failed', failureReason: 'alarm financehub-staging-backend-high-latency does not exist' });
  });

  it('fails the release after failing probes for the configured rounds in a row', async () => {
    // Prepare
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarms('OK'));

    // Act
    const progress = await rounds(10, 503);

    // Assess
    expect(progress).toMatchObject({ rounds: 2, consecutiveFailures: 2, verdict: 'failed', probeSuccesses: 0 });
    expect(progress?.failureReason).toContain('https://staging.financehub.com/api/health answered 503');
  });

  it('fails the release when the load balancer sees unhealthy targets', async () => {
    // Prepare
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarms('OK'));
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }, { TargetHealth: { State: 'unhealthy' } }] });

    // Act
    const progress = await rounds(10, 200);

    // Assess
    expect(progress).toMatchObject({ verdict: 'failed', failureReason: '2 rounds in a row failed: backend targets: 1 healthy, 1 unhealthy' });
  });
});

describe('deciding on a rollback', () => {
  const staging = { environment: 'staging' as const, clusterName: 'financehub-staging', servicePrefix: 'financehub-staging-', mode: 'automatic' as const, slashCommand: '/ops-staging' };

  it.each([
    ['a failed release in staging is rolled back', staging, deployment(), 'roll-back', 'roll back to'],
    ['production rolls back only on a second person’s approval: the verdict says how to ask', { ...staging, environment: 'production' as const, mode: 'approval' as const }, deployment(), 'none', 'needs two people'],
    ['a failed ECS deployment is left to the circuit breaker', staging, deployment({ eventName: 'SERVICE_DEPLOYMENT_FAILED' }), 'none', 'circuit breaker'],
    ['a deployment that is itself a rollback is not rolled back further', staging, deployment({ taskDefinition: TD(7), previousTaskDefinition: TD(8), isRollback: true }), 'none', 'not rolled back further'],
    ['nothing to roll back to without a previous definition', staging, deployment({ previousTaskDefinition: undefined }), 'none', 'nothing to roll back to'],
  ] as const)('%s', (_case, settings, release, action, reason) => {
    // Act
    const plan = planRollback(settings, release);

    // Assess
    expect(plan.action).toBe(action);
    expect(plan.reason).toContain(reason);
  });
});

describe('rolling back', () => {
  const settings = { environment: 'staging' as const, clusterName: 'financehub-staging', servicePrefix: 'financehub-staging-' };

  it('deploys the previous task definition and reads back that the service runs it', async () => {
    // Prepare
    const release = simulateRelease(account, 'staging');

    // Act
    const rolledBack = await rollBack(new ECSClient({}), settings, deployment(), () => new Date('2026-12-01T14:12:00Z'));

    // Assess
    expect(rolledBack).toEqual({ fromTaskDefinition: TD(8), toTaskDefinition: TD(7), deploymentId: 'ecs-svc/500000000000000001', alreadyRolledBack: false, at: '2026-12-01T14:12:00.000Z' });
    expect(release.current()).toBe(TD(7));
  });

  it('changes nothing on a retry after the update went through', async () => {
    // Prepare
    simulateRelease(account, 'staging');
    await rollBack(new ECSClient({}), settings, deployment(), () => new Date());

    // Act
    const again = await rollBack(new ECSClient({}), settings, deployment(), () => new Date());

    // Assess
    expect(again.alreadyRolledBack).toBe(true);
    expect(account.calls().filter((c) => c.command === 'UpdateService')).toHaveLength(1);
  });

  it('fails when the service does not run the previous definition afterwards', async () => {
    // Prepare
    const ecs = account.mock(ECSClient);
    ecs.on(DescribeServicesCommand).resolves({ services: [{ taskDefinition: TD(8), deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: TD(8) }] }] });
    ecs.on(UpdateServiceCommand).resolves({});

    // Act & Assess
    await expect(rollBack(new ECSClient({}), settings, deployment(), () => new Date())).rejects.toThrow(`its primary deployment runs ${TD(8)}`);
  });
});

describe('the smoke-test result', () => {
  const settings = { environment: 'staging' as const, clusterName: 'financehub-staging', slashCommand: '/ops-staging' };
  const execution = { arn: 'arn:aws:states:us-east-1:111111111111:execution:financehub-staging-smoke-test:backend-ecs-svc-4711000000000000042', startedAt: '2026-12-01T14:05:01Z' };

  it('names the service, image, commit, deployer and the rollback command when the release passes', () => {
    // Act
    const watch: WatchProgress = {
      startedAt: '2026-12-01T14:05:02Z',
      rounds: 10,
      plannedRounds: 10,
      cleanRounds: 10,
      consecutiveFailures: 0,
      probeAttempts: 20,
      probeSuccesses: 20,
      slowestProbeMs: 180,
      lastRound: { at: '2026-12-01T14:10:00Z', probes: [], targets: [{ name: 'backend', healthy: 2, unhealthy: 0, other: 0 }], alarms: [{ name: 'financehub-staging-backend-high-error-rate', state: 'OK' }], problems: [] },
      done: true,
      verdict: 'passed',
      elapsedSeconds: 298,
    };
    const result = smokeTestResult({ deployment: { ignored: false, ...deployment() }, watch }, settings, execution, new Date('2026-12-01T14:10:30Z'));

    // Assess
    expect(result).toMatchObject({ verdict: 'passed', outcome: 'succeeded', requestedBy: 'alice', durationSeconds: 329 });
    expect(result.summary).toBe(`Release passed its smoke test: backend ${RELEASE_SHA} (commit ${RELEASE_SHA}, deployed by alice). 10 of 10 rounds clean, alarms OK.`);
    expect(result.measurements).toContainEqual({ name: 'Probes answered 2xx', value: 20, unit: 'of 20' });
    expect(result.howToUndo).toBe(
      `To roll back to ${TD(7)}: \`fhops rollback backend --env staging\` (or \`/ops-staging rollback staging backend\`).`,
    );
  });

  it('says a failed rollback left the release running, as read after the failure, as critical', () => {
    // Act
    const result = smokeTestResult(
      { deployment: { ignored: false, ...deployment() }, plan: { action: 'roll-back', reason: 'x' }, rollbackFailure: { Error: 'AccessDeniedException', Cause: 'not authorized' } },
      settings,
      { ...execution, runningNow: TD(8) },
      new Date(),
    );

    // Assess
    expect(result).toMatchObject({ outcome: 'failed', severity: 'critical' });
    expect(result.summary).toContain(`The rollback to ${TD(7)} failed (AccessDeniedException: not authorized); financehub-staging-backend runs ${TD(8)} (read after the failure).`);
  });
});

describe('starting a smoke test', () => {
  const MACHINE = 'arn:aws:states:us-east-1:111111111111:stateMachine:financehub-staging-smoke-test';

  it('names the execution <service>-<deployment id>, as the release path waits for it, and starts nothing twice', async () => {
    // Prepare
    const sfn = account.mock(SFNClient);
    sfn.on(StartExecutionCommand).resolvesOnce({ executionArn: `${MACHINE}:x`, startDate: new Date() }).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    // Act
    const first = await startSmokeTest(new SFNClient({}), MACHINE, completed);
    const second = await startSmokeTest(new SFNClient({}), MACHINE, completed);

    // Assess
    expect(first).toMatchObject({ executionName: executionName('backend', 'ecs-svc/4711000000000000042'), duplicate: false });
    expect(first.executionName).toBe('backend-ecs-svc-4711000000000000042');
    expect(second).toMatchObject({ executionName: first.executionName, duplicate: true });
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}')).toEqual({ event: completed });
  });
});
