import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SimulatedFailover } from '../simulated/failover.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import { approvedInput, recordApproval } from './four-eyes.js';
import { type Scenario, published } from './scenario.js';

const drillInput = (environment: EnvironmentName) => approvedInput('failover-drill', environment, { environment, requestedBy: 'rehearsal' });

const failoverDrill: Scenario = {
  workflow: 'failover-drill',
  name: 'healthy',
  description: 'a Wednesday 14:00 UTC drill: the database moves zone in 45 s, the cache promotes its replica in 30 s, the API answers 200 three times in a row',
  expect: 'SUCCEEDED',
  functions: ['verify-approval', 'failover-drill'],
  // Production drills need a second person's approval; the rehearsal shows the approved path.
  input: (environment) => drillInput(environment),
  script: (account, environment, executionName, { clock }) => {
    recordApproval(account, 'failover-drill', environment, drillInput(environment), clock.now());
    const simulation = new SimulatedFailover(account, executionName, { environment, startAt: clock.now().getTime() }, clock);
    account.mock(S3Client).on(PutObjectCommand).resolves({});
    published(account);
    return { clients: { now: () => clock.now(), fetch: simulation.fetch } };
  },
};

export const failoverDrillScenarios: readonly Scenario[] = [failoverDrill];
