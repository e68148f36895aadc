import { jest } from '@jest/globals';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeReplicationGroupsCommand, ElastiCacheClient, InvalidReplicationGroupStateFault, ReplicationGroupNotFoundFault, TestFailoverCommand } from '@aws-sdk/client-elasticache';
import { DBInstanceNotFoundFault, DescribeDBInstancesCommand, InvalidDBInstanceStateFault, RDSClient, RebootDBInstanceCommand } from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { rdsInstance } from '../../rehearsal/simulated/account.js';
import { type DrillClients, type DrillPlan, type FailoverDrillSettings, checkPreconditions, failOverCache, failOverDatabase, maintenanceWindowConflict } from '../../functions/failover-drill/drill.js';
import { type DrillState, type ReportSettings, buildReport } from '../../functions/failover-drill/report.js';
import { drillReportKeys, renderDrillReportHtml, writeDrillReport } from '../../functions/lib/drill-report.js';
import { type ProbeFetch, probeHealth, probeOnce } from '../../functions/lib/health-probe.js';

const rds = mockClient(RDSClient);
const elasticache = mockClient(ElastiCacheClient);
const cloudwatch = mockClient(CloudWatchClient);
const dynamodb = mockClient(DynamoDBClient);
const s3 = mockClient(S3Client);
const WEDNESDAY = new Date('2027-01-13T14:00:00Z');
const RUN_1 = 'arn:aws:states:us-east-1:222222222222:execution:financehub-production-failover-drill:run-1';

const settings: FailoverDrillSettings = {
  environment: 'production',
  databaseInstanceId: 'financehub-production-db',
  replicationGroupId: 'financehub-production-redis',
  alarmPrefix: 'financehub-production-',
  errorRateAlarms: ['financehub-production-backend-high-error-rate'],
  errorRateAlarmMaxMinutes: 5,
  lock: { tableName: 'financehub-production-remediation-guardrails', maxMinutes: 70 },
  maintenanceWindow: 'sun:03:00-sun:04:00',
  drillMaxMinutes: 50,
  databaseWaitCapMinutes: 15,
  cacheWaitCapMinutes: 15,
  probe: { url: 'https://origin.financehub.com/api/health', consecutiveSuccesses: 3, timeoutSeconds: 5, waitCapMinutes: 10 },
};

function clients(): DrillClients {
  return { rds: new RDSClient({}), elasticache: new ElastiCacheClient({}), cloudwatch: new CloudWatchClient({}), dynamodb: new DynamoDBClient({}), fetch: async () => ({ status: 200 }), now: () => WEDNESDAY };
}

const plan: DrillPlan = {
  checkedAt: WEDNESDAY.toISOString(),
  passed: true,
  checks: [],
  database: { instanceId: 'financehub-production-db', zone: 'us-east-1a', standbyZone: 'us-east-1b' },
  cache: { replicationGroupId: 'financehub-production-redis', nodeGroupId: '0001', primary: 'financehub-production-redis-001', replicas: ['financehub-production-redis-002'] },
};

beforeEach(() => {
  for (const mock of [rds, elasticache, cloudwatch, dynamodb, s3]) mock.reset();
});

describe('the maintenance window', () => {
  it.each([
    ['Sunday 03:30, inside', true, true, '2027-01-17T03:30:00Z'],
    ['Sunday 02:30, the window starts before a 50-minute drill could end', true, false, '2027-01-17T02:30:00Z'],
    ['Sunday 02:00, a 50-minute drill ends in time', false, false, '2027-01-17T02:00:00Z'],
    ['Sunday 04:00, just after', false, false, '2027-01-17T04:00:00Z'],
    ['Wednesday afternoon', false, false, '2027-01-13T14:00:00Z'],
  ])('on %s, a drill conflicts with the window: %s', (_case, conflict, inside, at) => {
    // Act
    const result = maintenanceWindowConflict('sun:03:00-sun:04:00', new Date(at), 50);

    // Assess
    expect(result).toMatchObject({ conflict, inside });
  });

  it('handles a window that wraps around the end of the week', () => {
    // Act
    const result = maintenanceWindowConflict('sat:23:30-sun:00:30', new Date('2027-01-17T00:10:00Z'), 0);

    // Assess
    expect(result.inside).toBe(true);
  });

  it('refuses a window it cannot read', () => {
    // Act
    const reading = () => maintenanceWindowConflict('sunday 3am', WEDNESDAY, 0);

    // Assess
    expect(reading).toThrow('Not a maintenance window point');
  });
});

