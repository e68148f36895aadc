import {
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  RDSClient,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { rdsInstance } from '../../rehearsal/simulated/account.js';
import checkRestoreEvent from '../../events/restore-drill-check-restore.json';
import {
  type DrillConfig,
  type DrillPlan,
  checkPreconditions,
  checkRestore,
  deleteDrillInstance,
  drillInstanceId,
  nextPoll,
  startRestore,
} from '../../functions/restore-drill/drill.js';
import { runDrillAction, type DrillDependencies } from '../../functions/restore-drill/actions.js';

const rds = mockClient(RDSClient);
const client = new RDSClient({});
const now = new Date('2026-11-03T06:00:05Z');

const config: DrillConfig = {
  environment: 'staging',
  region: 'us-east-1',
  sourceInstanceId: 'financehub-staging-db',
  replicaInstanceId: 'financehub-staging-db-replica',
  drillInstancePrefix: 'financehub-staging-drill-',
  drillSecurityGroupId: 'sg-0drill',
  pollInitialSeconds: 60,
  pollMaxSeconds: 300,
  restoreWaitCapMinutes: 240,
  deleteWaitCapMinutes: 60,
};

const plan: DrillPlan = checkRestoreEvent.plan;
const drillTags = [
  { Key: 'financehub:purpose', Value: 'restore-drill' },
  { Key: 'financehub:drill-execution', Value: plan.executionName },
];

beforeEach(() => rds.reset());

describe('naming and polling', () => {
  it('names the drill instance after the minute the drill started and its execution', () => {
    // Act
    const id = drillInstanceId('financehub-production-drill-', new Date('2026-11-10T06:00:42.123Z'), 'scheduled-run');
    const again = drillInstanceId('financehub-production-drill-', new Date('2026-11-10T06:00:42.123Z'), 'scheduled-run');
    const other = drillInstanceId('financehub-production-drill-', new Date('2026-11-10T06:00:42.123Z'), 'cli-alice');

    // Assess
    expect(id).toMatch(/^financehub-production-drill-20261110-0600-[0-9a-f]{6}$/);
    expect(again).toBe(id);
    expect(other).not.toBe(id);
    // RDS identifiers: at most 63 characters.
    expect(id.length).toBeLessThanOrEqual(63);
  });

  it('waits longer each time, up to five minutes, and reaches the cap once the waits add up to it', () => {
    // Act
    const waits: number[] = [];
    let poll = nextPoll(undefined, config, 240, 'creating', now);
    while (!poll.capReached) {
      waits.push(poll.nextWaitSeconds);
      poll = nextPoll(poll, config, 240, 'creating', now);
    }

    // Assess
    expect(waits.slice(0, 6)).toEqual([60, 90, 135, 203, 300, 300]);
    expect(poll.waitedSeconds + poll.nextWaitSeconds).toBeGreaterThan(240 * 60);
    expect(poll.waitedSeconds).toBeLessThanOrEqual(240 * 60);
    expect(poll.attempts).toBe(waits.length);
  });
});

describe('preconditions', () => {
  it('plans the restore into the source subnet group with the source instance class', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance(config.sourceInstanceId, { DBParameterGroups: [{ DBParameterGroupName: 'pg-15' }] })] });

    // Act
    const planned = await checkPreconditions(client, config, { executionName: 'run-1', startedAt: '2026-11-03T06:00:00.000Z', options: {} }, now);

    // Assess
    expect(planned).toMatchObject({
      instanceId: expect.stringMatching(/^financehub-staging-drill-20261103-0600-[0-9a-f]{6}$/),
      sourceInstanceId: config.sourceInstanceId,
      instanceClass: 'db.t3.large',
      subnetGroupName: `${config.sourceInstanceId}-subnets`,
      parameterGroupName: 'pg-15',
    });
  });

  it('fails before creating anything when the source is not available', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance(config.sourceInstanceId, { DBInstanceStatus: 'modifying' })] });

    // Act
    const checking = checkPreconditions(client, config, { executionName: 'run-1', startedAt: now.toISOString(), options: {} }, now);

    // Assess
    await expect(checking).rejects.toMatchObject({ name: 'PreconditionFailed', message: expect.stringContaining('is modifying, not available') });
    expect(rds.commandCalls(RestoreDBInstanceToPointInTimeCommand)).toHaveLength(0);
  });
});

describe('starting the restore', () => {
  it('carries on when a retry finds the instance its own first attempt created', async () => {
    // Prepare
    rds.on(RestoreDBInstanceToPointInTimeCommand).rejects(new DBInstanceAlreadyExistsFault({ message: 'exists', $metadata: {} }));
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance(plan.instanceId, { DBInstanceStatus: 'creating', TagList: drillTags })] });

    // Act
    const progress = await startRestore(client, config, plan, now);

    // Assess
    expect(progress).toMatchObject({ status: 'creating', available: false, attempts: 0, nextWaitSeconds: 60 });
  });

  it('refuses an existing instance of another drill', async () => {
    // Prepare
    rds.on(RestoreDBInstanceToPointInTimeCommand).rejects(new DBInstanceAlreadyExistsFault({ message: 'exists', $metadata: {} }));
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance(plan.instanceId, { TagList: [{ Key: 'financehub:drill-execution', Value: 'another-run' }] })] });

    // Act
    const starting = startRestore(client, config, plan, now);

    // Assess
    await expect(starting).rejects.toMatchObject({ name: 'RestoreFailed', message: expect.stringContaining('belongs to another drill') });
  });

  it('reports throttling as transient so the state machine retries it', async () => {
    // Prepare
    rds.on(RestoreDBInstanceToPointInTimeCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));

    // Act
    const starting = startRestore(client, config, plan, now);

    // Assess
    await expect(starting).rejects.toMatchObject({ name: 'TransientError' });
  });

  it('never restores into a name outside the drill prefix', async () => {
    // Act
    const starting = startRestore(client, config, { ...plan, instanceId: 'financehub-staging-db' }, now);

    // Assess
    await expect(starting).rejects.toMatchObject({ name: 'InvalidInput' });
    expect(rds.calls()).toHaveLength(0);
  });
});

