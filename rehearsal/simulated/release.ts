import { CloudWatchClient, DescribeAlarmsCommand, type DescribeAlarmsCommandInput } from '@aws-sdk/client-cloudwatch';
import {
  ClientException,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandInput,
  ECSClient,
  ListServiceDeploymentsCommand,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { EnvironmentName } from '../../contracts/environments.js';
import type { ProbeFetch } from '../../functions/lib/health-probe.js';
import { environmentConfig } from '../../infra/config.js';
import { watchedAlarms } from '../../infra/workflows/smoke-test.js';
import type { SimulatedAccount } from './account.js';

/**
 * A release of the backend in the simulated account: ECS runs revision 8 (image `<sha>`, tagged by the release path),
 * which replaced revision 7; the load balancer sees two healthy targets per service; the alarms are OK. Options break
 * one thing: the health endpoint, an alarm from a given round on. ECS refuses an update to a task definition it does
 * not know, and an update changes the service's primary deployment, as ECS does.
 */

export const RELEASE_SHA = '3f9c2d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e';
export const RELEASE_DEPLOYMENT = 'ecs-svc/4711000000000000042';

export interface SimulatedReleaseOptions {
  /** Status codes the backend's /api/health answers in turn (the last repeats). @default [200] */
  readonly backendHealth?: readonly number[];
  /** From this check round on (1-based), this alarm is in ALARM. */
  readonly alarmFromRound?: { readonly kind: 'high-error-rate' | 'high-latency'; readonly round: number };
}

export interface SimulatedRelease {
  readonly previousTaskDefinition: string;
  readonly releasedTaskDefinition: string;
  /** What the backend service runs now (changes when something rolls it back). */
  readonly current: () => string;
  readonly fetch: ProbeFetch;
}

export function simulateRelease(account: SimulatedAccount, environment: EnvironmentName, options: SimulatedReleaseOptions = {}): SimulatedRelease {
  const config = environmentConfig(environment);
  const { prefix, region, account: id } = config;
  const family = `${prefix}-backend`;
  const definition = (revision: number) => `arn:aws:ecs:${region}:${id}:task-definition/${family}:${revision}`;
  const registry = `${id}.dkr.ecr.${region}.amazonaws.com/${prefix}/backend`;
  const images: Record<string, string> = { [definition(7)]: `${registry}:0a1b2c3d4e5f60718293a4b5c6d7e8f901234567`, [definition(8)]: `${registry}:${RELEASE_SHA}` };
  let primary = { id: RELEASE_DEPLOYMENT, taskDefinition: definition(8) };
  let deployments = 0;

  const ecs = account.mock(ECSClient);
  ecs.on(DescribeServicesCommand).callsFake(async () => ({
    services: [{ serviceName: family, clusterArn: `arn:aws:ecs:${region}:${id}:cluster/${prefix}`, taskDefinition: primary.taskDefinition, deployments: [{ ...primary, status: 'PRIMARY' }] }],
  }));
  ecs.on(DescribeTaskDefinitionCommand).callsFake(async (input: DescribeTaskDefinitionCommandInput) => {
    const image = images[input.taskDefinition ?? ''];
    if (!image) throw new ClientException({ message: 'Unable to describe task definition.', $metadata: { httpStatusCode: 400 } });
    return {
      taskDefinition: { taskDefinitionArn: input.taskDefinition, family, containerDefinitions: [{ name: 'backend', image }], registeredBy: `arn:aws:sts::${id}:assumed-role/${prefix}-github-deploy-backend/run-1-1` },
      tags: [{ key: 'commit', value: image.split(':').at(-1) }, { key: 'deployed-by', value: 'alice' }],
    };
  });
  const deploymentArn = `arn:aws:ecs:${region}:${id}:service-deployment/${prefix}/${family}/r8`;
  const revision = (n: number) => `arn:aws:ecs:${region}:${id}:service-revision/${prefix}/${family}/${n}`;
  ecs.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [{ serviceDeploymentArn: deploymentArn, status: 'SUCCESSFUL', createdAt: new Date(Date.now() - 6 * 60_000) }] });
  ecs.on(DescribeServiceDeploymentsCommand).resolves({
    serviceDeployments: [{ serviceDeploymentArn: deploymentArn, status: 'SUCCESSFUL', targetServiceRevision: { arn: revision(8) }, sourceServiceRevisions: [{ arn: revision(7) }] }],
  });
  ecs.on(DescribeServiceRevisionsCommand).resolves({
    serviceRevisions: [
      { serviceRevisionArn: revision(8), taskDefinition: definition(8) },
      { serviceRevisionArn: revision(7), taskDefinition: definition(7) },
    ],
  });
  ecs.on(UpdateServiceCommand).callsFake(async (input: UpdateServiceCommandInput) => {
    const to = input.taskDefinition ?? primary.taskDefinition;
    if (!images[to]) throw new ClientException({ message: 'Unable to describe task definition.', $metadata: { httpStatusCode: 400 } });
    // ECS starts a deployment only when something changes.
    if (to !== primary.taskDefinition) {
      deployments += 1;
      primary = { id: `ecs-svc/50000000000000000${deployments}`, taskDefinition: to };
    }
    return { service: { serviceName: family, taskDefinition: primary.taskDefinition, deployments: [{ ...primary, status: 'PRIMARY' }] } };
  });

  account.mock(ElasticLoadBalancingV2Client).on(DescribeTargetHealthCommand).resolves({
    TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }, { TargetHealth: { State: 'healthy' } }],
  });
  let rounds = 0;
  account.mock(CloudWatchClient).on(DescribeAlarmsCommand).callsFake(async (input: DescribeAlarmsCommandInput) => {
    rounds += 1;
    const breached = options.alarmFromRound && rounds >= options.alarmFromRound.round ? `${prefix}-backend-${options.alarmFromRound.kind}` : undefined;
    return { MetricAlarms: (input.AlarmNames ?? []).filter((name) => watchedAlarms(config).includes(name)).map((AlarmName) => ({ AlarmName, StateValue: AlarmName === breached ? 'ALARM' : 'OK' })) };
  });

  const backend = [...(options.backendHealth ?? [200])];
  const fetch: ProbeFetch = async (url) => {
    if (!url.endsWith('/api/health')) return { status: 200 };
    return { status: backend.length > 1 ? (backend.shift() ?? 200) : (backend[0] ?? 200) };
  };
  return { previousTaskDefinition: definition(7), releasedTaskDefinition: definition(8), current: () => primary.taskDefinition, fetch };
}

