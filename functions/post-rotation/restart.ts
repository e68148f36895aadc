import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import * as z from 'zod';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import { SECRET_KINDS, type SecretKind } from '../lib/rotated-secrets.js';
import { awsCall } from '../lib/transient-error.js';

/** The services did not settle within the polling cap: the state machine reports it as a failed restart. */
export class DeploymentsNotSteady extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeploymentsNotSteady';
  }
}

/** The execution input is not what the rotation ingress sends for this environment: nothing is restarted. */
export class InvalidRotationInput extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRotationInput';
  }
}

/** What this environment's post-rotation may touch: its own cluster and the services that read the database secret. */
export interface RestartSettings {
  readonly environment: EnvironmentName;
  readonly clusterName: string;
  readonly serviceNames: readonly string[];
}

export interface RotationInput {
  readonly secretId: string;
  readonly kind: SecretKind;
  /** The version the services restart on; the Redis token's revocation acts only while it is still AWSCURRENT. */
  readonly versionId?: string;
  readonly rotatedAt: string;
  readonly cluster: string;
  readonly services: readonly string[];
}

/** Secrets Manager accepts at most 2048 characters in a SecretId. */
const SECRET_ID_MAX = 2048;

/** Checks the execution input against the environment before anything is restarted; every problem is named. */
export function validateRotationInput(input: unknown, settings: RestartSettings): RotationInput {
  const schema = z.object({
    secretId: z.string({ error: 'secretId is required' }).min(1, 'secretId is required').max(SECRET_ID_MAX, `secretId must be at most ${SECRET_ID_MAX} characters`),
    // The master restarts nothing, so it never comes here.
    kind: z.enum(['database-app', 'redis-auth', 'django-secret-key', 'api-key', 'oauth-token'], { error: 'kind must be database-app, redis-auth, django-secret-key, api-key or oauth-token' }),
    versionId: z.string().min(1).max(64).optional(),
    rotatedAt: z.iso.datetime({ error: 'rotatedAt must be an ISO 8601 time' }),
    cluster: z.literal(settings.clusterName, { error: `cluster must be ${settings.clusterName} (this is the ${settings.environment} post-rotation)` }),
    services: z
      .array(z.enum(settings.serviceNames as [string, ...string[]], { error: `services may only name ${settings.serviceNames.join(', ')}` }), { error: 'services must be a list' })
      .min(1, 'services must name at least one service'),
  });
  const parsed = schema
    .refine((value) => value.kind !== 'redis-auth' || value.versionId !== undefined, { path: ['versionId'], message: 'versionId is required for the Redis AUTH token (its revocation is bound to it)' })
    .safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`);
    throw new InvalidRotationInput(`Invalid post-rotation input: ${[...new Set(problems)].join('; ')}. Nothing was restarted.`);
  }
  return { ...parsed.data, services: [...new Set(parsed.data.services)] };
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
  const { services = [], failures = [] } = await awsCall('describing the restarted services', () =>
    ecs.send(new DescribeServicesCommand({ cluster: state.cluster, services: [...state.services] })),
  );
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

/** One service as read back from ECS when the result is written: did a deployment start after the rotation? */
export interface ServiceRestart {
  readonly service: string;
  /** A deployment of the service was created at or after the rotation (the forced one, or a later one). */
  readonly restarted: boolean;
  /** Its primary deployment completed with every task running. */
  readonly steady: boolean;
  readonly detail: string;
}

/**
 * Reads the services back from ECS, so the result says which ones run on the new credentials instead of assuming
 * the forced deployments went through. Undefined when ECS does not answer: the result says it could not check.
 */
export async function readBackRestarts(ecs: ECSClient, input: Pick<RotationInput, 'cluster' | 'services' | 'rotatedAt'>): Promise<ServiceRestart[] | undefined> {
  const rotated = Date.parse(input.rotatedAt);
  try {
    const { services = [] } = await ecs.send(new DescribeServicesCommand({ cluster: input.cluster, services: [...input.services] }));
    return input.services.map((name) => {
      const service = services.find((candidate) => candidate.serviceName === name);
      if (!service) return { service: name, restarted: false, steady: false, detail: 'not found in the cluster' };
      const primary = service.deployments?.find((d) => d.status === 'PRIMARY');
      const restarted = (service.deployments ?? []).some((d) => d.createdAt !== undefined && d.createdAt.getTime() >= rotated);
      const steady = primary?.rolloutState === 'COMPLETED' && (service.deployments?.length ?? 0) === 1 && (service.runningCount ?? 0) >= (service.desiredCount ?? 0);
      const state = `${primary?.rolloutState ?? 'no primary deployment'}, ${service.runningCount ?? 0}/${service.desiredCount ?? 0} tasks`;
      return { service: name, restarted, steady, detail: restarted ? `deployment since the rotation: ${state}` : `NO deployment since the rotation (${state})` };
    });
  } catch {
    return undefined;
  }
}

/** What the revocation step returned: revoked (as ElastiCache reported it), skipped (AWSCURRENT moved on), or none to do. */
export const revocationSchema = z.object({
  state: z.enum(['revoked', 'skipped', 'not-applicable']),
  authTokenLastModified: z.string().optional(),
  note: z.string().optional(),
  reason: z.string().optional(),
});

export type Revocation = z.infer<typeof revocationSchema>;

export interface ReportInput {
  readonly environment: EnvironmentName;
  readonly secretId: string;
  /** Undefined when the input was refused before its kind was known. */
  readonly kind?: SecretKind;
  /** Which part failed, when `error` is set. */
  readonly stage?: 'restart' | 'revoke';
  readonly revocation?: Revocation;
  readonly services: readonly string[];
  readonly rotatedAt: string;
  readonly cluster?: string;
  readonly executionArn?: string;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
  /** The services as read back from ECS; undefined when they could not be read (or the input was rejected). */
  readonly restarts?: readonly ServiceRestart[];
}

function errorMessage(error: NonNullable<ReportInput['error']>): string {
  try {
    const parsed = JSON.parse(error.Cause ?? '') as { errorMessage?: string };
    if (typeof parsed.errorMessage === 'string') return `${error.Error ?? 'error'}: ${parsed.errorMessage}`;
  } catch {
    // Not JSON: an SDK integration's plain message.
  }
  return `${error.Error ?? 'error'}: ${error.Cause ?? ''}`.trim();
}

function revocationSentence(revocation: Revocation | undefined): string[] {
  if (!revocation || revocation.state === 'not-applicable') return [];
  if (revocation.state === 'skipped') return [`Did not revoke the previous value: ${revocation.reason ?? 'AWSCURRENT moved on'}`];
  const at = revocation.authTokenLastModified ? ` (ElastiCache reports the AUTH token changed at ${revocation.authTokenLastModified})` : '';
  return [`Revoked the previous Redis AUTH token with SET${at}${revocation.note ? `; ${revocation.note}` : ''}`];
}

function capitalized(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

/** What the on-call reads after a rotation: the new value in use everywhere, or which service still lags. */
export function postRotationResult(input: ReportInput, now: Date): OpsResultInput {
  const started = new Date(Number.isNaN(Date.parse(input.rotatedAt)) ? now.getTime() : Date.parse(input.rotatedAt));
  const duration = Math.max(0, (now.getTime() - started.getTime()) / 1000);
  const services = input.services.join(' and ');
  const kind = input.kind ? SECRET_KINDS[input.kind] : undefined;
  const label = capitalized(kind?.label ?? 'the secret');
  const rollback = kind ? kind.rollback.replace('<secret>', input.secretId) : 'Runbook: docs/runbooks/post-rotation.md';
  const common = {
    kind: 'OpsResult' as const,
    workflow: 'post-rotation',
    environment: input.environment,
    startedAt: started.toISOString(),
    finishedAt: now.toISOString(),
    durationSeconds: duration,
    executionArn: input.executionArn,
  };
  if (input.error?.Error === 'InvalidRotationInput') {
    return {
      ...common,
      outcome: 'failed',
      severity: 'critical',
      summary: `${label} rotated, but the post-rotation restart was refused: ${errorMessage(input.error)}`.slice(0, 1500),
      actionsTaken: ['Nothing was restarted'],
      howToUndo: 'Nothing to undo. The services still run on the previous value, which stays valid (for the Redis token both tokens stay valid until a SET): restart them by hand (aws ecs update-service --force-new-deployment). Runbook: docs/runbooks/post-rotation.md',
    };
  }
  const restarts = input.restarts;
  const lines = restarts?.map((r) => `${r.service}: ${r.detail}`) ?? [`Could not read ${services} back from ECS: check them in the console`];
  if (input.error && input.stage === 'revoke') {
    return {
      ...common,
      outcome: 'failed',
      severity: 'critical',
      summary: `${label} rotated and ${services} restarted on the new value, but revoking the previous token failed: ${errorMessage(input.error)}. The previous token may still be valid; nothing is down.`.slice(0, 1500),
      measurements: [],
      actionsTaken: [`Rotated ${input.secretId} (${kind?.strategy ?? 'see the runbook'})`, ...lines, 'Tried to revoke the previous token (SET)'],
      howToUndo: `Nothing to undo. To finish the revocation, start the post-rotation workflow again with the same input (fhops start post-rotation), which SETs the current token. ${rollback}`,
    };
  }
  const unrestarted = restarts?.filter((r) => !r.restarted) ?? [];
  const error = input.error ?? (unrestarted.length > 0 ? { Error: 'NotRestarted', Cause: `${unrestarted.map((r) => r.service).join(', ')} shows no deployment since the rotation` } : undefined);
  if (error) {
    const restarted = restarts?.filter((r) => r.restarted).map((r) => r.service) ?? [];
    const notRestarted = restarts?.filter((r) => !r.restarted).map((r) => r.service) ?? [];
    const where = restarts
      ? `${restarted.length > 0 ? `Restarted since the rotation: ${restarted.join(', ')}. ` : ''}${notRestarted.length > 0 ? `NOT restarted: ${notRestarted.join(', ')}.` : ''}`
      : 'ECS could not be read back, so which services restarted is unknown.';
    return {
      ...common,
      outcome: 'failed',
      severity: 'critical',
      summary: `${label} rotated, but restarting ${services} failed: ${errorMessage(error)}. ${where}`.trim().slice(0, 1500),
      measurements: [],
      actionsTaken: [`Rotated ${input.secretId} (${kind?.strategy ?? 'see the runbook'})`, ...lines, ...revocationSentence(input.revocation)],
      howToUndo: `Check the services, then retry: aws ecs update-service --cluster ${input.cluster ?? '<cluster>'} --service <service> --force-new-deployment. ${rollback}`,
    };
  }
  const revoked = revocationSentence(input.revocation);
  return {
    ...common,
    outcome: 'succeeded',
    severity: input.revocation?.state === 'skipped' ? 'warning' : 'info',
    summary: `${label} rotated and ${services} restarted on the new value in ${Math.round(duration)} s.${revoked.length ? ` ${revoked[0]}.` : ''}`,
    measurements: [{ name: 'Time to restart on the new value', value: Math.round(duration), unit: 's' }],
    actionsTaken: [`Rotated ${input.secretId} (${kind?.strategy ?? 'see the runbook'})`, `Forced new deployments of ${services}; each reached steady state`, ...(restarts ? lines : []), ...revoked],
    howToUndo: rollback,
  };
}