describe('the preconditions', () => {
  beforeEach(() => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance('financehub-production-db', { AvailabilityZone: 'us-east-1a', SecondaryAvailabilityZone: 'us-east-1b' })] });
    elasticache.on(DescribeReplicationGroupsCommand).resolves({
      ReplicationGroups: [
        {
          ReplicationGroupId: 'financehub-production-redis',
          Status: 'available',
          AutomaticFailover: 'enabled',
          NodeGroups: [{ NodeGroupId: '0001', Status: 'available', NodeGroupMembers: [{ CacheClusterId: 'r-001', CurrentRole: 'primary' }, { CacheClusterId: 'r-002', CurrentRole: 'replica' }] }],
        },
      ],
    });
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    dynamodb.on(PutItemCommand).resolves({});
  });

  it.each([
    ['no approver', { requestedBy: 'alice' }, false, 'production needs approvedBy in the input'],
    ['the requester approving their own drill', { requestedBy: 'alice', approvedBy: 'alice' }, false, 'approvedBy must be a second person, not the requester'],
    ['a second person approving', { requestedBy: 'alice', approvedBy: 'bob' }, true, 'approved by bob'],
  ])('in production, with %s, reports the approval check', async (_case, options, passed, detail) => {
    // Act
    const result = await checkPreconditions(clients(), settings, options, { arn: RUN_1, startedAt: WEDNESDAY });

    // Assess
    expect(result.passed).toBe(passed);
    expect(result.checks[0]).toEqual({ name: 'Approval', passed, detail });
    expect(result.checks.map((check) => check.name)).toEqual([
      'Approval',
      'Database Multi-AZ and available',
      'Cache automatic failover with a replica',
      'No alarm in ALARM',
      'No other drill running',
      'Outside the maintenance window',
    ]);
  });

  it('records where the primaries are, for the failovers to compare against', async () => {
    // Act
    const result = await checkPreconditions(clients(), settings, { approvedBy: 'bob' }, { arn: RUN_1, startedAt: WEDNESDAY });

    // Assess
    expect(result.database).toEqual({ instanceId: 'financehub-production-db', zone: 'us-east-1a', standbyZone: 'us-east-1b' });
    expect(result.cache).toEqual({ replicationGroupId: 'financehub-production-redis', nodeGroupId: '0001', primary: 'r-001', replicas: ['r-002'] });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toEqual({ AlarmNamePrefix: 'financehub-production-', StateValue: 'ALARM' });
  });

  it('reports a database and a cache that do not exist as failed checks, not as an error', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand).rejects(new DBInstanceNotFoundFault({ message: 'DBInstance financehub-production-db not found.', $metadata: {} }));
    elasticache.on(DescribeReplicationGroupsCommand).rejects(new ReplicationGroupNotFoundFault({ message: 'Replication group not found', $metadata: {} }));

    // Act
    const result = await checkPreconditions(clients(), settings, { approvedBy: 'bob' }, { arn: RUN_1, startedAt: WEDNESDAY });

    // Assess
    expect(result.passed).toBe(false);
    expect(result.checks.filter((check) => !check.passed).map((check) => check.detail)).toEqual(['financehub-production-db not found', 'financehub-production-redis not found']);
  });

  it('refuses to drill another environment than its own', async () => {
    // Act
    const result = await checkPreconditions(clients(), settings, { environment: 'staging', approvedBy: 'bob' }, { arn: RUN_1, startedAt: WEDNESDAY });

    // Assess
    expect(result.passed).toBe(false);
    expect(result.checks[0]).toEqual({ name: 'Environment', passed: false, detail: 'asked for staging, but this is the production drill' });
  });
});

describe('the failover requests', () => {
  it('carries on when a retried reboot finds the database already rebooting', async () => {
    // Prepare
    rds.on(RebootDBInstanceCommand).rejects(new InvalidDBInstanceStateFault({ message: 'Instance is not available', $metadata: {} }));
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance('financehub-production-db', { DBInstanceStatus: 'rebooting' })] });

    // Act
    const progress = await failOverDatabase(clients(), plan);

    // Assess
    expect(progress).toMatchObject({ status: 'rebooting', fromZone: 'us-east-1a', failedOver: false, checks: 0 });
  });

  it('fails when the database refuses the reboot for another reason', async () => {
    // Prepare
    rds.on(RebootDBInstanceCommand).rejects(new InvalidDBInstanceStateFault({ message: 'Instance is being modified', $metadata: {} }));
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [rdsInstance('financehub-production-db', { DBInstanceStatus: 'modifying' })] });

    // Act
    const requesting = failOverDatabase(clients(), plan);

    // Assess
    await expect(requesting).rejects.toThrow('Instance is being modified');
  });

  it('carries on when a retried cache failover finds the group already modifying', async () => {
    // Prepare
    elasticache.on(TestFailoverCommand).rejects(new InvalidReplicationGroupStateFault({ message: 'Replication group is modifying', $metadata: {} }));
    elasticache.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [{ ReplicationGroupId: 'financehub-production-redis', Status: 'modifying' }] });

    // Act
    const progress = await failOverCache(clients(), plan);

    // Assess
    expect(progress).toMatchObject({ status: 'modifying', fromPrimary: 'financehub-production-redis-001', failedOver: false });
  });
});

