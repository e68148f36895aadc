import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type HeldDrillLock, SimulatedDynamoDb, holdDrillLock } from '../simulated/dynamodb.js';
import { SimulatedFailover, type SimulatedFailoverOptions } from '../simulated/failover.js';
import type { SimulatedClock } from '../simulated/clock.js';
import type { SimulatedAccount } from '../simulated/account.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import { approvedInput, recordApproval } from './four-eyes.js';
import { type Scenario, lastWednesdayAfternoon, published } from './scenario.js';

/** What a failover drill's account varies: how the database, the cache, the alarms and the application answer, a drill already running. */
export interface FailoverDrillWorldOptions extends Partial<Omit<SimulatedFailoverOptions, 'environment'>> {
  /** The rehearsal's clock, which the drill's Wait states move on; `startAt` defaults to its time, else to last Wednesday 14:00 UTC. @default a clock at `startAt` */
  readonly clock?: SimulatedClock;
  /** Held for an hour from the start. */
  readonly lockHeldBy?: HeldDrillLock;
}

/** The failover drill's account as scripted, for a test to read back. */
export interface FailoverDrillWorld {
  readonly simulation: SimulatedFailover;
  /** The drill lock's table and the approvals': conditional writes against one simulated DynamoDB. */
  readonly dynamodb: SimulatedDynamoDb;
}

/** The failover drill's account: a Multi-AZ database, a Redis group with a replica, alarms, the health endpoint, the drill lock, the reports bucket. */
export function failoverDrillWorld(account: SimulatedAccount, environment: EnvironmentName, options: FailoverDrillWorldOptions = {}): FailoverDrillWorld {
  const { clock, lockHeldBy, ...failover } = options;
  const startAt = failover.startAt ?? clock?.now().getTime() ?? lastWednesdayAfternoon();
  const simulation = new SimulatedFailover(account, { ...failover, environment, startAt }, clock);
  const dynamodb = new SimulatedDynamoDb(account);
  if (lockHeldBy) holdDrillLock(dynamodb, environment, lockHeldBy.execution, lockHeldBy.drill, new Date(startAt + 3_600_000));
  account.mock(S3Client).on(PutObjectCommand).resolves({});
  published(account);
  return { simulation, dynamodb };
}

const drillInput = (environment: EnvironmentName) => approvedInput('failover-drill', environment, { environment, requestedBy: 'rehearsal' });

const failoverDrill: Scenario = {
  workflow: 'failover-drill',
  name: 'healthy',
  description: 'a Wednesday 14:00 UTC drill: takes the drill lock, the database moves zone in 45 s, the cache promotes its replica in 30 s, the API answers 200 three times in a row, releases the lock',
  expect: 'SUCCEEDED',
  functions: ['verify-approval', 'failover-drill'],
  // Production drills need a second person's approval; the rehearsal shows the approved path.
  input: (environment) => drillInput(environment),
  script: (account, environment, _executionName, { clock }) => {
    const { simulation, dynamodb } = failoverDrillWorld(account, environment, { clock });
    recordApproval(account, 'failover-drill', environment, drillInput(environment), clock.now(), dynamodb);
    return { clients: { now: () => clock.now(), fetch: simulation.fetch } };
  },
};

export const failoverDrillScenarios: readonly Scenario[] = [failoverDrill];
