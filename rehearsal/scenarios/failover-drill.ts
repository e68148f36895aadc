import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SimulatedFailover } from '../simulated/failover.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import { approvedInput, recordApproval } from './four-eyes.js';
import { type Scenario, published } from './scenario.js';

function lastWednesdayAfternoon(): number {
  const at = new Date();
  at.setUTCHours(14, 0, 0, 0);
  at.setUTCDate(at.getUTCDate() - ((at.getUTCDay() + 4) % 7));
  return at.getTime();
}

const drillInput = (environment: EnvironmentName) => approvedInput('failover-drill', environment, { environment, requestedBy: 'rehearsal' });

const failoverDrill: Scenario = {
  workflow: 'failover-drill',
  name: 'healthy',
  description: 'a Wednesday 14:00 UTC drill: the database moves zone in 45 s, the cache promotes its replica in 30 s, the API answers 200 three times in a row',
  expect: 'SUCCEEDED',
  functions: ['verify-approval', 'failover-drill'],
  // Production drills need a second person's approval; the rehearsal shows the approved path.
  input: (environment) => drillInput(environment),
  script: (account, environment, executionName) => {
    recordApproval(account, 'failover-drill', environment, drillInput(environment));
    const simulation = new SimulatedFailover(account, executionName, { environment, startAt: lastWednesdayAfternoon() });
    account.mock(S3Client).on(PutObjectCommand).resolves({});
    published(account);
    return { clients: { now: () => simulation.clock.now(), fetch: simulation.fetch } };
  },
};

export const failoverDrillScenarios: readonly Scenario[] = [failoverDrill];
