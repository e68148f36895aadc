import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SimulatedFailover } from '../simulated/failover.js';
import { type Scenario, published } from './scenario.js';

const failoverDrill: Scenario = {
  workflow: 'failover-drill',
  name: 'healthy',
  description: 'a Wednesday 14:00 UTC drill: the database moves zone in 45 s, the cache promotes its replica in 30 s, the API answers 200 three times in a row',
  expect: 'SUCCEEDED',
  functions: ['failover-drill'],
  // Production drills need a second person's approval; the rehearsal shows the approved path.
  input: (environment) => (environment === 'production' ? { environment, requestedBy: 'U04ALICE (alice) via rehearsal', approvedBy: 'U04BOB (bob)' } : { environment, requestedBy: 'rehearsal' }),
  script: (account, environment, executionName, { clock }) => {
    const simulation = new SimulatedFailover(account, executionName, { environment, startAt: clock.now().getTime() }, clock);
    account.mock(S3Client).on(PutObjectCommand).resolves({});
    published(account);
    return { clients: { now: () => clock.now(), fetch: simulation.fetch } };
  },
};

export const failoverDrillScenarios: readonly Scenario[] = [failoverDrill];
