import {
  ClusterNotFoundException,
  type Deployment,
  DescribeServicesCommand,
  type DescribeServicesCommandInput,
  ECSClient,
  type Service,
  ServiceNotFoundException,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import type { SimulatedAccount } from './account.js';

/** One service of a simulated cluster and how its next deployment goes. */
export interface SimulatedServiceOptions {
  readonly name: string;
  /** @default 2 */
  readonly desiredCount?: number;
  /** @default `arn:aws:ecs:<region>:<account>:task-definition/<name>:7` */
  readonly taskDefinition?: string;
  /** DescribeServices answers the new deployment IN_PROGRESS this many times before it settles. @default 1 */
  readonly rolloutChecks?: number;
  /** The deployment circuit breaker fails the next deployment and ECS rolls it back. @default false */
  readonly rolloutFails?: boolean;
  /** A deployment is already rolling out when the world starts; it settles as an update's does. @default false */
  readonly rolling?: boolean;
}

export interface SimulatedEcsOptions {
  readonly region: string;
  readonly accountId: string;
  /** Clusters by name, each with its services. */
  readonly clusters: Readonly<Record<string, readonly SimulatedServiceOptions[]>>;
}

interface ServiceState {
  readonly options: SimulatedServiceOptions;
  readonly arn: string;
  taskDefinition: string;
  deployments: Deployment[];
  checksLeft: number;
}

/** `financehub-staging-backend` or its ARN `arn:aws:ecs:…:service/<cluster>/financehub-staging-backend`. */
const serviceNameOf = (nameOrArn: string) => nameOrArn.split('/').at(-1) ?? nameOrArn;
const clusterNameOf = (nameOrArn: string | undefined) => (nameOrArn ?? 'default').split('/').at(-1) ?? 'default';

/**
 * ECS as the ops workflows talk to it: clusters holding services, UpdateService starting a new deployment (forced, or
 * onto another task definition) that DescribeServices shows IN_PROGRESS, then settled (or failed and rolled back by
 * the circuit breaker). It refuses what ECS refuses: a cluster that does not exist is ClusterNotFoundException, an
 * update of a service that does not exist ServiceNotFoundException, and DescribeServices answers a missing service in
 * `failures` with reason MISSING rather than inventing one.
 */
export class SimulatedEcs {
  private readonly clusters = new Map<string, Map<string, ServiceState>>();

  constructor(
    account: SimulatedAccount,
    private readonly options: SimulatedEcsOptions,
  ) {
    for (const [cluster, services] of Object.entries(options.clusters)) {
      const states = new Map<string, ServiceState>();
      for (const service of services) {
        const taskDefinition = service.taskDefinition ?? `arn:aws:ecs:${options.region}:${options.accountId}:task-definition/${service.name}:7`;
        const deployment: Deployment = { id: `ecs-svc/${service.name}-0`, status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition, createdAt: new Date(0), desiredCount: service.desiredCount ?? 2, runningCount: service.desiredCount ?? 2 };
        const rolling: Deployment[] = service.rolling ? [{ ...deployment, id: `ecs-svc/${service.name}-1`, rolloutState: 'IN_PROGRESS', createdAt: new Date(), runningCount: 0 }, { ...deployment, status: 'ACTIVE' }] : [deployment];
        states.set(service.name, { options: service, arn: this.serviceArn(cluster, service.name), taskDefinition, deployments: rolling, checksLeft: service.rolling ? (service.rolloutChecks ?? 1) : 0 });
      }
      this.clusters.set(cluster, states);
    }
    const ecs = account.mock(ECSClient);
    ecs.on(DescribeServicesCommand).callsFake(async (input: DescribeServicesCommandInput) => this.describe(input));
    ecs.on(UpdateServiceCommand).callsFake(async (input: UpdateServiceCommandInput) => this.update(input));
  }

  private serviceArn(cluster: string, service: string): string {
    return `arn:aws:ecs:${this.options.region}:${this.options.accountId}:service/${cluster}/${service}`;
  }

  private cluster(nameOrArn: string | undefined): Map<string, ServiceState> {
    const found = this.clusters.get(clusterNameOf(nameOrArn));
    if (!found) throw new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: { httpStatusCode: 400 } });
    return found;
  }

  /** A look at a service moves its rollout on: IN_PROGRESS for a few looks, then COMPLETED (or FAILED). */
  private look(state: ServiceState, moveOn = true): Service {
    const [primary] = state.deployments;
    if (moveOn && primary?.rolloutState === 'IN_PROGRESS') {
      if (state.checksLeft > 0) state.checksLeft -= 1;
      else if (state.options.rolloutFails) primary.rolloutState = 'FAILED';
      else {
        primary.rolloutState = 'COMPLETED';
        primary.runningCount = primary.desiredCount;
        state.deployments = [primary];
      }
    }
    const desiredCount = state.options.desiredCount ?? 2;
    return {
      serviceName: state.options.name,
      serviceArn: state.arn,
      status: 'ACTIVE',
      taskDefinition: state.taskDefinition,
      desiredCount,
      runningCount: desiredCount,
      deployments: state.deployments.map((deployment) => ({ ...deployment })),
    };
  }

  private describe(input: DescribeServicesCommandInput) {
    const cluster = this.cluster(input.cluster);
    const services: Service[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const requested of input.services ?? []) {
      const state = cluster.get(serviceNameOf(requested));
      if (state) services.push(this.look(state));
      else failures.push({ arn: this.serviceArn(clusterNameOf(input.cluster), serviceNameOf(requested)), reason: 'MISSING' });
    }
    return { services, failures };
  }

  private update(input: UpdateServiceCommandInput) {
    const cluster = this.cluster(input.cluster);
    const state = cluster.get(serviceNameOf(input.service ?? ''));
    if (!state) throw new ServiceNotFoundException({ message: 'Service not found.', $metadata: { httpStatusCode: 400 } });
    if (input.forceNewDeployment || (input.taskDefinition && input.taskDefinition !== state.taskDefinition)) {
      if (input.taskDefinition) state.taskDefinition = input.taskDefinition;
      const desiredCount = state.options.desiredCount ?? 2;
      const previous = state.deployments.map((deployment): Deployment => ({ ...deployment, status: 'ACTIVE' }));
      const started: Deployment = { id: `ecs-svc/${state.options.name}-${previous.length}`, status: 'PRIMARY', rolloutState: 'IN_PROGRESS', taskDefinition: state.taskDefinition, createdAt: new Date(), desiredCount, runningCount: 0 };
      state.deployments = [started, ...previous];
      state.checksLeft = state.options.rolloutChecks ?? 1;
    }
    return { service: this.look(state, false) };
  }
}
