import { DeleteDBInstanceCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { jest } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { rdsInstance } from '../../rehearsal/simulated/account.js';
import { opsResultSchema } from '../../contracts/ops-result.js';
import { type SweeperConfig, sweepDrillInstances, sweepResult } from '../../functions/drill-sweeper/sweep.js';

const rds = mockClient(RDSClient);
const client = new RDSClient({});
const now = new Date('2026-11-12T07:30:00Z');
const hoursBefore = (hours: number) => new Date(now.getTime() - hours * 3_600_000);
const config: SweeperConfig = { environment: 'production', region: 'us-east-1', drillInstancePrefix: 'financehub-production-drill-', maxAgeHours: 24 };
const drillTag = { Key: 'financehub:purpose', Value: 'restore-drill' };

beforeEach(() => rds.reset());

describe('the drill sweeper', () => {
  it('deletes only drill instances that are named and tagged as drills and older than a day', async () => {
    // Prepare
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({
        DBInstances: [
          rdsInstance('financehub-production-db', { InstanceCreateTime: hoursBefore(9000), TagList: [drillTag] }),
          rdsInstance('financehub-production-drill-20261110-0600', { InstanceCreateTime: hoursBefore(49), TagList: [drillTag, { Key: 'financehub:drill-execution', Value: 'scheduled-run' }] }),
        ],
        Marker: 'page-2',
      })
      .resolvesOnce({
        DBInstances: [
          rdsInstance('financehub-production-drill-20261112-0600', { InstanceCreateTime: hoursBefore(1), TagList: [drillTag] }),
          rdsInstance('financehub-production-drill-manual', { InstanceCreateTime: hoursBefore(72), TagList: [] }),
          rdsInstance('financehub-staging-drill-20261105-0600', { InstanceCreateTime: hoursBefore(72), TagList: [drillTag] }),
        ],
      });
    rds.on(DeleteDBInstanceCommand).resolves({});

    // Act
    const swept = await sweepDrillInstances(client, config, now);

    // Assess
    expect(swept).toEqual([expect.objectContaining({ instanceId: 'financehub-production-drill-20261110-0600', ageHours: 49, result: 'deleted', drillExecution: 'scheduled-run' })]);
    expect(rds.commandCalls(DeleteDBInstanceCommand).map((call) => call.args[0].input)).toEqual([
      { DBInstanceIdentifier: 'financehub-production-drill-20261110-0600', SkipFinalSnapshot: true, DeleteAutomatedBackups: true },
    ]);
    expect(rds.commandCalls(DescribeDBInstancesCommand)[1]?.args[0].input.Marker).toBe('page-2');
  });

  it('leaves an instance already being deleted alone and reports one it could not delete as an orphan', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        rdsInstance('financehub-production-drill-20261101-0600', { DBInstanceStatus: 'deleting', InstanceCreateTime: hoursBefore(30), TagList: [drillTag] }),
        rdsInstance('financehub-production-drill-20261102-0600', { InstanceCreateTime: hoursBefore(30), TagList: [drillTag] }),
      ],
    });
    rds.on(DeleteDBInstanceCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));

    // Act
    const swept = await sweepDrillInstances(client, config, now);
    const result = opsResultSchema.parse(sweepResult(swept, config, now, now));

    // Assess
    expect(swept.map((s) => [s.instanceId, s.result])).toEqual([
      ['financehub-production-drill-20261101-0600', 'already-deleting'],
      ['financehub-production-drill-20261102-0600', 'failed'],
    ]);
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(1);
    expect(result).toMatchObject({ outcome: 'failed', severity: 'critical', summary: expect.stringMatching(/^ORPHAN REMAINS/) });
    expect(result.howToUndo).toContain('aws rds delete-db-instance --db-instance-identifier financehub-production-drill-20261102-0600 --skip-final-snapshot');
  });

  it.each([
    ['nothing is stale', rdsInstance('financehub-production-db'), 0],
    ['a drill instance is two days old', rdsInstance('financehub-production-drill-20261110-0600', { InstanceCreateTime: hoursBefore(48), TagList: [drillTag] }), 1],
  ])('publishes a result only when it found something: %s', async (_case, instance, publications) => {
    // Prepare
    Object.assign(process.env, {
      ENVIRONMENT: 'production',
      AWS_REGION: 'us-east-1',
      DRILL_INSTANCE_PREFIX: config.drillInstancePrefix,
      MAX_AGE_HOURS: '24',
      TOPIC_ARN: 'arn:aws:sns:us-east-1:222222222222:financehub-production-notifications',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    const { sweepAndReport } = await import('../../functions/drill-sweeper/create-handler.js');
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance] });
    rds.on(DeleteDBInstanceCommand).resolves({});
    const publish = jest.fn(async () => undefined);

    // Act
    const { swept } = await sweepAndReport({ rds: client, config, now: () => now, publish });

    // Assess
    expect(swept).toHaveLength(publications);
    expect(publish).toHaveBeenCalledTimes(publications);
  });
});
