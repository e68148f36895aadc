import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { acquireGuard, readSwitches, releaseLock } from '../../functions/alarm-remediation/guardrails.js';
import { TransientError } from '../../functions/lib/transient-error.js';

const ssm = mockClient(SSMClient);
const dynamodb = mockClient(DynamoDBClient);
const now = new Date('2026-11-24T03:05:30Z');
const switches = { killSwitchParameter: '/financehub-staging/remediation/kill-switch', dryRunParameter: '/financehub-staging/remediation/dry-run' };
const guard = { tableName: 'financehub-staging-remediation-guardrails', lockMinutes: 30, cooldownMinutes: 30 };
const keys = { lockKey: 'backend', cooldownKey: 'high-cpu#backend', owner: 'event-1', action: 'scale-out', eventId: '1' };

beforeEach(() => {
  ssm.reset();
  dynamodb.reset();
});

describe('the switches', () => {
  it.each([
    ['on', 'off', false, true, false],
    [' ON ', 'off', false, true, false],
    ['off', 'on', false, false, true],
    ['off', 'off', true, false, true],
    ['paused', 'yes', false, false, false],
  ])('read kill switch %j and dry run %j (input asks for dry run: %s)', async (kill, dry, requested, killSwitch, dryRun) => {
    // Prepare
    ssm.on(GetParametersCommand).resolves({ Parameters: [{ Name: switches.killSwitchParameter, Value: kill }, { Name: switches.dryRunParameter, Value: dry }] });

    // Act
    const result = await readSwitches(new SSMClient({}), switches, requested, now);

    // Assess
    expect(result).toMatchObject({ killSwitch, dryRun });
  });

  it('count parameters that do not exist as off', async () => {
    // Prepare
    ssm.on(GetParametersCommand).resolves({ Parameters: [], InvalidParameters: [switches.killSwitchParameter, switches.dryRunParameter] });

    // Act
    const result = await readSwitches(new SSMClient({}), switches, false, now);

    // Assess
    expect(result).toEqual({ killSwitch: false, dryRun: false, checkedAt: now.toISOString() });
  });

  it('turn SSM throttling into a retryable error', async () => {
    // Prepare
    ssm.on(GetParametersCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));

    // Act
    const reading = readSwitches(new SSMClient({}), switches, false, now);

    // Assess
    await expect(reading).rejects.toBeInstanceOf(TransientError);
  });
});

describe('the lock and the cooldown', () => {
  it('are claimed with conditional writes that expire, the lock first', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).resolves({});

    // Act
    const result = await acquireGuard(new DynamoDBClient({}), guard, keys, now);

    // Assess
    expect(result).toEqual({ acquired: true, lockKey: 'backend', cooldownKey: 'high-cpu#backend', cooldownUntil: '2026-11-24T03:35:30.000Z', owner: 'event-1', lockUntil: '2026-11-24T03:35:30.000Z' });
    const [lock, cooldown] = dynamodb.commandCalls(PutItemCommand).map((call) => call.args[0].input);
    expect(lock).toMatchObject({
      TableName: guard.tableName,
      Item: { pk: { S: 'lock#backend' }, owner: { S: 'event-1' }, expiresAt: { N: String(Date.parse('2026-11-24T03:35:30Z') / 1000) } },
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR #owner = :owner',
      ExpressionAttributeValues: { ':now': { N: String(now.getTime() / 1000) }, ':owner': { S: 'event-1' } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(cooldown?.Item).toMatchObject({ pk: { S: 'cooldown#high-cpu#backend' }, action: { S: 'scale-out' } });
  });

  it('report who holds the lock, and touch nothing else', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: { owner: { S: 'event-0' }, expiresAt: { N: '1795993200' } } }),
    );

    // Act
    const result = await acquireGuard(new DynamoDBClient({}), guard, keys, now);

    // Assess
    expect(result).toMatchObject({ acquired: false, reason: 'locked', heldBy: 'event-0', until: new Date(1795993200 * 1000).toISOString() });
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(1);
    expect(dynamodb.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });

  it('give the lock back when the cooldown is still running', async () => {
    // Prepare
    dynamodb
      .on(PutItemCommand)
      .resolvesOnce({})
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: { owner: { S: 'event-0' } } }));
    dynamodb.on(DeleteItemCommand).resolves({});

    // Act
    const result = await acquireGuard(new DynamoDBClient({}), guard, keys, now);

    // Assess
    expect(result).toMatchObject({ acquired: false, reason: 'cooldown', heldBy: 'event-0' });
    expect(dynamodb.commandCalls(DeleteItemCommand)[0]?.args[0].input).toMatchObject({ Key: { pk: { S: 'lock#backend' } }, ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner' });
  });

  it('treat releasing a lock someone else holds now as done', async () => {
    // Prepare
    dynamodb.on(DeleteItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    // Act
    const result = await releaseLock(new DynamoDBClient({}), guard, 'backend', 'event-1');

    // Assess
    expect(result).toEqual({ released: false });
  });
});
