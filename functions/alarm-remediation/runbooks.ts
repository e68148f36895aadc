import { type ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import {
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  type ECSClient,
  ListServiceDeploymentsCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { awsCall } from '../lib/transient-error.js';
import type { EnvironmentName, ServiceName } from '../../contracts/environments.js';
import type { ScalingLimits, ScalingOverrideStart } from '../../contracts/scaling.js';

/**
 * The runbooks: each plans first by reading (so a dry run shows the same decision) and acts in a separate step.
 * A plan's `action` is what the state machine routes on; `none` says why nothing is to be done.
 */

export interface RunbookSettings {
  readonly environment: EnvironmentName;
  readonly clusterName: string;
  /** `${prefix}-`: ECS services are `${prefix}-<service>`. */
  readonly servicePrefix: string;
  readonly scaleOutStep: number;
  readonly scaleOutDurationMinutes: number;
  /** Per service, the highest max capacity an override may set (`overrideMaxCeiling`). */
  readonly serviceLimits: ScalingLimits['services'];
  readonly allowAutomaticRollback: boolean;
  readonly deploymentRecentMinutes: number;
}

export interface RunbookClients {
  readonly ecs: ECSClient;
  readonly autoscaling: ApplicationAutoScalingClient;
  readonly now: () => Date;
}

export interface DeploymentFacts {
  readonly deploymentArn?: string;
  readonly status?: string;
  readonly statusReason?: string;
  readonly createdAt?: string;
  readonly finishedAt?: string;
  readonly minutesAgo?: number;
  readonly circuitBreaker?: { readonly status?: string; readonly failureCount?: number; readonly threshold?: number };
  readonly rolledBack?: boolean;
  readonly currentTaskDefinition?: string;
  readonly previousTaskDefinition?: string;
}

export type Plan =
  | { readonly action: 'none'; readonly reason: string; readonly deployment?: DeploymentFacts }
  | { readonly action: 'scale-out'; readonly reason: string; readonly override: ScalingOverrideStart; readonly from: { readonly min: number; readonly max: number; readonly desired: number } }
  | { readonly action: 'restart'; readonly reason: string; readonly taskDefinition?: string; readonly runningCount?: number }
  | { readonly action: 'roll-back'; readonly reason: string; readonly deployment: DeploymentFacts; readonly toTaskDefinition: string; readonly fromTaskDefinition: string };

const serviceName = (settings: RunbookSettings, service: ServiceName) => `${settings.servicePrefix}${service}`;

async function describeService(clients: RunbookClients, settings: RunbookSettings, service: ServiceName) {
  const { services = [] } = await awsCall(`describing ${service}`, () =>
    clients.ecs.send(new DescribeServicesCommand({ cluster: settings.clusterName, services: [serviceName(settings, service)] })),
  );
  const found = services[0];
  if (!found) throw new Error(`${serviceName(settings, service)} is not a service of cluster ${settings.clusterName}`);
  return found;
}

/** High CPU: only a service already at its max capacity gets more room (max + step, within the ceiling, for a while). */
export async function planScaleOut(clients: RunbookClients, settings: RunbookSettings, service: ServiceName, alarmName: string): Promise<Plan> {
  const ecsService = await describeService(clients, settings, service);
  const resourceId = `service/${settings.clusterName}/${serviceName(settings, service)}`;
  const { ScalableTargets = [] } = await awsCall(`reading the scalable target of ${service}`, () =>
    clients.autoscaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [resourceId], ScalableDimension: 'ecs:service:DesiredCount' })),
  );
  const target = ScalableTargets[0];
  if (target?.MinCapacity === undefined || target.MaxCapacity === undefined) return { action: 'none', reason: `${resourceId} has no scalable target to raise` };
  const desired = ecsService.desiredCount ?? 0;
  const { MinCapacity: min, MaxCapacity: max } = target;
  if (desired < max) return { action: 'none', reason: `autoscaling still has room: ${desired} tasks of max ${max}` };
  const ceiling = settings.serviceLimits[service].overrideMaxCeiling;
  if (max >= ceiling) return { action: 'none', reason: `already at the override ceiling (max ${max}, ceiling ${ceiling}): a person decides what next` };
  const newMax = Math.min(max + settings.scaleOutStep, ceiling);
  return {
    action: 'scale-out',
    reason: `${desired} tasks at max capacity ${max}: raise max to ${newMax} for ${settings.scaleOutDurationMinutes} min`,
    from: { min, max, desired },
    override: {
      environment: settings.environment,
      service,
      min,
      max: newMax,
      durationMinutes: settings.scaleOutDurationMinutes,
      reason: `${alarmName}: CPU high with ${desired} tasks at max capacity ${max}`,
      requestedBy: 'alarm-remediation',
    },
  };
}

/** High memory: a rolling restart, unless a deployment is already rolling (restarting on top of it helps nobody). */
export async function planRestart(clients: RunbookClients, settings: RunbookSettings, service: ServiceName): Promise<Plan> {
  const ecsService = await describeService(clients, settings, service);
  const rolling = (ecsService.deployments ?? []).find((deployment) => deployment.rolloutState === 'IN_PROGRESS');
  if (rolling) return { action: 'none', reason: `a deployment of ${service} is already rolling (${rolling.id}): it replaces the tasks anyway` };
  return {
    action: 'restart',
    reason: `replace the ${ecsService.runningCount ?? 0} running tasks of ${service} one by one (same task definition)`,
    taskDefinition: ecsService.taskDefinition,
    runningCount: ecsService.runningCount,
  };
}

/**
 * High error rate or a failed deployment: reports the latest deployment and its circuit breaker; plans a rollback to
 * the previous revision only for a deployment that completed recently, was not rolled back, and where config allows.
 */
