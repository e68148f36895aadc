import type { EnvironmentName } from '../../contracts/environments.js';
import { environmentConfig } from '../../infra/config.js';
import { RELEASE_DEPLOYMENT, type SimulatedReleaseOptions, simulateRelease } from '../simulated/release.js';
import { type Scenario, published } from './scenario.js';

/** The ECS event of the backend deployment completing in `environment`'s cluster. */
export function deploymentEvent(environment: EnvironmentName, eventName: 'SERVICE_DEPLOYMENT_COMPLETED' | 'SERVICE_DEPLOYMENT_FAILED' = 'SERVICE_DEPLOYMENT_COMPLETED') {
  const { prefix, region, account } = environmentConfig(environment);
  return {
    event: {
      version: '0',
      id: `5f3c1e2a-8d7b-4c6e-9a1f-${environment === 'staging' ? '2b3c4d5e6f70' : '7a8b9c0d1e2f'}`,
      'detail-type': 'ECS Deployment State Change',
      source: 'aws.ecs',
      account,
      time: '2026-12-01T14:05:00Z',
      region,
      resources: [`arn:aws:ecs:${region}:${account}:service/${prefix}/${prefix}-backend`],
      detail: { eventType: 'INFO', eventName, deploymentId: RELEASE_DEPLOYMENT, updatedAt: '2026-12-01T14:04:58Z', reason: `ECS deployment ${RELEASE_DEPLOYMENT} completed.` },
    },
  };
}

const release = (name: string, description: string, expect: Scenario['expect'], options: SimulatedReleaseOptions = {}): Scenario => ({
  workflow: 'smoke-test',
  name,
  description,
  expect,
  functions: ['smoke-test'],
  input: (environment) => deploymentEvent(environment),
  script: (account, environment) => {
    published(account);
    return { clients: { fetch: simulateRelease(account, environment, options).fetch } };
  },
});

export const smokeTestScenarios: readonly Scenario[] = [
  release('healthy', 'backend release: both health endpoints 200, targets healthy, alarms OK for every round', 'SUCCEEDED'),
  release('failing-health-check', 'backend release answers 503 on /api/health: fails after 3 rounds, rolled back in staging, notify-only in production', 'FAILED', { backendHealth: [503] }),
  release('error-rate-spike', 'backend error-rate alarm goes into ALARM in round 2: fails at once, rolled back in staging, notify-only in production', 'FAILED', {
    alarmFromRound: { kind: 'high-error-rate', round: 2 },
  }),
  {
    workflow: 'smoke-test',
    name: 'other-environment',
    description: 'a deployment event of the other environment\'s cluster: ignored, nothing probed or changed, one line to on-call',
    expect: 'SUCCEEDED',
    functions: ['smoke-test'],
    input: (environment) => deploymentEvent(environment === 'staging' ? 'production' : 'staging'),
    script: (account) => {
      published(account);
      return {};
    },
  },
];
