import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import type { EnvironmentName } from '../../contracts/environments.js';

/** The services did not settle within the polling cap: the state machine reports it as a failed restart. */
export class DeploymentsNotSteady extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeploymentsNotSteady';
  }
}

export interface RestartState {
  readonly cluster: string;
  readonly services: readonly string[];
  readonly attempts?: number;
}

export interface SteadyCheck {
  readonly steady: boolean;
  readonly attempts: number;
  readonly services: { readonly service: string; readonly rolloutState: string; readonly deployments: number; readonly running: number; readonly desired: number }[];
}

/** One poll: every service has a single, completed deployment with all its tasks running. Throws after `maxAttempts`. */
export async function checkDeployments(ecs: ECSClient, state: RestartState, maxAttempts: number): Promise<SteadyCheck> {
  const attempts = (state.attempts ?? 0) + 1;
  const { services = [], failures = [] } = await ecs.send(new DescribeServicesCommand({ cluster: state.cluster, services: [...state.services] }));
  if (failures.length) throw new Error(`ECS could not describe ${failures.map((f) => `${f.arn}: ${f.reason}`).join(', ')}`);
  const rows = services.map((service) => {
    const primary = service.deployments?.find((d) => d.status === 'PRIMARY');
    return {
      service: service.serviceName ?? '?',
      rolloutState: primary?.rolloutState ?? 'UNKNOWN',
      deployments: service.deployments?.length ?? 0,
      running: service.runningCount ?? 0,
      desired: service.desiredCount ?? 0,
    };
  });
  const failed = rows.find((row) => row.rolloutState === 'FAILED');
  if (failed) throw new DeploymentsNotSteady(`${failed.service}: the forced deployment failed and was rolled back`);
  const steady = rows.length === state.services.length && rows.every((r) => r.rolloutState === 'COMPLETED' && r.deployments === 1 && r.running >= r.desired);
  if (!steady && attempts >= maxAttempts) {
    throw new DeploymentsNotSteady(`Not steady after ${attempts} checks: ${rows.map((r) => `${r.service} ${r.rolloutState} ${r.running}/${r.desired}`).join(', ')}`);
  }
  return { steady, attempts, services: rows };
}

export interface ReportInput {
  readonly environment: EnvironmentName;
  readonly secretId: string;
  readonly services: readonly string[];
  readonly rotatedAt: string;
  readonly executionArn?: string;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

/** What the on-call reads after a rotation: new credentials in use everywhere, or which service still lags. */
export function postRotationResult(input: ReportInput, now: Date): OpsResultInput {
  const started = new Date(input.rotatedAt);
  const duration = Math.max(0, (now.getTime() - started.getTime()) / 1000);
  const services = input.services.join(' and ');
  const common = {
    kind: 'OpsResult' as const,
    workflow: 'post-rotation',
    environment: input.environment,
    startedAt: started.toISOString(),
    finishedAt: now.toISOString(),
    durationSeconds: duration,
    executionArn: input.executionArn,
    measurements: [{ name: 'Time to restart on new credentials', value: Math.round(duration), unit: 's' }],
  };
  if (input.error) {
    return {
      ...common,
      outcome: 'failed',
      severity: 'critical',
      summary: `The database secret rotated, but restarting ${services} failed: ${input.error.Error ?? 'error'}: ${input.error.Cause ?? ''}`.trim(),
      actionsTaken: [`Rotated ${input.secretId} (the previous credentials keep working until the next rotation)`, `Forced new deployments of ${services}`],
      howToUndo: `Nothing to undo: old and new credentials both work. Check the services, then retry: aws ecs update-service --cluster <cluster> --service <service> --force-new-deployment`,
    };
  }
  return {
    ...common,
    outcome: 'succeeded',
    severity: 'info',
    summary: `The database credentials rotated and ${services} restarted on them in ${Math.round(duration)} s.`,
    actionsTaken: [`Rotated ${input.secretId} to the alternate user`, `Forced new deployments of ${services}; both reached steady state`],
    howToUndo:
      'Nothing to undo: the previous credentials stay valid until the next rotation. To roll back, move AWSCURRENT back with aws secretsmanager update-secret-version-stage and restart the services.',
  };
}