describe('checking the restored instance', () => {
  it('fails the drill when RDS reports the restore failed', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance(plan.instanceId, { DBInstanceStatus: 'incompatible-restore' })] });

    // Act
    const checking = checkRestore(client, config, plan, { ...checkRestoreEvent.previous }, now);

    // Assess
    await expect(checking).rejects.toMatchObject({ name: 'RestoreFailed', message: expect.stringContaining('incompatible-restore') });
  });

  it('returns the endpoint once available and keeps the restore time for the data-loss window', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance(plan.instanceId, { Endpoint: { Address: 'drill.example', Port: 5432 } })] });

    // Act
    const progress = await checkRestore(client, config, plan, { ...checkRestoreEvent.previous }, now);

    // Assess
    expect(progress).toMatchObject({ available: true, endpoint: 'drill.example', port: 5432, availableAt: now.toISOString(), latestRestorableTime: checkRestoreEvent.previous.latestRestorableTime, attempts: 1 });
  });
});

describe('deleting the drill instance', () => {
  it('deletes without a final snapshot and without keeping automated backups', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance(plan.instanceId, { TagList: drillTags })] });
    rds.on(DeleteDBInstanceCommand).resolves({});

    // Act
    const deletion = await deleteDrillInstance(client, config, plan.instanceId, plan.executionName, now);

    // Assess
    expect(deletion).toMatchObject({ existed: true, gone: false, status: 'deleting' });
    expect(rds.commandCalls(DeleteDBInstanceCommand)[0]?.args[0].input).toEqual({ DBInstanceIdentifier: plan.instanceId, SkipFinalSnapshot: true, DeleteAutomatedBackups: true });
  });

  it('is done at once when the instance never existed', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).rejects(new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} }));

    // Act
    const deletion = await deleteDrillInstance(client, config, plan.instanceId, plan.executionName, now);

    // Assess
    expect(deletion).toMatchObject({ existed: false, gone: true, capReached: false });
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });

  it('refuses to delete an instance without the drill tag', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance(plan.instanceId, { TagList: [] })] });

    // Act
    const deleting = deleteDrillInstance(client, config, plan.instanceId, plan.executionName, now);

    // Assess
    await expect(deleting).rejects.toMatchObject({ name: 'CleanupFailed' });
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });

  it('asks again later, without asking RDS, while the instance is still being created', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance(plan.instanceId, { DBInstanceStatus: 'creating', TagList: drillTags })] });

    // Act
    const deleting = deleteDrillInstance(client, config, plan.instanceId, plan.executionName, now);

    // Assess
    await expect(deleting).rejects.toMatchObject({ name: 'InstanceNotDeletableYet', message: expect.stringContaining('while it is creating (InvalidDBInstanceState)') });
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });

  it('asks again later when RDS refuses the deletion of an instance it still reported available', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance(plan.instanceId, { TagList: drillTags })] });
    rds.on(DeleteDBInstanceCommand).rejects(new InvalidDBInstanceStateFault({ message: 'Instance is currently modifying', $metadata: { httpStatusCode: 400 } }));

    // Act
    const deleting = deleteDrillInstance(client, config, plan.instanceId, plan.executionName, now);

    // Assess
    await expect(deleting).rejects.toMatchObject({ name: 'InstanceNotDeletableYet' });
  });

  it('leaves alone an instance of the same name that another drill execution created', async () => {
    // Prepare
    const othersTags = drillTags.map((tag) => (tag.Key === 'financehub:drill-execution' ? { ...tag, Value: 'another-drill' } : tag));
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance(plan.instanceId, { TagList: othersTags })] });

    // Act
    const deletion = await deleteDrillInstance(client, config, plan.instanceId, plan.executionName, now);

    // Assess
    expect(deletion).toMatchObject({ existed: false, gone: true, otherExecution: 'another-drill' });
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });

  it('does not ask twice for an instance already being deleted', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance(plan.instanceId, { DBInstanceStatus: 'deleting', TagList: drillTags })] });

    // Act
    const deletion = await deleteDrillInstance(client, config, plan.instanceId, plan.executionName, now);

    // Assess
    expect(deletion).toMatchObject({ existed: true, gone: false });
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });
});

describe('the task handler', () => {
  const deps = { rds: client, config, now: () => now } as unknown as DrillDependencies;

  it.each([
    ['an unknown action', { action: 'dropDatabase' }],
    ['a check without the previous poll', { action: 'checkRestore', plan }],
    ['an instance class that is not one', { action: 'checkPreconditions', executionName: 'x', executionArn: 'arn:x', startedAt: now.toISOString(), options: { instanceClass: 'huge' } }],
  ])('rejects %s with a clear error and calls nothing', async (_case, event) => {
    // Act
    const running = runDrillAction(event, deps);

    // Assess
    await expect(running).rejects.toMatchObject({ name: 'InvalidInput' });
    expect(rds.calls()).toHaveLength(0);
  });
});
