import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DRILL_LOCK_KEY, acquireDrillLock, drillLockLine, releaseDrillLock } from '../../functions/lib/drill-lock.js';
import { SimulatedAccount } from '../../rehearsal/simulated/account.js';
import { SimulatedDynamoDb } from '../../rehearsal/simulated/dynamodb.js';

/** The lock against DynamoDB's own semantics: conditional writes evaluated against the stored item. */
const account = new SimulatedAccount();
const dynamodb = new DynamoDBClient({ region: 'us-east-1' });
const TABLE = 'financehub-staging-remediation-guardrails';
const settings = { tableName: TABLE, maxMinutes: 60 };
const START = new Date('2026-11-25T14:00:00Z');
const FIRST = 'arn:aws:states:us-east-1:111111111111:execution:financehub-staging-failover-drill:first';
const SECOND = 'arn:aws:states:us-east-1:111111111111:execution:financehub-staging-restore-drill:second';
const minutesLater = (minutes: number) => new Date(START.getTime() + minutes * 60_000);
let table: SimulatedDynamoDb;

beforeEach(() => {
  account.reset();
  table = new SimulatedDynamoDb(account);
});
afterAll(() => account.restore());

describe('the drill lock', () => {
  it('lets one of two drills started together in, refuses the other naming the running execution, and writes nothing for it', async () => {
    // Act
    const first = await acquireDrillLock(dynamodb, settings, { owner: FIRST, drill: 'failover-drill', startedAt: START }, START);
    const second = await acquireDrillLock(dynamodb, settings, { owner: SECOND, drill: 'restore-drill', startedAt: minutesLater(0.1) }, minutesLater(0.1));

    // Assess
    expect(first).toEqual({ acquired: true, owner: FIRST, drill: 'failover-drill', expiresAt: '2026-11-25T15:00:00.000Z' });
    expect(second).toMatchObject({ acquired: false, heldBy: FIRST, heldByDrill: 'failover-drill', expiresAt: '2026-11-25T15:00:00.000Z' });
    expect(second.acquired === false && second.detail).toBe(`another drill is running: ${FIRST} (failover-drill) holds the drill lock until 2026-11-25T15:00:00.000Z`);
    expect(table.item(TABLE, DRILL_LOCK_KEY)?.owner?.S).toBe(FIRST);
  });

  it('takes the lock again for the same execution (a retry), with the same expiry', async () => {
    // Prepare
    await acquireDrillLock(dynamodb, settings, { owner: FIRST, drill: 'failover-drill', startedAt: START }, START);

    // Act
    const retried = await acquireDrillLock(dynamodb, settings, { owner: FIRST, drill: 'failover-drill', startedAt: START }, minutesLater(2));

    // Assess
    expect(retried).toMatchObject({ acquired: true, expiresAt: '2026-11-25T15:00:00.000Z' });
  });

  it('takes over a lock whose holder must have ended: past its drill maximum', async () => {
    // Prepare
    await acquireDrillLock(dynamodb, settings, { owner: FIRST, drill: 'failover-drill', startedAt: START }, START);

    // Act
    const later = await acquireDrillLock(dynamodb, settings, { owner: SECOND, drill: 'restore-drill', startedAt: minutesLater(61) }, minutesLater(61));

    // Assess
    expect(later).toMatchObject({ acquired: true, owner: SECOND });
  });

  it('releases only its own lock: another execution\'s is left held, and no lock at all is a no-op; each said so', async () => {
    // Prepare
    await acquireDrillLock(dynamodb, settings, { owner: FIRST, drill: 'failover-drill', startedAt: START }, START);

    // Act
    const byOther = await releaseDrillLock(dynamodb, settings, SECOND);
    const byOwner = await releaseDrillLock(dynamodb, settings, FIRST);
    const again = await releaseDrillLock(dynamodb, settings, FIRST);

    // Assess
    expect(byOther).toEqual({ state: 'held-by-other', heldBy: FIRST, detail: `The drill lock is held by ${FIRST}, not by this drill: left as it is.` });
    expect(byOwner).toEqual({ state: 'released', detail: 'The drill lock is released.' });
    expect(again).toEqual({ state: 'not-held', detail: 'This drill held no drill lock: nothing to release.' });
    expect(table.item(TABLE, DRILL_LOCK_KEY)).toBeUndefined();
  });

  it('writes and deletes exactly one item, conditionally, keyed lock#drill', async () => {
    // Act
    await acquireDrillLock(dynamodb, settings, { owner: FIRST, drill: 'failover-drill', startedAt: START }, START);
    await releaseDrillLock(dynamodb, settings, FIRST);

    // Assess
    const writes = account.calls().filter((call) => call.command === 'PutItem' || call.command === 'DeleteItem');
    expect(writes.map((call) => call.input)).toEqual([
      expect.objectContaining({ TableName: TABLE, Item: expect.objectContaining({ pk: { S: 'lock#drill' } }), ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR #owner = :owner' }),
      expect.objectContaining({ TableName: TABLE, Key: { pk: { S: 'lock#drill' } }, ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner' }),
    ]);
  });

  it('says a lock that could not be released is still held, until when, and how to release it by hand', () => {
    // Act
    const line = drillLockLine(undefined, { Error: 'AccessDeniedException', Cause: 'not authorized to perform dynamodb:DeleteItem' }, { tableName: TABLE, region: 'us-east-1', expiresAt: '2026-11-25T15:00:00.000Z' });

    // Assess
    expect(line).toBe(
      'The drill lock could NOT be released (AccessDeniedException: not authorized to perform dynamodb:DeleteItem); it is still held, so no other drill can start until it expires at 2026-11-25T15:00:00.000Z. ' +
        `Release it by hand: aws dynamodb delete-item --table-name ${TABLE} --key '{"pk":{"S":"lock#drill"}}' --region us-east-1`,
    );
  });
});
