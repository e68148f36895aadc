import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { environmentConfig } from '../../infra/config.js';
import { SimulatedReplicationGroup } from '../simulated/elasticache.js';
import { type Scenario, published, simulatedCluster } from './scenario.js';

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
    simulatedCluster(account, environment, { backend: { rolloutFails: backendRollsBack } });
    published(account);
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
    const { prefix } = environmentConfig(environment);
    // The forced deployments are created when ECS is asked, after the rotation, and are steady at the first check.
    simulatedCluster(account, environment, { backend: { rolloutChecks: 0 }, worker: { rolloutChecks: 0 } });
    const secrets = account.mock(SecretsManagerClient);
    secrets.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { 'rehearsal-previous': ['AWSPREVIOUS'], 'rehearsal-version': ['AWSCURRENT'] } });
    secrets.on(GetSecretValueCommand).resolves({ VersionId: 'rehearsal-version', SecretString: 'RehearsalOnlyToken0123456789abcdef' });
    // After setSecret's ROTATE: the previous and the new token are both valid.
    new SimulatedReplicationGroup(account, { id: `${prefix}-redis`, tokens: ['rehearsal-previous-token', 'RehearsalOnlyToken0123456789abcdef'], modifyError: refuseSet });
    published(account);
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
