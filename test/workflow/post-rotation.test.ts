import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeReplicationGroupsCommand, ElastiCacheClient, ModifyReplicationGroupCommand } from '@aws-sdk/client-elasticache';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type PostRotationWorldOptions, postRotationWorld } from '../../rehearsal/scenarios/post-rotation.js';
import { SimulatedAccount, publishedResults } from '../../rehearsal/simulated/account.js';
import { SimulatedEcs } from '../../rehearsal/simulated/ecs.js';
import type { OpsResult } from '../../contracts/ops-result.js';
import { POST_ROTATION_STATES as S } from '../../infra/workflows/post-rotation.js';
import { type DeployedHandler, type WorkflowRun, functionEnvironment, inProcess, loadStateMachine, quietEmptyMetricsWarnings, quietPowertools, runWorkflow } from './support/workflow.js';

const CLUSTER = 'financehub-staging';
const SERVICES = ['financehub-staging-backend', 'financehub-staging-worker'];
const account = new SimulatedAccount();
const ecs = account.mock(ECSClient);
const elasticache = account.mock(ElastiCacheClient);
const secrets = account.mock(SecretsManagerClient);
let handler: DeployedHandler;
let environment: Record<string, string>;
let cacheHandler: DeployedHandler;

const input = { secretId: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/db/app-AbCdEf', kind: 'database-app', rotatedAt: new Date().toISOString(), cluster: CLUSTER, services: SERVICES };
const CACHE_SECRET = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/redis-auth-AbCdEf';
const cacheInput = { ...input, secretId: CACHE_SECRET, kind: 'redis-auth', versionId: 'v-new' };

function run(given: unknown = input): Promise<WorkflowRun> {
  return runWorkflow({
    definition: loadStateMachine('staging', 'post-rotation'),
    input: given,
    lambdas: { 'post-rotation': inProcess(handler, 'post-rotation'), 'rotate-redis-auth': inProcess(cacheHandler, 'rotate-redis-auth') },
  });
}

const group = (Status: string, AuthTokenStatus?: 'SETTING' | 'ROTATING') => ({
  ReplicationGroups: [{ ReplicationGroupId: 'financehub-staging-redis', Status, AuthTokenEnabled: true, TransitEncryptionEnabled: true, AuthTokenLastModifiedDate: new Date('2026-12-01T03:10:00Z'), PendingModifiedValues: AuthTokenStatus ? { AuthTokenStatus } : {} }],
});

const published = (): OpsResult[] => publishedResults(account);

beforeAll(async () => {
  environment = functionEnvironment('staging', 'post-rotation');
  quietPowertools();
  quietEmptyMetricsWarnings();
  // Imported after Powertools is quiet: it reads its settings when the shared logger is created.
  const { createHandler } = await import('../../functions/post-rotation/create-handler.js');
  handler = createHandler({ environment });
  // The Redis rotation function's settings, which the assertions read too.
  Object.assign(process.env, functionEnvironment('staging', 'rotate-redis-auth'));
  cacheHandler = (await import('../../functions/rotate-redis-auth/create-handler.js')).createHandler({ environment: functionEnvironment('staging', 'rotate-redis-auth') });
});

/** The staging cluster's backend and worker (forced deployments steady at the second check), the topic. */
function scenario(options: PostRotationWorldOptions = {}): void {
  account.reset();
  postRotationWorld(account, 'staging', options);
}

beforeEach(() => scenario());

afterAll(() => account.restore());

describe('the post-rotation workflow', () => {
  it('restarts backend and worker, waits until both are steady, and publishes the success', async () => {
    // Act
    const result = await run();

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.path).toEqual([
      S.validate, S.restart, 'Force new deployment', 'Force new deployment',
      S.startPolling, S.wait, S.check, S.steady, S.wait, S.check, S.steady, S.revokes, S.nothingToRevoke, S.report, 'Services use the new value',
    ]);
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual(
      SERVICES.map((name) => ({ cluster: CLUSTER, service: name, forceNewDeployment: true })),
    );
    expect(published()[0]).toMatchObject({ workflow: 'post-rotation', outcome: 'succeeded', severity: 'info' });
    expect(result.transitions).toBe(15);
  });

  it('reports a critical failure when a forced deployment rolls back, and stops polling', async () => {
    // Prepare
    scenario({ backend: { rolloutFails: true } });

    // Act
    const result = await run();

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'PostRotationRestartFailed' });
    expect(result.path.slice(-3)).toEqual([S.check, S.reportFailure, S.failed]);
    const [report] = published();
    expect(report).toMatchObject({ outcome: 'failed', severity: 'critical' });
    expect(report?.summary).toContain('financehub-staging-backend: the forced deployment failed and was rolled back');
    expect(report?.howToUndo).toContain('The previous credentials stay valid until the next rotation');
  });

  it('gives up after the configured number of checks when the services never settle', async () => {
    // Prepare
    scenario({ backend: { rolloutChecks: Number.POSITIVE_INFINITY } });

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

  it('names a service that no longer exists in the cluster as not restarted: ECS refuses its forced deployment', async () => {
    // Prepare
    new SimulatedEcs(account, { region: 'us-east-1', accountId: '111111111111', clusters: { [CLUSTER]: [{ name: SERVICES[0]! }] } });

    // Act
    const result = await run();

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'PostRotationRestartFailed' });
    expect(result.path).not.toContain(S.check);
    const [report] = published();
    expect(report).toMatchObject({ outcome: 'failed', severity: 'critical' });
    expect(report?.summary).toContain(`NOT restarted: ${SERVICES[1]}`);
    expect(JSON.stringify(report)).toContain('ServiceNotFoundException');
  });

  it.each([
    ['the other environment\'s cluster', { ...input, cluster: 'financehub-production' }, 'cluster must be financehub-staging'],
    ['a service that does not read the secret', { ...input, services: ['financehub-staging-frontend'] }, 'services.0: services may only name'],
    ['a 10 KB secretId', { ...input, secretId: 'x'.repeat(10_240) }, 'secretId must be at most 2048 characters'],
    ['no rotation time', { ...input, rotatedAt: 'yesterday' }, 'rotatedAt must be an ISO 8601 time'],
    ['the master, which no service reads', { ...input, kind: 'database-master' }, 'kind must be database-app, redis-auth, django-secret-key, api-key or oauth-token'],
    ['the Redis token without the version to revoke for', { ...cacheInput, versionId: undefined }, 'versionId is required for the Redis AUTH token'],
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

  describe('for the Redis AUTH token', () => {
    const redis = { previousVersion: 'v-old', version: 'v-new', token: 'NewToken0123456789abcdefABCDEF' };
    beforeEach(() => scenario({ redis }));

    it('revokes the previous token only after the services are steady, waits until ElastiCache applied it, and says so', async () => {
      // Prepare: ElastiCache's answers as it applies the SET, with the time it reports the token changed.
      elasticache.on(DescribeReplicationGroupsCommand).resolvesOnce(group('available')).resolvesOnce(group('modifying', 'SETTING')).resolves(group('available'));

      // Act
      const result = await run(cacheInput);

      // Assess
      expect(result.status).toBe('SUCCEEDED');
      expect(result.path.slice(result.path.indexOf(S.steady))).toEqual([
        S.steady, S.revokes, S.revoke, S.revoked, S.waitRevocation, S.checkRevocation, S.revoked, S.waitRevocation, S.checkRevocation, S.revoked, S.report, 'Services use the new value',
      ]);
      expect(elasticache.commandCalls(ModifyReplicationGroupCommand).map((c) => c.args[0].input)).toEqual([
        { ReplicationGroupId: 'financehub-staging-redis', AuthToken: 'NewToken0123456789abcdefABCDEF', AuthTokenUpdateStrategy: 'SET', ApplyImmediately: true },
      ]);
      const [report] = published();
      expect(report).toMatchObject({ outcome: 'succeeded', severity: 'info' });
      expect(report?.summary).toContain('The Redis AUTH token rotated and financehub-staging-backend and financehub-staging-worker restarted on the new value');
      expect(report?.summary).toContain('Revoked the previous Redis AUTH token with SET (ElastiCache reports the AUTH token changed at 2026-12-01T03:10:00.000Z)');
      expect(JSON.stringify(report)).not.toContain('NewToken0123456789abcdefABCDEF');
    });

    it('leaves the previous token valid, and warns, when AWSCURRENT moved on before the revocation', async () => {
      // Prepare
      secrets.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { 'v-new': ['AWSPREVIOUS'], 'v-newer': ['AWSCURRENT'] } });

      // Act
      const result = await run(cacheInput);

      // Assess
      expect(result.status).toBe('SUCCEEDED');
      expect(elasticache.commandCalls(ModifyReplicationGroupCommand)).toHaveLength(0);
      expect(published()[0]).toMatchObject({ outcome: 'succeeded', severity: 'warning' });
      expect(published()[0]?.summary).toContain('Did not revoke the previous value: AWSCURRENT of');
    });

    it('reports a revocation that ElastiCache refuses as critical, saying the previous token may still be valid', async () => {
      // Prepare
      scenario({ redis: { ...redis, modifyError: Object.assign(new Error('not authorized to perform elasticache:ModifyReplicationGroup'), { name: 'AccessDenied' }) } });

      // Act
      const result = await run(cacheInput);

      // Assess
      expect(result).toMatchObject({ status: 'FAILED', error: 'PostRotationRevocationFailed' });
      expect(result.path.slice(-3)).toEqual([S.revoke, S.reportRevocationFailure, 'Revocation failed']);
      expect(published()[0]).toMatchObject({ outcome: 'failed', severity: 'critical' });
      expect(published()[0]?.summary).toContain('but revoking the previous token failed: AccessDenied');
      expect(published()[0]?.summary).toContain('The previous token may still be valid; nothing is down.');
    });

    it('gives up after the configured number of checks when ElastiCache never finishes the SET', async () => {
      // Prepare
      scenario({ redis: { ...redis, applyLooks: Number.POSITIVE_INFINITY } });

      // Act
      const result = await run(cacheInput);

      // Assess
      expect(result).toMatchObject({ status: 'FAILED', error: 'PostRotationRevocationFailed' });
      expect(result.path.filter((state) => state === S.checkRevocation)).toHaveLength(Number(process.env.MAX_REVOCATION_CHECKS));
      expect(published()[0]?.summary).toContain(`still modifying after ${process.env.MAX_REVOCATION_CHECKS} checks`);
    });
  });
});
