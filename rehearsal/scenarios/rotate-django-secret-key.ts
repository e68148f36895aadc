import { SimulatedSecretsManager } from '../simulated/secrets-manager.js';
import { type Scenario, awsRefusal, simulatedCluster, rotationScenarios } from './scenario.js';

export const CURRENT_DJANGO_KEY = 'rehearsal-current-django-secret-key-0123456789abcdefghijklmnop';

export const rotateDjangoSecretKeyScenarios: readonly Scenario[] = rotationScenarios({
  workflow: 'rotate-django-secret-key',
  kind: 'django-secret-key',
  name: 'django-key',
  label: 'Django SECRET_KEY (previous key kept in SECRET_KEY_FALLBACKS)',
  failures: {
    createSecret: 'GetRandomPassword is denied: no new key, the services keep theirs',
    setSecret: 'Secrets Manager throttles DescribeSecret: the step fails, nothing outside Secrets Manager holds the key',
    testSecret: 'GetSecretValue fails during the test: the new keys are not promoted',
    finishSecret: 'UpdateSecretVersionStage fails: AWSPENDING holds a tested key, the services sign with AWSCURRENT',
    restart: 'the backend\'s forced deployment rolls back: on-call is told which service still signs with the previous key',
    report: 'the notification topic refuses the report: the execution fails, and its alarm tells on-call',
  },
  script: (account, environment, world, failure) => {
    const secretsManager = new SimulatedSecretsManager(account, [{ arn: world.rotated?.secretArn ?? '', value: JSON.stringify({ current: CURRENT_DJANGO_KEY, fallbacks: [] }) }]);
    const refusals = {
      createSecret: { command: 'GetRandomPassword', error: awsRefusal('AccessDeniedException', 'User is not authorized to perform: secretsmanager:GetRandomPassword') },
      setSecret: { command: 'DescribeSecret', error: awsRefusal('ThrottlingException', 'Rate exceeded') },
      testSecret: { command: 'GetSecretValue', error: awsRefusal('InternalServiceError', 'An error occurred on the server side.', 500) },
      finishSecret: { command: 'UpdateSecretVersionStage', error: awsRefusal('InternalServiceError', 'An error occurred on the server side.', 500) },
    } as const;
    if (failure && failure in refusals) {
      const step = failure as keyof typeof refusals;
      secretsManager.refuse({ ...refusals[step], during: step });
    }
    simulatedCluster(account, environment, { backend: { rolloutFails: failure === 'restart' } });
    return { secretsManager };
  },
});
