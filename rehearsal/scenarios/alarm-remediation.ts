import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeServiceDeploymentsCommand, DescribeServiceRevisionsCommand, ECSClient, ListServiceDeploymentsCommand, type ServiceDeployment, UpdateServiceCommand, type UpdateServiceCommandInput } from '@aws-sdk/client-ecs';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import highCpu from '../../events/alarm-high-cpu.json' with { type: 'json' };
import { environmentConfig } from '../../infra/config.js';
import { type EnvironmentName, SERVICES } from '../../contracts/environments.js';
import type { SimulatedAccount } from '../simulated/account.js';
import { ConditionalTables } from '../simulated/conditional-tables.js';
import { SimulatedEcs } from '../simulated/ecs.js';
import { SimulatedStepFunctions } from '../simulated/step-functions.js';
import { type Scenario, published } from './scenario.js';

/** The backend's latest deployment (revision 8, which replaced revision 7), finished this many minutes ago. */
export interface LatestDeployment {
  readonly minutesAgo: number;
  /** @default 'SUCCESSFUL' */
  readonly status?: ServiceDeployment['status'];
  /** @default MONITORING_COMPLETE, 0 of 3 failures */
  readonly circuitBreaker?: ServiceDeployment['deploymentCircuitBreaker'];
  /** The circuit breaker rolled it back to revision 7. */
  readonly rolledBack?: boolean;
}

export interface AlarmRemediationWorldOptions {
  /** `/<prefix>/remediation/kill-switch`. @default 'off' */
  readonly killSwitch?: string;
  /** `/<prefix>/remediation/dry-run`. @default 'off' */
  readonly dryRun?: string;
  /** The backend's desired (and running) tasks; the other services run 2. @default 10 */
  readonly desired?: number;
  /** The backend scalable target's max capacity (min 2). @default 10 */
  readonly max?: number;
  /** A deployment of every service is rolling out already. */
  readonly rolling?: boolean;
  /** @default finished 10 minutes ago, successful */
  readonly deployment?: LatestDeployment;
  /** Guardrail keys (`lock#worker`, `cooldown#high-memory#worker`) another execution, event-earlier, holds for 10 more minutes. */
  readonly held?: readonly string[];
  /** UpdateService is refused with this. */
  readonly updateError?: Error;
  /** Overrides already started, by execution name, and closed since: starting one again is ExecutionAlreadyExists. */
  readonly startedOverrides?: readonly string[];
  /** The account's Step Functions (the rehearsal's world holds the execution itself). @default a new one */
  readonly stepFunctions?: SimulatedStepFunctions;
}

/**
 * The remediation's account: its two switches in SSM, the guardrails table (locks and cooldowns are conditional writes
 * against the stored items), the cluster with the backend's deployment history, the backend's scalable target, the
 * scaling overrides it starts in Step Functions, the notification topic.
 */
