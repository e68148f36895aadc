import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SimulatedSecretsManager } from '../simulated/secrets-manager.js';
import { type Scenario, awsRefusal, simulatedCluster, rotationScenarios } from './scenario.js';

export const CURRENT_API_KEYS = JSON.stringify({ paymentsApiKey: 'sk_rehearsal_current_0123456789' });
export const NEW_API_KEYS = JSON.stringify({ paymentsApiKey: 'sk_rehearsal_new_9876543210' });

/**
 * The payment provider's API key, rotated by its owner: the first attempt asks them (createSecret fails until they
 * act, as it should), they store the new value on the pending version as `fhops secret put` does, and Secrets Manager
 * reattempts the rotation with the same token: the probe checks the value, finishSecret promotes it.
 */
export const rotateOwnerSecretScenarios: readonly Scenario[] = rotationScenarios({
  workflow: 'rotate-owner-secret',
  kind: 'api-key',
  name: 'api-keys',
  label: 'Payment provider API key (its owner in the loop)',
  failures: {
    setSecret: 'Secrets Manager throttles DescribeSecret at setSecret: the function reports it, AWSCURRENT unchanged',
    testSecret: 'the provider answers 401 to the new key: it is refused, not promoted, and the owner is told',
    finishSecret: 'UpdateSecretVersionStage fails: the checked key stays AWSPENDING, the function reports how to resume',
    restart: 'the backend\'s forced deployment rolls back after the promotion: on-call is told',
    report: 'the notification topic refuses every message: the post-rotation execution fails, and its alarm tells on-call',
  },
  script: (account, environment, world, failure) => {
    const arn = world.rotated?.secretArn ?? '';
    const secretsManager = new SimulatedSecretsManager(account, [{ arn, value: CURRENT_API_KEYS, tags: { owner: '@financehub-payments' } }]);
    if (failure === 'setSecret') secretsManager.refuse({ command: 'DescribeSecret', during: 'setSecret', error: awsRefusal('ThrottlingException', 'Rate exceeded') });
    if (failure === 'finishSecret') secretsManager.refuse({ command: 'UpdateSecretVersionStage', during: 'finishSecret', error: awsRefusal('InternalServiceError', 'An error occurred on the server side.', 500) });
    simulatedCluster(account, environment, { backend: { rolloutFails: failure === 'restart' } });
    return {
      secretsManager,
      // The owner's `fhops secret put`: the new value on the open request's version, through the API.
      beforeReattempt: async () => {
        await new SecretsManagerClient({}).send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: secretsManager.pendingVersion(arn), SecretString: NEW_API_KEYS, VersionStages: ['AWSPENDING'] }));
      },
      // The provider's balance endpoint: 200 to a valid key; the refused key gets 401.
      clients: { fetch: async () => ({ status: failure === 'testSecret' ? 401 : 200 }), now: () => new Date() },
    };
  },
});