export async function inspectDeployment(clients: RunbookClients, settings: RunbookSettings, service: ServiceName, deploymentFailed: boolean): Promise<Plan> {
  const now = clients.now();
  const { serviceDeployments = [] } = await awsCall(`listing deployments of ${service}`, () =>
    clients.ecs.send(new ListServiceDeploymentsCommand({ cluster: settings.clusterName, service: serviceName(settings, service), maxResults: 10 })),
  );
  const latest = [...serviceDeployments].sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))[0];
  if (!latest?.serviceDeploymentArn) return { action: 'none', reason: `no deployment of ${service} on record: not a deployment problem` };
  const minutesAgo = Math.round((now.getTime() - (latest.finishedAt ?? latest.createdAt ?? now).getTime()) / 60_000);
  const { serviceDeployments: described = [] } = await awsCall(`describing deployment ${latest.serviceDeploymentArn}`, () =>
    clients.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [latest.serviceDeploymentArn ?? ''] })),
  );
  const deployment = described[0];
  const revisionArns = [deployment?.targetServiceRevision?.arn, deployment?.sourceServiceRevisions?.[0]?.arn].filter((arn): arn is string => Boolean(arn));
  const { serviceRevisions = [] } =
    revisionArns.length > 0
      ? await awsCall('describing service revisions', () => clients.ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: revisionArns })))
      : { serviceRevisions: [] };
  const taskDefinitionOf = (arn: string | undefined) => serviceRevisions.find((revision) => revision.serviceRevisionArn === arn)?.taskDefinition;
  const status = deployment?.status ?? latest.status;
  const facts: DeploymentFacts = {
    deploymentArn: latest.serviceDeploymentArn,
    status,
    statusReason: deployment?.statusReason ?? latest.statusReason,
    createdAt: latest.createdAt?.toISOString(),
    finishedAt: latest.finishedAt?.toISOString(),
    minutesAgo,
    circuitBreaker: deployment?.deploymentCircuitBreaker
      ? { status: deployment.deploymentCircuitBreaker.status, failureCount: deployment.deploymentCircuitBreaker.failureCount, threshold: deployment.deploymentCircuitBreaker.threshold }
      : undefined,
    rolledBack: deployment?.rollback !== undefined || (status?.startsWith('ROLLBACK') ?? false),
    currentTaskDefinition: taskDefinitionOf(deployment?.targetServiceRevision?.arn),
    previousTaskDefinition: taskDefinitionOf(deployment?.sourceServiceRevisions?.[0]?.arn),
  };
  const breaker = facts.circuitBreaker ? `circuit breaker ${facts.circuitBreaker.status ?? 'unknown'} (${facts.circuitBreaker.failureCount ?? 0} of ${facts.circuitBreaker.threshold ?? '?'} failures)` : 'no circuit breaker data';

  if (facts.rolledBack) return { action: 'none', reason: `the deployment was already rolled back (${status}; ${breaker})`, deployment: facts };
  if (status === 'IN_PROGRESS' || status === 'PENDING') return { action: 'none', reason: `the deployment is still rolling out; the ${breaker} rolls it back if tasks keep failing`, deployment: facts };
  if (!deploymentFailed && minutesAgo > settings.deploymentRecentMinutes) {
    return { action: 'none', reason: `the last deployment finished ${minutesAgo} min ago (more than ${settings.deploymentRecentMinutes}): not a deployment problem`, deployment: facts };
  }
  if (!facts.previousTaskDefinition || !facts.currentTaskDefinition || facts.previousTaskDefinition === facts.currentTaskDefinition) {
    return { action: 'none', reason: `no earlier task definition to roll back to (${breaker})`, deployment: facts };
  }
  if (!settings.allowAutomaticRollback) {
    return { action: 'none', reason: `a rollback to ${facts.previousTaskDefinition} is not automatic in ${settings.environment}: a person decides (${breaker})`, deployment: facts };
  }
  return {
    action: 'roll-back',
    reason: `the deployment ${minutesAgo} min ago is followed by ${deploymentFailed ? 'a deployment failure' : 'a high error rate'} (${breaker}): roll back to ${facts.previousTaskDefinition}`,
    deployment: facts,
    toTaskDefinition: facts.previousTaskDefinition,
    fromTaskDefinition: facts.currentTaskDefinition,
  };
}

/** A rolling restart: a new deployment of the same task definition, replacing tasks within the service's health limits. */
export async function restartService(clients: RunbookClients, settings: RunbookSettings, service: ServiceName): Promise<{ deploymentId?: string; startedAt: string }> {
  const { service: updated } = await awsCall(`restarting ${service}`, () =>
    clients.ecs.send(new UpdateServiceCommand({ cluster: settings.clusterName, service: serviceName(settings, service), forceNewDeployment: true })),
  );
  const primary = (updated?.deployments ?? []).find((deployment) => deployment.status === 'PRIMARY');
  return { deploymentId: primary?.id, startedAt: clients.now().toISOString() };
}

/** Rolls the service back to the previous task definition (a new deployment of it). */
export async function rollBack(clients: RunbookClients, settings: RunbookSettings, service: ServiceName, taskDefinition: string): Promise<{ deploymentId?: string; startedAt: string }> {
  const { service: updated } = await awsCall(`rolling ${service} back`, () =>
    clients.ecs.send(new UpdateServiceCommand({ cluster: settings.clusterName, service: serviceName(settings, service), taskDefinition })),
  );
  const primary = (updated?.deployments ?? []).find((deployment) => deployment.status === 'PRIMARY');
  return { deploymentId: primary?.id, startedAt: clients.now().toISOString() };
}
