import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SimulatedDynamoDb } from '../simulated/dynamodb.js';
import { SimulatedFailover } from '../simulated/failover.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import { approvedInput, recordApproval } from './four-eyes.js';
import { type Scenario, published } from './scenario.js';

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
    // The drill lock and the approvals are conditional writes against one simulated DynamoDB.
    const dynamodb = new SimulatedDynamoDb(account);
    recordApproval(account, 'failover-drill', environment, drillInput(environment), clock.now(), dynamodb);
    const simulation = new SimulatedFailover(account, { environment, startAt: clock.now().getTime() }, clock);
    account.mock(S3Client).on(PutObjectCommand).resolves({});
    published(account);
    return { clients: { now: () => clock.now(), fetch: simulation.fetch } };
  },
};

export const failoverDrillScenarios: readonly Scenario[] = [failoverDrill];
