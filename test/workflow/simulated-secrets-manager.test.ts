import {
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { SimulatedAccount } from '../../rehearsal/simulated/account.js';
import { AUTOMATIC_REATTEMPTS, type RotationStepInvoker, SimulatedSecretsManager } from '../../rehearsal/simulated/secrets-manager.js';

const ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/rehearsal-AbCdEf';
let account: SimulatedAccount;
let secretsManager: SimulatedSecretsManager;
const client = () => new SecretsManagerClient({ region: 'us-east-1' });

/** A rotation function that stages a value, then promotes it, as the contract asks; `failAt` makes one step throw. */
const rotationFunction = (failAt?: string, events: { Step: string; ClientRequestToken: string }[] = []): RotationStepInvoker => async (event) => {
  events.push(event);
  if (event.Step === failAt) throw new Error(`${failAt} failed`);
  if (event.Step === 'createSecret') {
    await client().send(new PutSecretValueCommand({ SecretId: event.SecretId, ClientRequestToken: event.ClientRequestToken, SecretString: 'new', VersionStages: ['AWSPENDING'] }));
  }
  if (event.Step === 'finishSecret') {
    const current = secretsManager.versionAt(event.SecretId, 'AWSCURRENT');
    await client().send(new UpdateSecretVersionStageCommand({ SecretId: event.SecretId, VersionStage: 'AWSCURRENT', MoveToVersionId: event.ClientRequestToken, RemoveFromVersionId: current }));
  }
};

beforeEach(() => {
  account = new SimulatedAccount();
  secretsManager = new SimulatedSecretsManager(account, [{ arn: ARN, value: 'old' }]);
});
afterEach(() => account.restore());

describe('the simulated Secrets Manager', () => {
  it('runs the four steps with one token, and moving AWSCURRENT leaves AWSPREVIOUS on the version it left', async () => {
    // Prepare
    const events: { Step: string; ClientRequestToken: string }[] = [];
    const before = secretsManager.versionAt(ARN, 'AWSCURRENT');

    // Act
    const [attempt, ...more] = await secretsManager.rotate(ARN, rotationFunction(undefined, events));

    // Assess
    expect(more).toEqual([]);
    expect(events.map((e) => e.Step)).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    expect(new Set(events.map((e) => e.ClientRequestToken))).toEqual(new Set([attempt.token]));
    expect(attempt.event.detail).toMatchObject({ eventName: 'RotationSucceeded', additionalEventData: { SecretId: ARN } });
    expect(secretsManager.stages(ARN)).toEqual({ [String(before)]: ['AWSPREVIOUS'], [attempt.token]: ['AWSPENDING', 'AWSCURRENT'] });
  });

  it('reattempts a failed rotation itself, every step again from createSecret with the same token, until an attempt succeeds', async () => {
    // Prepare
    const events: { Step: string; ClientRequestToken: string }[] = [];
    let failures = 1;
    const flaky: RotationStepInvoker = async (event) => {
      if (event.Step === 'setSecret' && failures-- > 0) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      await rotationFunction(undefined, events)(event);
    };

    // Act
    const attempts = await secretsManager.rotate(ARN, flaky);

    // Assess
    expect(attempts.map((a) => a.failedAt ?? a.event.detail.eventName)).toEqual(['setSecret', 'RotationSucceeded']);
    expect(events.map((e) => e.Step)).toEqual(['createSecret', 'createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    expect(new Set(events.map((e) => e.ClientRequestToken))).toEqual(new Set([attempts[0]?.token]));
    expect(secretsManager.versionAt(ARN, 'AWSCURRENT')).toBe(attempts[0]?.token);
  });

  it('gives up after its reattempts, refuses RotateSecret while that rotation is in progress, and reattempts that one with its own token from createSecret', async () => {
    // Prepare
    const attempts = await secretsManager.rotate(ARN, rotationFunction('testSecret'));
    const failed = attempts[0];
    const events: { Step: string; ClientRequestToken: string }[] = [];

    // Act
    const refused = client().send(new RotateSecretCommand({ SecretId: ARN }));
    const [again] = await secretsManager.reattempt(ARN, rotationFunction(undefined, events));

    // Assess
    expect(attempts).toHaveLength(1 + AUTOMATIC_REATTEMPTS);
    expect(new Set(attempts.map((a) => a.token))).toEqual(new Set([failed?.token]));
    expect(attempts.at(-1)).toMatchObject({ failedAt: 'testSecret', event: { detail: { eventName: 'RotationFailed' } } });
    await expect(refused).rejects.toThrow(InvalidRequestException);
    await expect(refused).rejects.toThrow("A previous rotation isn't complete");
    expect(again?.token).toBe(failed?.token);
    expect(events.map((e) => e.Step)).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    expect(secretsManager.versionAt(ARN, 'AWSCURRENT')).toBe(failed?.token);
  });

  it('refuses what Secrets Manager refuses: another value under a version, an empty version read, a label moved without naming its holder', async () => {
    // Prepare
    const { VersionId: token } = await client().send(new RotateSecretCommand({ SecretId: ARN }));
    const current = secretsManager.versionAt(ARN, 'AWSCURRENT');

    // Act
    const emptyRead = client().send(new GetSecretValueCommand({ SecretId: ARN, VersionId: token, VersionStage: 'AWSPENDING' }));
    await client().send(new PutSecretValueCommand({ SecretId: ARN, ClientRequestToken: token, SecretString: 'new', VersionStages: ['AWSPENDING'] }));
    const same = await client().send(new PutSecretValueCommand({ SecretId: ARN, ClientRequestToken: token, SecretString: 'new', VersionStages: ['AWSPENDING'] }));
    const other = client().send(new PutSecretValueCommand({ SecretId: ARN, ClientRequestToken: token, SecretString: 'other', VersionStages: ['AWSPENDING'] }));
    const unnamed = client().send(new UpdateSecretVersionStageCommand({ SecretId: ARN, VersionStage: 'AWSCURRENT', MoveToVersionId: token }));
    const wrongHolder = client().send(new UpdateSecretVersionStageCommand({ SecretId: ARN, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: token }));
    const stageMismatch = client().send(new GetSecretValueCommand({ SecretId: ARN, VersionId: current, VersionStage: 'AWSPENDING' }));

    // Assess
    await expect(emptyRead).rejects.toThrow(ResourceNotFoundException);
    expect(same.VersionId).toBe(token);
    await expect(other).rejects.toThrow(ResourceExistsException);
    await expect(unnamed).rejects.toThrow(InvalidParameterException);
    await expect(wrongHolder).rejects.toThrow(InvalidParameterException);
    await expect(stageMismatch).rejects.toThrow(ResourceNotFoundException);
    expect(secretsManager.valueAt(ARN, 'AWSCURRENT')).toBe('old');
  });

  it('reports a finishSecret that returned without promoting the pending version as a failed rotation', async () => {
    // Act
    const [attempt] = (await secretsManager.rotate(ARN, async (event) => {
      if (event.Step === 'createSecret') await client().send(new PutSecretValueCommand({ SecretId: ARN, ClientRequestToken: event.ClientRequestToken, SecretString: 'new', VersionStages: ['AWSPENDING'] }));
    })).slice(-1);

    // Assess
    expect(attempt).toMatchObject({ failedAt: 'finishSecret', event: { detail: { eventName: 'RotationFailed' } } });
    expect(secretsManager.valueAt(ARN, 'AWSCURRENT')).toBe('old');
  });
});
