import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { environmentConfig } from '../../infra/config.js';
import { SimulatedReplicationGroup } from '../simulated/elasticache.js';
import { type Scenario, published, simulatedCluster } from './scenario.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import type { SimulatedAccount } from '../simulated/account.js';
import type { SimulatedServiceOptions } from '../simulated/ecs.js';

/** The Redis AUTH token's rotation as post-rotation finds it: the secret's versions, the new token, the replication group. */
export interface RotatedRedisToken {
  /** @default 'rehearsal-version' */
  readonly version?: string;
  /** @default 'rehearsal-previous' */
  readonly previousVersion?: string;
  /** @default 'RehearsalOnlyToken0123456789abcdef' */
  readonly token?: string;
  /** ModifyReplicationGroup (the SET revoking the previous token) is refused with this. */
  readonly modifyError?: Error;
  /** Looks a SET takes to apply (Infinity: it never does). @default 2 */
  readonly applyLooks?: number;
}

export interface PostRotationWorldOptions {
  /** How the forced deployments of backend and worker go. @default steady at the second check */
  readonly backend?: Partial<SimulatedServiceOptions>;
  readonly worker?: Partial<SimulatedServiceOptions>;
  /** The Redis AUTH token rotated: its secret and the replication group; the forced deployments are steady at the first check. */
  readonly redis?: RotatedRedisToken;
}

/** What post-rotation restarts and revokes in: the cluster's backend and worker, for the Redis token its secret and cache, the topic. */
export function postRotationWorld(account: SimulatedAccount, environment: EnvironmentName, options: PostRotationWorldOptions = {}): void {
  const { prefix } = environmentConfig(environment);
  const steadyAtOnce = options.redis ? { rolloutChecks: 0 } : {};
  simulatedCluster(account, environment, { backend: { ...steadyAtOnce, ...options.backend }, worker: { ...steadyAtOnce, ...options.worker } });
  if (options.redis) {
    const { version = 'rehearsal-version', previousVersion = 'rehearsal-previous', token = 'RehearsalOnlyToken0123456789abcdef', modifyError, applyLooks } = options.redis;
    const secrets = account.mock(SecretsManagerClient);
    secrets.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { [previousVersion]: ['AWSPREVIOUS'], [version]: ['AWSCURRENT'] } });
    secrets.on(GetSecretValueCommand).resolves({ VersionId: version, SecretString: token });
    // After setSecret's ROTATE: the previous and the new token are both valid.
    new SimulatedReplicationGroup(account, { id: `${prefix}-redis`, tokens: ['rehearsal-previous-token', token], modifyError, applyLooks });
  }
  published(account);
}

/**
 * A rotation whose services restart and nothing else: the database application user, the Django keys, the owners'
 * API keys. With `backendRollsBack` the backend's forced deployment fails and ECS rolls it back.
 */
const restartAfterRotation = (
  name: string,
  kind: 'database-app' | 'django-secret-key' | 'api-key',
  secretName: string,
  description: string,
  backendRollsBack = false,
): Scenario => ({
  workflow: 'post-rotation',
  name,
  description,
  expect: backendRollsBack ? 'FAILED' : 'SUCCEEDED',
  functions: ['post-rotation'],
  input: (environment) => {
    const { prefix } = environmentConfig(environment);
    return { secretId: `${prefix}/${secretName}`, kind, versionId: 'rehearsal-version', rotatedAt: new Date().toISOString(), cluster: prefix, services: [`${prefix}-backend`, `${prefix}-worker`] };
  },
  script: (account, environment) => {
    // The forced deployments settle at the second check; the backend's fails and is rolled back when told so.
    postRotationWorld(account, environment, { backend: { rolloutFails: backendRollsBack } });
    return {};
  },
});

const redisRotation = (name: string, description: string, expect: Scenario['expect'], refuseSet?: Error): Scenario => ({
  workflow: 'post-rotation',
  name,
  description,
  expect,
  functions: ['post-rotation', 'rotate-redis-auth'],
  input: (environment) => {
    const { prefix, region, account } = environmentConfig(environment);
    return {
      secretId: `arn:aws:secretsmanager:${region}:${account}:secret:${prefix}/redis-auth-AbCdEf`,
      kind: 'redis-auth',
      versionId: 'rehearsal-version',
      rotatedAt: new Date().toISOString(),
      cluster: prefix,
      services: [`${prefix}-backend`, `${prefix}-worker`],
    };
  },
  script: (account, environment) => {
    // The forced deployments are created when ECS is asked, after the rotation, and are steady at the first check.
    postRotationWorld(account, environment, { redis: { modifyError: refuseSet } });
    return {};
  },
});

export const postRotationScenarios: readonly Scenario[] = [
  restartAfterRotation('restart', 'database-app', 'db/app', 'backend and worker restart on the rotated credentials and are steady at the second check'),
  restartAfterRotation('django-secret-key', 'django-secret-key', 'django-secret-key', 'Django keys: backend and worker restart on the new SECRET_KEY, the previous one in SECRET_KEY_FALLBACKS'),
  restartAfterRotation('api-keys', 'api-key', 'api-keys', 'API keys its owner rotated (fhops secret put, probed, promoted): backend and worker restart on them; the old key stays valid at the issuer for a rollback'),
  restartAfterRotation(
    'restart-rolled-back',
    'database-app',
    'db/app',
    'The backend\'s forced deployment fails and ECS rolls it back: on-call is told which service restarted and which did not, and how to retry',
    true,
  ),
  redisRotation('redis-auth', 'Redis AUTH token: backend and worker restart on the new token, then SET revokes the previous one', 'SUCCEEDED'),
  redisRotation(
    'redis-auth-revoke-refused',
    'Redis AUTH token: the services restarted, ElastiCache refuses the SET; on-call is told the previous token may still be valid',
    'FAILED',
    Object.assign(new Error('User is not authorized to perform: elasticache:ModifyReplicationGroup'), { name: 'AccessDenied' }),
  ),
];
