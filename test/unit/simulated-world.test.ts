import { DescribeReplicationGroupsCommand, ElastiCacheClient, TestFailoverCommand } from '@aws-sdk/client-elasticache';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DeleteDBInstanceCommand, DescribeDBInstancesCommand, RDSClient, RebootDBInstanceCommand, RestoreDBInstanceToPointInTimeCommand } from '@aws-sdk/client-rds';
import { SimulatedAccount, SimulatedRds, rdsInstance } from '../../rehearsal/simulated/account.js';
import { SimulatedEcs } from '../../rehearsal/simulated/ecs.js';
import { SimulatedFailover } from '../../rehearsal/simulated/failover.js';

/** The rehearsal world refuses what AWS refuses: each refusal with the error AWS gives, in the state AWS gives it. */
const account = new SimulatedAccount();
const rds = new RDSClient({ region: 'us-east-1' });
const elasticache = new ElastiCacheClient({ region: 'us-east-1' });
const ecs = new ECSClient({ region: 'us-east-1' });
const START = Date.parse('2026-11-25T14:00:00Z');

afterEach(() => account.reset());
afterAll(() => account.restore());

describe('the simulated RDS', () => {
  it('refuses to delete an instance while it is still being created, and deletes it once it is available', async () => {
    // Prepare
    new SimulatedRds(account, { instances: [rdsInstance('financehub-staging-db')], restorePolls: 1 });
    await rds.send(new RestoreDBInstanceToPointInTimeCommand({ SourceDBInstanceIdentifier: 'financehub-staging-db', TargetDBInstanceIdentifier: 'financehub-staging-drill-x', UseLatestRestorableTime: true }));
    const remove = () => rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'financehub-staging-drill-x', SkipFinalSnapshot: true }));

    // Act
    const whileCreating = await remove().catch((error: unknown) => error);
    await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'financehub-staging-drill-x' }));
    const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'financehub-staging-drill-x' }));
    const onceAvailable = await remove();
    const twice = await remove().catch((error: unknown) => error);

    // Assess
    expect(whileCreating).toMatchObject({ name: 'InvalidDBInstanceStateFault', message: expect.stringContaining('creating') });
    expect(DBInstances[0]?.DBInstanceStatus).toBe('available');
    expect(onceAvailable.DBInstance?.DBInstanceStatus).toBe('deleting');
    expect(twice).toMatchObject({ name: 'InvalidDBInstanceStateFault', message: expect.stringContaining('deleting') });
  });

  it('refuses a second reboot while the first one is under way, and a forced failover of a single-AZ instance', async () => {
    // Prepare
    new SimulatedFailover(account, { environment: 'staging', startAt: START });
    const reboot = () => rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'financehub-staging-db', ForceFailover: true }));

    // Act
    const first = await reboot();
    const second = await reboot().catch((error: unknown) => error);
    account.reset();
    new SimulatedFailover(account, { environment: 'staging', startAt: START, multiAz: false });
    const singleAz = await reboot().catch((error: unknown) => error);

    // Assess
    expect(first.DBInstance?.DBInstanceStatus).toBe('rebooting');
    expect(second).toMatchObject({ name: 'InvalidDBInstanceStateFault' });
    expect(singleAz).toMatchObject({ name: 'InvalidParameterCombination' });
  });
});

describe('the simulated ElastiCache', () => {
  it('refuses a test failover while the group is modifying, and accepts the next once the first is done', async () => {
    // Prepare
    new SimulatedFailover(account, { environment: 'staging', startAt: START, cachePolls: 1 });
    const failOver = () => elasticache.send(new TestFailoverCommand({ ReplicationGroupId: 'financehub-staging-redis', NodeGroupId: '0001' }));
    const status = async () => (await elasticache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'financehub-staging-redis' }))).ReplicationGroups?.[0]?.Status;

    // Act
    await failOver();
    const whileModifying = await failOver().catch((error: unknown) => error);
    const looks = [await status(), await status()];
    const again = await failOver();

    // Assess
    expect(whileModifying).toMatchObject({ name: 'InvalidReplicationGroupStateFault' });
    expect(looks).toEqual(['modifying', 'available']);
    expect(again.ReplicationGroup?.Status).toBe('modifying');
  });

  it('refuses test failovers beyond 15 node groups in a rolling 24 hours', async () => {
    // Prepare
    new SimulatedFailover(account, { environment: 'staging', startAt: START, cachePolls: 0 });
    const failOver = () => elasticache.send(new TestFailoverCommand({ ReplicationGroupId: 'financehub-staging-redis', NodeGroupId: '0001' }));
    const settle = () => elasticache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'financehub-staging-redis' }));

    // Act
    for (let i = 0; i < 15; i += 1) {
      await failOver();
      await settle();
    }
    const sixteenth = await failOver().catch((error: unknown) => error);

    // Assess
    expect(sixteenth).toMatchObject({ name: 'TestFailoverNotAvailableFault' });
  });
});

describe('the simulated ECS', () => {
  const cluster = () => new SimulatedEcs(account, { region: 'us-east-1', accountId: '111111111111', clusters: { 'financehub-staging': [{ name: 'financehub-staging-backend' }] } });

  it('answers a service that does not exist as a MISSING failure, not as a service', async () => {
    // Prepare
    cluster();

    // Act
    const answer = await ecs.send(new DescribeServicesCommand({ cluster: 'financehub-staging', services: ['financehub-staging-backend', 'financehub-staging-ghost'] }));

    // Assess
    expect(answer.services?.map((service) => service.serviceName)).toEqual(['financehub-staging-backend']);
    expect(answer.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:111111111111:service/financehub-staging/financehub-staging-ghost', reason: 'MISSING' }]);
  });

  it('refuses to update a service or cluster that does not exist', async () => {
    // Prepare
    cluster();

    // Act
    const unknownService = await ecs.send(new UpdateServiceCommand({ cluster: 'financehub-staging', service: 'financehub-staging-ghost', forceNewDeployment: true })).catch((error: unknown) => error);
    const unknownCluster = await ecs.send(new UpdateServiceCommand({ cluster: 'financehub-production', service: 'financehub-staging-backend', forceNewDeployment: true })).catch((error: unknown) => error);
    const describeUnknownCluster = await ecs.send(new DescribeServicesCommand({ cluster: 'financehub-production', services: ['financehub-staging-backend'] })).catch((error: unknown) => error);

    // Assess
    expect(unknownService).toMatchObject({ name: 'ServiceNotFoundException' });
    expect(unknownCluster).toMatchObject({ name: 'ClusterNotFoundException' });
    expect(describeUnknownCluster).toMatchObject({ name: 'ClusterNotFoundException' });
  });

  it('shows a forced deployment in progress, then settled with one deployment', async () => {
    // Prepare
    cluster();
    const describe = async () => (await ecs.send(new DescribeServicesCommand({ cluster: 'financehub-staging', services: ['financehub-staging-backend'] }))).services?.[0]?.deployments?.map((d) => d.rolloutState);

    // Act
    await ecs.send(new UpdateServiceCommand({ cluster: 'financehub-staging', service: 'financehub-staging-backend', forceNewDeployment: true }));
    const looks = [await describe(), await describe()];

    // Assess
    expect(looks).toEqual([['IN_PROGRESS', 'COMPLETED'], ['COMPLETED']]);
  });
});