describe('the health probe', () => {
  const settingsOf = { url: 'https://origin.financehub.com/api/health', consecutiveSuccesses: 3, timeoutSeconds: 5, waitCapMinutes: 10 };

  it.each([
    [200, true],
    [204, true],
    [302, false],
    [503, false],
  ])('counts a %s answer as healthy: %s', async (status, ok) => {
    // Act
    const outcome = await probeOnce(async () => ({ status }), settingsOf.url, 5);

    // Assess
    expect(outcome).toEqual({ ok, status });
  });

  it('turns a timeout into an unhealthy probe instead of an error', async () => {
    // Prepare
    const timingOut: ProbeFetch = async () => {
      throw Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
    };

    // Act
    const outcome = await probeOnce(timingOut, settingsOf.url, 5);

    // Assess
    expect(outcome).toEqual({ ok: false, error: 'no answer within 5 s' });
  });

  it('needs the successes in a row: a failure starts the count again', async () => {
    // Prepare
    const answers = [200, 200, 503, 200, 200, 200];
    const fetch = jest.fn<ProbeFetch>(async () => ({ status: answers.shift() ?? 200 }));
    let progress;
    const seen: boolean[] = [];

    // Act
    for (let i = 0; i < 6; i += 1) {
      progress = await probeHealth(fetch, settingsOf, progress, () => WEDNESDAY);
      seen.push(progress.healthy);
    }

    // Assess
    expect(seen).toEqual([false, false, false, false, false, true]);
    expect(progress).toMatchObject({ attempts: 6, successes: 5, consecutiveSuccesses: 3, healthyAt: WEDNESDAY.toISOString() });
    expect(fetch).toHaveBeenCalledWith(settingsOf.url, expect.objectContaining({ method: 'GET', redirect: 'manual' }));
  });
});

describe('the drill report', () => {
  const reportSettings: ReportSettings = {
    environment: 'staging',
    region: 'us-east-1',
    databaseInstanceId: 'financehub-staging-db',
    replicationGroupId: 'financehub-staging-redis',
    consecutiveSuccesses: 3,
    targets: { databaseFailoverSeconds: 120, cacheFailoverSeconds: 60, applicationHealthySeconds: 300 },
    lockTableName: 'financehub-staging-remediation-guardrails',
  };
  const execution = { name: 'drill-1', arn: 'arn:aws:states:us-east-1:111111111111:execution:financehub-staging-failover-drill:drill-1', startedAt: '2027-01-13T14:00:00.000Z' };

  it('reports a failure before any action as a warning with nothing changed', () => {
    // Prepare
    const state: DrillState = { lockRelease: { state: 'not-held', detail: 'This drill held no drill lock: nothing to release.' }, failure: { Error: 'AccessDeniedException', Cause: JSON.stringify({ errorMessage: 'not authorized to perform rds:DescribeDBInstances' }) } };

    // Act
    const report = buildReport(state, reportSettings, execution, {}, WEDNESDAY);

    // Assess
    expect(report).toMatchObject({ outcome: 'failed', severity: 'warning', summary: 'Failover drill could not start: AccessDeniedException: not authorized to perform rds:DescribeDBInstances. Nothing was changed.' });
  });

  it('writes the JSON and an escaped HTML page under drills/<workflow>/, named after the execution', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    const report = { ...buildReport({}, reportSettings, execution, {}, WEDNESDAY), summary: 'Drill <b>skipped</b> & more' };

    // Act
    const url = await writeDrillReport(new S3Client({}), 'financehub-staging-backups-111111111111', report);

    // Assess
    const keys = drillReportKeys(report);
    expect(keys).toEqual({ json: 'drills/failover-drill/2027-01-13T14-00-00Z-drill-1.json', html: 'drills/failover-drill/2027-01-13T14-00-00Z-drill-1.html' });
    expect(url).toBe(`s3://financehub-staging-backups-111111111111/${keys.html}`);
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.ContentType)).toEqual(['application/json', 'text/html; charset=utf-8']);
    expect(renderDrillReportHtml(report)).toContain('Drill &lt;b&gt;skipped&lt;/b&gt; &amp; more');
  });
});
