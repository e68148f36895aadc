import {
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  ListServiceDeploymentsCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { ServiceName } from '../../contracts/environments.js';
import { awsCall } from './transient-error.js';

/**
 * A service's release as ECS records it: the task definition it runs, its image, commit and deployer (the release path
 * tags each revision it registers), and the task definition it replaced (ECS's service deployment record), the one a
 * rollback returns to. Read by the smoke test, the rollback workflow and `fhops deploy-status`.
 */

export interface ReleaseSettings {
  readonly environment: 'staging' | 'production';
  readonly clusterName: string;
  /** `${prefix}-`: the services are `${prefix}-frontend|backend|worker`. */
  readonly servicePrefix: string;
}

export interface Release {
  readonly service: ServiceName;
  readonly serviceName: string;
  readonly taskDefinition: string;
  readonly image?: string;
  readonly imageTag?: string;
  readonly commit?: string;
  readonly deployedBy: string;
  readonly previousTaskDefinition?: string;
  /** The release went back to an older revision than the one it replaced: a rollback is never rolled back further. */
  readonly isRollback: boolean;
  readonly runningCount?: number;
  readonly desiredCount?: number;
  /** The primary deployment: its id (`ecs-svc/...`) and rollout state (COMPLETED, IN_PROGRESS or FAILED). */
  readonly primaryDeploymentId?: string;
  readonly rolloutState?: string;
}

const revisionOf = (arn: string | undefined) => Number(/:(\d+)$/.exec(arn ?? '')?.[1] ?? Number.NaN);

async function primaryOf(ecs: ECSClient, clusterName: string, serviceName: string) {
  const { services = [] } = await awsCall(`reading service ${serviceName}`, () => ecs.send(new DescribeServicesCommand({ cluster: clusterName, services: [serviceName] })));
  const found = services[0];
  if (!found?.taskDefinition) throw new Error(`${serviceName} was not found in cluster ${clusterName}`);
  return { service: found, primary: (found.deployments ?? []).find((d) => d.status === 'PRIMARY') };
}

/** The task definition the service's primary deployment runs now, read from ECS. */
export async function runningTaskDefinition(ecs: ECSClient, settings: ReleaseSettings, serviceName: string): Promise<string | undefined> {
  const { service, primary } = await primaryOf(ecs, settings.clusterName, serviceName);
  return primary?.taskDefinition ?? service.taskDefinition;
}

export async function readRelease(ecs: ECSClient, settings: ReleaseSettings, service: ServiceName): Promise<Release> {
  const serviceName = `${settings.servicePrefix}${service}`;
  const { service: found, primary } = await primaryOf(ecs, settings.clusterName, serviceName);
  const taskDefinition = found.taskDefinition ?? '';
  const described = await awsCall(`reading task definition ${taskDefinition}`, () => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition, include: ['TAGS'] })));
  const tags = Object.fromEntries((described.tags ?? []).map((tag) => [tag.key ?? '', tag.value ?? '']));
  const image = described.taskDefinition?.containerDefinitions?.find((container) => container.name === service)?.image;
  const imageTag = image?.includes('@') ? undefined : image?.split(':').at(-1);
  const previousTaskDefinition = await previousOf(ecs, settings.clusterName, serviceName, taskDefinition);
  return {
    service,
    serviceName,
    taskDefinition,
    image,
    imageTag,
    commit: tags.commit ?? imageTag,
    deployedBy: tags['deployed-by'] ?? described.taskDefinition?.registeredBy ?? 'unknown',
    previousTaskDefinition,
    isRollback: previousTaskDefinition !== undefined && revisionOf(taskDefinition) < revisionOf(previousTaskDefinition),
    runningCount: found.runningCount,
    desiredCount: found.desiredCount,
    primaryDeploymentId: primary?.id,
    rolloutState: primary?.rolloutState,
  };
}

/** The source revision of the service's latest deployment to this task definition, as ECS recorded it. */
async function previousOf(ecs: ECSClient, clusterName: string, serviceName: string, taskDefinition: string): Promise<string | undefined> {
  const { serviceDeployments = [] } = await awsCall(`listing deployments of ${serviceName}`, () =>
    ecs.send(new ListServiceDeploymentsCommand({ cluster: clusterName, service: serviceName, maxResults: 10 })),
  );
  const latest = [...serviceDeployments].sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))[0];
  if (!latest?.serviceDeploymentArn) return undefined;
  const { serviceDeployments: details = [] } = await awsCall(`describing deployment ${latest.serviceDeploymentArn}`, () =>
    ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [latest.serviceDeploymentArn ?? ''] })),
  );
  const target = details[0]?.targetServiceRevision?.arn;
  const source = details[0]?.sourceServiceRevisions?.[0]?.arn;
  if (!target || !source) return undefined;
  const { serviceRevisions = [] } = await awsCall('describing service revisions', () => ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: [target, source] })));
  const taskDefinitionOf = (arn: string) => serviceRevisions.find((revision) => revision.serviceRevisionArn === arn)?.taskDefinition;
  // Only when ECS's latest deployment is the one to what runs now is its source the previous release.
  if (taskDefinitionOf(target) !== taskDefinition) return undefined;
  const previous = taskDefinitionOf(source);
  return previous && previous !== taskDefinition ? previous : undefined;
}

export interface RolledBack {
  readonly fromTaskDefinition: string;
  readonly toTaskDefinition: string;
  readonly deploymentId?: string;
  /** True when the service already ran the previous definition (a retry after the update went through). */
  readonly alreadyRolledBack: boolean;
  readonly at: string;
}

/**
 * Deploys the task definition the release replaced and reads back that the service's primary deployment runs it.
 * Safe to retry: when the service already runs it (the update went through before a timeout), nothing is updated.
 */
export async function rollBack(ecs: ECSClient, settings: ReleaseSettings, release: Release, now: () => Date): Promise<RolledBack> {
  const to = release.previousTaskDefinition;
  if (!to) throw new Error(`${release.serviceName}: no previous task definition to roll back to`);
  const before = await primaryOf(ecs, settings.clusterName, release.serviceName);
  const alreadyRolledBack = before.primary?.taskDefinition === to;
  if (!alreadyRolledBack) {
    await awsCall(`rolling ${release.serviceName} back to ${to}`, () =>
      ecs.send(new UpdateServiceCommand({ cluster: settings.clusterName, service: release.serviceName, taskDefinition: to })),
    );
  }
  const after = await primaryOf(ecs, settings.clusterName, release.serviceName);
  if (after.primary?.taskDefinition !== to) {
    throw new Error(`${release.serviceName} was asked to roll back to ${to}, but its primary deployment runs ${after.primary?.taskDefinition ?? 'nothing'}`);
  }
  return { fromTaskDefinition: release.taskDefinition, toTaskDefinition: to, deploymentId: after.primary.id, alreadyRolledBack, at: now().toISOString() };
}

/** After a failed rollback, what the service runs, read again: a report says it, or that it could not be read. */
export async function runningAfterFailure(ecs: ECSClient, settings: ReleaseSettings, serviceName: string): Promise<string> {
  try {
    return (await runningTaskDefinition(ecs, settings, serviceName)) ?? 'no primary deployment';
  } catch (error) {
    return `unknown (reading it failed: ${error instanceof Error ? error.message : String(error)})`;
  }
}
