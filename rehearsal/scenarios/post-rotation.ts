import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { environmentConfig } from '../../infra/config.js';
import { type Scenario, published, steady } from './scenario.js';


const postRotation: Scenario = {
  workflow: 'post-rotation',
  name: 'restart',
  description: 'backend and worker restart on the rotated credentials and are steady at the second check',
  expect: 'SUCCEEDED',
  functions: ['post-rotation'],
  input: (environment) => {
    const { prefix } = environmentConfig(environment);
    return { secretId: `${prefix}/db/app`, rotatedAt: new Date().toISOString(), cluster: prefix, services: [`${prefix}-backend`, `${prefix}-worker`] };
  },
  script: (account, environment) => {
    const { prefix } = environmentConfig(environment);
    const ecs = account.mock(ECSClient);
    ecs.on(UpdateServiceCommand).callsFake((request: { service: string }) => ({ service: { serviceName: request.service } }));
    let checks = 0;
    // Described when asked, so the forced deployments are newer than the rotation.
    ecs.on(DescribeServicesCommand).callsFake(async () => {
      checks += 1;
      const [state, deployments] = checks === 1 ? (['IN_PROGRESS', 2] as const) : (['COMPLETED', 1] as const);
      return { services: [steady(`${prefix}-backend`, state, deployments), steady(`${prefix}-worker`, state, deployments)] };
    });
    published(account);
    return {};
  },
};

export const postRotationScenarios: readonly Scenario[] = [postRotation];
