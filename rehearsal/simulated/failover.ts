import { CloudWatchClient, DescribeAlarmsCommand, type DescribeAlarmsCommandInput, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import {
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  InvalidReplicationGroupStateFault,
  type ReplicationGroup,
  TestFailoverCommand,
  TestFailoverNotAvailableFault,
} from '@aws-sdk/client-elasticache';
import { DescribeDBInstancesCommand, InvalidDBInstanceStateFault, RDSClient, RebootDBInstanceCommand } from '@aws-sdk/client-rds';
import type { ProbeFetch } from '../../functions/lib/health-probe.js';
import { type SimulatedAccount, rdsInstance, scriptedHealthEndpoint } from './account.js';
import { SimulatedClock } from './clock.js';
import type { EnvironmentName } from '../../contracts/environments.js';

/** A failover in progress: `pending` for a number of status checks (Infinity = never), `done` at the next, then idle. */
class PendingChange {
  private checksLeft: number | undefined;

  start(checks: number): void {
    this.checksLeft = checks;
  }

  /** A change is under way: the status answers `rebooting` / `modifying` until it is done. */
  get pending(): boolean {
    return this.checksLeft !== undefined;
  }

  check(): 'idle' | 'pending' | 'done' {
    if (this.checksLeft === undefined) return 'idle';
    if (this.checksLeft > 0) {
      this.checksLeft -= 1;
      return 'pending';
    }
    this.checksLeft = undefined;
    return 'done';
  }
}

export interface SimulatedFailoverOptions {
  readonly environment: EnvironmentName;
  /** When the drill starts (the maintenance window check reads it). */
  readonly startAt: number;
  /** Status checks answering `rebooting` before the database is available in the other zone; Infinity = never. @default 2 */
  readonly databasePolls?: number;
  /** Status checks answering `modifying` before the cache has a new primary; Infinity = never. @default 1 */
  readonly cachePolls?: number;
  /** Status codes of the health endpoint, in turn (the last repeats). @default [200] */
  readonly health?: readonly number[];
  /** @default true */
  readonly multiAz?: boolean;
  /** Cache replicas besides the primary. @default 1 */
  readonly replicas?: number;
  /** Alarms of the environment in ALARM before the drill starts. */
  readonly alarming?: readonly MetricAlarm[];
  /** The backend error-rate alarm is in ALARM during the drill, since this many minutes. */
  readonly errorRateAlarmMinutes?: number;
  /** RebootDBInstance rejects with this. */
  readonly rebootError?: Error;
}

/** TestFailover's quota: node groups tested per rolling 24 hours (the TestFailover API reference). */
const TEST_FAILOVERS_PER_DAY = 15;

/**
 * What the failover drill talks to, simulated: a Multi-AZ database whose forced reboot moves it to the standby zone
 * after a few status checks, a Redis group whose test failover promotes the replica, the environment's alarms and the
 * application's health endpoint (the drill lock is the simulated DynamoDB's). Used by the workflow tests and `fhops rehearse`.
 * It refuses what AWS refuses: a reboot while the instance is not available (InvalidDBInstanceState), a forced
 * failover of a single-AZ instance (InvalidParameterCombination), a test failover while the group is modifying
 * (InvalidReplicationGroupState) or beyond its daily quota (TestFailoverNotAvailable).
 */
export class SimulatedFailover {
  readonly clock: SimulatedClock;
  /** The application's health endpoint, answering the scripted status codes. */
  readonly fetch: ProbeFetch;

  /** `clock`: the rehearsal's clock, which the drill's Wait states move on. @default a clock at `startAt` */
  constructor(account: SimulatedAccount, options: SimulatedFailoverOptions, clock = new SimulatedClock(options.startAt)) {
    this.clock = clock;
    const env = options.environment;
    const db = `financehub-${env}-db`;
    const group = `financehub-${env}-redis`;

    let zone = 'us-east-1a';
    let standby = 'us-east-1b';
    const databaseFailover = new PendingChange();
    const rds = account.mock(RDSClient);
    rds.on(DescribeDBInstancesCommand).callsFake(async () => {
      const step = databaseFailover.check();
      if (step === 'done') [zone, standby] = [standby, zone];
      const status = step === 'pending' ? 'rebooting' : 'available';
      return { DBInstances: [rdsInstance(db, { DBInstanceStatus: status, MultiAZ: options.multiAz ?? true, AvailabilityZone: zone, SecondaryAvailabilityZone: standby })] };
    });
    rds.on(RebootDBInstanceCommand).callsFake(async (input: { ForceFailover?: boolean }) => {
      if (options.rebootError) throw options.rebootError;
      if (databaseFailover.pending) throw new InvalidDBInstanceStateFault({ message: `DB instance ${db} is not in available state (rebooting).`, $metadata: { httpStatusCode: 400 } });
      if (input.ForceFailover && options.multiAz === false) {
        throw Object.assign(new Error(`Cannot force a failover of ${db}: it is not a Multi-AZ instance.`), { name: 'InvalidParameterCombination', $metadata: { httpStatusCode: 400 } });
      }
      databaseFailover.start(options.databasePolls ?? 2);
      return { DBInstance: rdsInstance(db, { DBInstanceStatus: 'rebooting' }) };
    });

    const members = Array.from({ length: 1 + (options.replicas ?? 1) }, (_, i) => `${group}-00${i + 1}`);
    let primary = 0;
    const cacheFailover = new PendingChange();
    const describeGroup = (status: string): ReplicationGroup => ({
      ReplicationGroupId: group,
      Status: status,
      AutomaticFailover: 'enabled',
      MultiAZ: 'enabled',
      MemberClusters: members,
      NodeGroups: [{ NodeGroupId: '0001', Status: status, NodeGroupMembers: members.map((id, i) => ({ CacheClusterId: id, CurrentRole: i === primary ? 'primary' : 'replica' })) }],
    });
    const elasticache = account.mock(ElastiCacheClient);
    elasticache.on(DescribeReplicationGroupsCommand).callsFake(async () => {
      const step = cacheFailover.check();
      if (step === 'done') primary = (primary + 1) % members.length;
      const status = step === 'pending' ? 'modifying' : 'available';
      return { ReplicationGroups: [describeGroup(status)] };
    });
    const testedAt: number[] = [];
    elasticache.on(TestFailoverCommand).callsFake(async () => {
      if (cacheFailover.pending) throw new InvalidReplicationGroupStateFault({ message: `Replication group ${group} is not in available state (modifying).`, $metadata: { httpStatusCode: 400 } });
      const now = this.clock.now().getTime();
      if (testedAt.filter((at) => now - at < 86_400_000).length >= TEST_FAILOVERS_PER_DAY) {
        throw new TestFailoverNotAvailableFault({ message: `TestFailover is limited to ${TEST_FAILOVERS_PER_DAY} node groups in a rolling 24 hours.`, $metadata: { httpStatusCode: 400 } });
      }
      testedAt.push(now);
      cacheFailover.start(options.cachePolls ?? 1);
      return { ReplicationGroup: describeGroup('modifying') };
    });

    account.mock(CloudWatchClient).on(DescribeAlarmsCommand).callsFake(async (input: DescribeAlarmsCommandInput) => {
      if (input.AlarmNamePrefix) return { MetricAlarms: [...(options.alarming ?? [])] };
      const minutes = options.errorRateAlarmMinutes;
      if (minutes === undefined) return { MetricAlarms: [] };
      return { MetricAlarms: [{ AlarmName: `financehub-${env}-backend-high-error-rate`, StateValue: 'ALARM', StateUpdatedTimestamp: new Date(this.clock.now().getTime() - minutes * 60_000) }] };
    });
    this.fetch = scriptedHealthEndpoint(options.health ?? [200]);
  }
}
