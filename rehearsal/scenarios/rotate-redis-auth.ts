import { environmentConfig } from '../../infra/config.js';
import { SimulatedReplicationGroup } from '../simulated/elasticache.js';
import { SimulatedSecretsManager } from '../simulated/secrets-manager.js';
import { type Scenario, awsRefusal, simulatedCluster, rotationScenarios } from './scenario.js';

export const CURRENT_REDIS_TOKEN = 'RehearsalCurrentToken0123456789abcdefABCDEF';

export const rotateRedisAuthScenarios: readonly Scenario[] = rotationScenarios({
  workflow: 'rotate-redis-auth',
  kind: 'redis-auth',
  name: 'redis-auth',
  label: 'Redis AUTH token (ROTATE, restart, SET)',
  failures: {
    createSecret: 'GetRandomPassword is denied: no new token, ElastiCache untouched',
    setSecret: 'ModifyReplicationGroup is denied: ElastiCache keeps only the current token',
    testSecret: 'ElastiCache accepts the ROTATE but never applies it: the test sees no token change, nothing is promoted',
    finishSecret: 'UpdateSecretVersionStage fails after the ROTATE: both tokens stay valid, AWSCURRENT is the old one',
    restart: 'the backend\'s forced deployment rolls back: on-call is told; the previous token is not revoked',
    revoke: 'the services restarted, ElastiCache refuses the SET: the previous token stays valid, and on-call is told',
    report: 'the notification topic refuses the report: the execution fails, and its alarm tells on-call',
  },
  script: (account, environment, world, failure) => {
    const { prefix } = environmentConfig(environment);
    const secretsManager = new SimulatedSecretsManager(account, [{ arn: world.rotated?.secretArn ?? '', value: CURRENT_REDIS_TOKEN }]);
    if (failure === 'createSecret') secretsManager.refuse({ command: 'GetRandomPassword', during: 'createSecret', error: awsRefusal('AccessDeniedException', 'User is not authorized to perform: secretsmanager:GetRandomPassword') });
    if (failure === 'finishSecret') secretsManager.refuse({ command: 'UpdateSecretVersionStage', during: 'finishSecret', error: awsRefusal('InternalServiceError', 'An error occurred on the server side.', 500) });
    const denied = awsRefusal('AccessDenied', 'User is not authorized to perform: elasticache:ModifyReplicationGroup');
    const group = new SimulatedReplicationGroup(account, { id: `${prefix}-redis`, tokens: [CURRENT_REDIS_TOKEN], rotateNeverApplies: failure === 'testSecret' });
    // SET is the second change of the group: the first (ROTATE) goes through.
    if (failure === 'setSecret') group.refuseModify(denied);
    if (failure === 'revoke') group.refuseModify(denied, 1);
    simulatedCluster(account, environment, { backend: { rolloutFails: failure === 'restart' } });
    // A step's waits between looks at the group pass on the simulated clock.
    return { secretsManager, clients: { sleep: async (ms: number) => world.clock.advance(ms / 1000) }, authenticates: (token: string) => group.tokens.includes(token) };
  },
});