export function alarmRemediationWorld(account: SimulatedAccount, environment: EnvironmentName, options: AlarmRemediationWorldOptions = {}): void {
  const { prefix, region, account: accountId } = environmentConfig(environment);
  account.mock(SSMClient).on(GetParametersCommand).resolves({
    Parameters: [
      { Name: `/${prefix}/remediation/kill-switch`, Type: 'String', Value: options.killSwitch ?? 'off' },
      { Name: `/${prefix}/remediation/dry-run`, Type: 'String', Value: options.dryRun ?? 'off' },
    ],
  });
  const guardrails = `${prefix}-remediation-guardrails`;
  const tables = new ConditionalTables(account, { tables: { [guardrails]: 'pk' } });
  const until = String(Math.floor(Date.now() / 1000) + 600);
  for (const key of options.held ?? []) tables.items.get(guardrails)?.set(key, { pk: { S: key }, owner: { S: 'event-earlier' }, expiresAt: { N: until } });

  const family = (service: string) => `arn:aws:ecs:${region}:${accountId}:task-definition/${prefix}-${service}`;
  new SimulatedEcs(account, {
    region,
    accountId,
    clusters: {
      [prefix]: SERVICES.map((service) => ({ name: `${prefix}-${service}`, desiredCount: service === 'backend' ? (options.desired ?? 10) : 2, taskDefinition: `${family(service)}:8`, rolling: options.rolling })),
    },
  });
  const ecs = account.mock(ECSClient);
  if (options.updateError) {
    const error = options.updateError;
    ecs.on(UpdateServiceCommand).callsFake(async (input: UpdateServiceCommandInput) => {
      account.refuse(input);
      throw error;
    });
  }
  const deployment = options.deployment ?? { minutesAgo: 10 };
  const finishedAt = new Date(Date.now() - deployment.minutesAgo * 60_000);
  const deployments = `arn:aws:ecs:${region}:${accountId}:service-deployment/${prefix}/${prefix}-backend`;
  ecs.on(ListServiceDeploymentsCommand).resolves({
    serviceDeployments: [
      { serviceDeploymentArn: `${deployments}/older`, status: 'SUCCESSFUL', createdAt: new Date(Date.now() - 3 * 86_400_000) },
      { serviceDeploymentArn: `${deployments}/latest`, status: deployment.status ?? 'SUCCESSFUL', createdAt: new Date(finishedAt.getTime() - 300_000), finishedAt },
    ],
  });
  ecs.on(DescribeServiceDeploymentsCommand).resolves({
    serviceDeployments: [
      {
        serviceDeploymentArn: `${deployments}/latest`,
        status: deployment.status ?? 'SUCCESSFUL',
        targetServiceRevision: { arn: 'revision-8' },
        sourceServiceRevisions: [{ arn: 'revision-7' }],
        deploymentCircuitBreaker: deployment.circuitBreaker ?? { status: 'MONITORING_COMPLETE', failureCount: 0, threshold: 3 },
        ...(deployment.rolledBack ? { rollback: { reason: 'circuit breaker', startedAt: finishedAt, serviceRevisionArn: 'revision-7' } } : {}),
      },
    ],
  });
  ecs.on(DescribeServiceRevisionsCommand).resolves({
    serviceRevisions: [
      { serviceRevisionArn: 'revision-8', taskDefinition: `${family('backend')}:8` },
      { serviceRevisionArn: 'revision-7', taskDefinition: `${family('backend')}:7` },
    ],
  });

  account.mock(ApplicationAutoScalingClient).on(DescribeScalableTargetsCommand).resolves({
    ScalableTargets: [{ ServiceNamespace: 'ecs', ResourceId: `service/${prefix}/${prefix}-backend`, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 2, MaxCapacity: options.max ?? 10, RoleARN: 'arn:x', CreationTime: new Date() }],
  });
  const stepFunctions = options.stepFunctions ?? new SimulatedStepFunctions(account);
  const overrides = `arn:aws:states:${region}:${accountId}:stateMachine:${prefix}-scaling-override`;
  for (const name of options.startedOverrides ?? []) stepFunctions.add({ stateMachineArn: overrides, name, input: '{}', status: 'SUCCEEDED' });
  published(account);
}

function backendHighCpu(environment: EnvironmentName) {
  const { prefix, account: id } = environmentConfig(environment);
  const alarm = `${prefix}-backend-high-cpu`;
  return {
    event: {
      ...highCpu,
      account: id,
      resources: [`arn:aws:cloudwatch:us-east-1:${id}:alarm:${alarm}`],
      detail: { ...highCpu.detail, alarmName: alarm },
    },
  };
}

const remediationPaused: Scenario = {
  workflow: 'alarm-remediation',
  name: 'kill-switch',
  description: 'backend CPU alarm while the kill switch is on: the runbook is only reported, nothing is changed',
  expect: 'SUCCEEDED',
  functions: ['alarm-remediation'],
  input: backendHighCpu,
  script: (account, environment, _executionName, { stepFunctions }) => {
    alarmRemediationWorld(account, environment, { killSwitch: 'on', stepFunctions });
    return {};
  },
};

const remediationScaleOut: Scenario = {
  workflow: 'alarm-remediation',
  name: 'scale-out',
  description: 'backend CPU alarm with 10 tasks at max 10: takes the service lock, starts a 60-minute scaling override to max 12, releases the lock',
  expect: 'SUCCEEDED',
  functions: ['alarm-remediation'],
  input: backendHighCpu,
  script: (account, environment, _executionName, { stepFunctions }) => {
    // The override starts in the world's Step Functions.
    alarmRemediationWorld(account, environment, { stepFunctions });
    return {};
  },
};

export const alarmRemediationScenarios: readonly Scenario[] = [remediationPaused, remediationScaleOut];
