import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { environmentConfig } from '../../infra/config.js';
import { SimulatedSecretsManager } from '../simulated/secrets-manager.js';
import { type RotationFailurePoint, type Scenario, awsRefusal, simulatedCluster, rotationScenarios } from './scenario.js';

export const CURRENT_API_KEYS = JSON.stringify({ paymentsApiKey: 'sk_rehearsal_current_0123456789' });
export const NEW_API_KEYS = JSON.stringify({ paymentsApiKey: 'sk_rehearsal_new_9876543210' });

/** The step failures every owner rotation shares: a throttled DescribeSecret at setSecret, a 500 at the promotion. */
function sharedRefusals(secretsManager: SimulatedSecretsManager, failure: RotationFailurePoint | undefined): void {
  if (failure === 'setSecret') secretsManager.refuse({ command: 'DescribeSecret', during: 'setSecret', error: awsRefusal('ThrottlingException', 'Rate exceeded') });
  if (failure === 'finishSecret') secretsManager.refuse({ command: 'UpdateSecretVersionStage', during: 'finishSecret', error: awsRefusal('InternalServiceError', 'An error occurred on the server side.', 500) });
}

/** The owner's `fhops secret put`: the new value on the open request's version, through the API. */
const ownerStores = (arn: string, secretsManager: SimulatedSecretsManager, value: string) => async () => {
  await new SecretsManagerClient({}).send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: secretsManager.pendingVersion(arn), SecretString: value, VersionStages: ['AWSPENDING'] }));
};

/**
 * The payment provider's API key, rotated by its owner: the first attempt asks them (createSecret fails until they
 * act, as it should), they store the new value on the pending version as `fhops secret put` does, and Secrets Manager
 * reattempts the rotation with the same token: the probe checks the value, finishSecret promotes it.
 */
const apiKeys = rotationScenarios({
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
    sharedRefusals(secretsManager, failure);
    simulatedCluster(account, environment, { backend: { rolloutFails: failure === 'restart' } });
    return {
      secretsManager,
      beforeReattempt: ownerStores(arn, secretsManager, NEW_API_KEYS),
      // The provider's balance endpoint: 200 to a valid key; the refused key gets 401.
      clients: { fetch: async () => ({ status: failure === 'testSecret' ? 401 : 200, json: async () => ({}) }), now: () => new Date() },
    };
  },
});

const WEBHOOKS = { opsWebhookUrl: 'https://hooks.slack.com/services/T0REHEARSE/B0OPS/rehearsal', incidentsWebhookUrl: 'https://hooks.slack.com/services/T0REHEARSE/B0INC/rehearsal' };
export const CURRENT_SLACK = JSON.stringify({ ...WEBHOOKS, botToken: 'xoxb-rehearsal-current-0123456789' });
export const NEW_SLACK = JSON.stringify({ ...WEBHOOKS, botToken: 'xoxb-rehearsal-new-9876543210' });

/**
 * The Slack app's bot token, rotated by its owner: they get a new token at Slack and store the whole document (the
 * webhooks unchanged); testSecret proves it with auth.test, which answers HTTP 200 to a bad token too.
 */
const slackBotToken = rotationScenarios({
  workflow: 'rotate-owner-secret',
  kind: 'slack-bot-token',
  name: 'slack-bot-token',
  label: 'Slack bot token (its owner in the loop, proven by auth.test)',
  failures: {
    setSecret: 'Secrets Manager throttles DescribeSecret at setSecret: the function reports it, AWSCURRENT unchanged',
    testSecret: "auth.test answers HTTP 200 with ok: false (invalid_auth) to the new token: refused naming Slack's error, not promoted",
    finishSecret: 'UpdateSecretVersionStage fails: the proven token stays AWSPENDING, the function reports how to resume',
    report: 'the notification topic refuses every message: the rotation-events ingress fails, and its alarm tells on-call',
  },
  script: (account, environment, world, failure) => {
    const arn = world.rotated?.secretArn ?? '';
    const secretsManager = new SimulatedSecretsManager(account, [{ arn, value: CURRENT_SLACK, tags: { owner: '@financehub-platform' } }]);
    sharedRefusals(secretsManager, failure);
    const teamId = environmentConfig(environment).slack.workspaceId;
    return {
      secretsManager,
      beforeReattempt: ownerStores(arn, secretsManager, NEW_SLACK),
      // Slack's auth.test: 200 either way; only ok and team_id tell a working token of this workspace.
      clients: {
        fetch: async () => ({ status: 200, json: async () => (failure === 'testSecret' ? { ok: false, error: 'invalid_auth' } : { ok: true, team_id: teamId, team: 'FinanceHub', bot_id: 'B0REHEARSE' }) }),
        now: () => new Date(),
      },
    };
  },
});

/**
 * The Slack app's signing secret, rotated by its owner: they regenerate it at Slack (which signs with it at once) and
 * store it; nothing can probe it, so testSecret checks only that it is a new, well-formed document.
 */
const slackSigningSecret = rotationScenarios({
  workflow: 'rotate-owner-secret',
  kind: 'slack-signing-secret',
  name: 'slack-signing-secret',
  label: 'Slack signing secret (its owner in the loop, no probe: Slack offers none)',
  failures: {
    setSecret: 'Secrets Manager throttles DescribeSecret at setSecret: the function reports it, AWSCURRENT unchanged',
    testSecret: 'the owner stored a document without its signingSecret field (by hand, not with fhops): refused, not promoted',
    finishSecret: 'UpdateSecretVersionStage fails: the new secret stays AWSPENDING (which /ops still accepts), the function reports how to resume',
    report: 'the notification topic refuses every message: the rotation-events ingress fails, and its alarm tells on-call',
  },
  script: (account, _environment, world, failure) => {
    const arn = world.rotated?.secretArn ?? '';
    const secretsManager = new SimulatedSecretsManager(account, [{ arn, value: JSON.stringify({ signingSecret: '11111111111111111111111111111111' }), tags: { owner: '@financehub-platform' } }]);
    sharedRefusals(secretsManager, failure);
    const regenerated = failure === 'testSecret' ? JSON.stringify({ secret: '22222222222222222222222222222222' }) : JSON.stringify({ signingSecret: '22222222222222222222222222222222' });
    return { secretsManager, beforeReattempt: ownerStores(arn, secretsManager, regenerated), clients: { now: () => new Date() } };
  },
});

export const rotateOwnerSecretScenarios: readonly Scenario[] = [...apiKeys, ...slackBotToken, ...slackSigningSecret];
