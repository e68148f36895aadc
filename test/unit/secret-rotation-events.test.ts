import { DescribeSecretCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import failed from '../../events/rotation-failed.json';
import succeeded from '../../events/rotation-succeeded.json';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { auditResult, reminders, secretAges } from '../../functions/secret-age-audit/audit.js';
import { handleRotationEvent, rotationEventSchema } from '../../functions/rotation-events/events.js';

const sfn = mockClient(SFNClient);
const secrets = mockClient(SecretsManagerClient);
const APP_SECRET = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/db/app-AbCdEf';
const MASTER_SECRET = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/db/master-XyZ123';
const config = {
  environment: 'staging' as const,
  stateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:financehub-staging-post-rotation',
  cluster: 'financehub-staging',
  secrets: [
    { secretArn: APP_SECRET, kind: 'database-app' as const, services: ['financehub-staging-backend', 'financehub-staging-worker'] },
    { secretArn: MASTER_SECRET, kind: 'database-master' as const, services: [] },
  ],
};
const deps = (published: OpsResultInput[] = []) => ({ sfn: new SFNClient({}), secrets: new SecretsManagerClient({}), publish: async (r: OpsResultInput) => published.push(r), config });
const forSecret = (event: typeof succeeded, secretId: string) => ({ ...event, detail: { ...event.detail, additionalEventData: { SecretId: secretId } } });
const NOW = new Date('2026-11-24T08:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);

beforeEach(() => {
  sfn.reset();
  secrets.reset();
});

describe('rotation events', () => {
  it('starts the post-rotation workflow named after the event, with the services to restart and the version they restart on', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: NOW });
    secrets.on(DescribeSecretCommand, { SecretId: APP_SECRET }).resolves({ VersionIdsToStages: { 'v-1': ['AWSPREVIOUS'], 'v-2': ['AWSCURRENT'] } });
    const published: OpsResultInput[] = [];

    // Act
    const outcome = await handleRotationEvent(rotationEventSchema.parse(succeeded), deps(published));

    // Assess
    expect(outcome).toBe('started');
    const start = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(start?.name).toBe('rotation-9d2c1c6e-4a4b-2a3b-8f64-5c1e3a7b9d01');
    expect(JSON.parse(start?.input ?? '{}')).toEqual({
      secretId: succeeded.detail.additionalEventData.SecretId,
      kind: 'database-app',
      versionId: 'v-2',
      rotatedAt: '2026-11-24T03:00:00Z',
      cluster: 'financehub-staging',
      services: ['financehub-staging-backend', 'financehub-staging-worker'],
    });
    expect(published).toHaveLength(0);
  });

  it('starts nothing twice when EventBridge delivers the same event again', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    secrets.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { 'v-2': ['AWSCURRENT'] } });

    // Act
    const outcome = await handleRotationEvent(rotationEventSchema.parse(succeeded), deps());

    // Assess
    expect(outcome).toBe('already-started');
  });

  it('reports a failed rotation as critical, with why, what it left in place as read back, and how to retry, and restarts nothing', async () => {
    // Prepare: the rotation of v-2 failed after its createSecret
    secrets.on(DescribeSecretCommand, { SecretId: APP_SECRET }).resolves({
      VersionIdsToStages: { 'v-1': ['AWSCURRENT'], 'v-2': ['AWSPENDING'] },
      Tags: [{ Key: 'rotation-progress', Value: 'v-2 createSecret' }],
    });
    const published: OpsResultInput[] = [];

    // Act
    const outcome = await handleRotationEvent(rotationEventSchema.parse(failed), deps(published));

    // Assess
    expect(outcome).toBe('reported');
    expect(sfn.calls()).toHaveLength(0);
    expect(published[0]).toMatchObject({ workflow: 'secret-rotation', outcome: 'failed', severity: 'critical' });
    expect(published[0]?.summary).toContain('Cannot connect to financehub-staging-db as financehub_admin');
    expect(published[0]?.summary).toContain('failed at setSecret');
    expect(published[0]?.summary).toContain('may or may not have the AWSPENDING password');
    expect(published[0]?.summary).not.toContain('setSecret completed');
    expect(published[0]?.howToUndo).toContain('aws secretsmanager rotate-secret --secret-id arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/db/app-AbCdEf');
    expect(published[0]?.howToUndo).toContain('same version (v-2)');
  });

  it.each([
    ['database-app', APP_SECRET, 'AWSPENDING (version v-2) holds new credentials that passed testSecret; AWSCURRENT is still version v-1', 'To give it up instead'],
    ['database-master', MASTER_SECRET, 'AWSPENDING (version v-2) holds the new master password, which the database uses', 'Do not remove AWSPENDING'],
  ])('says of a %s rotation that failed at finishSecret that AWSPENDING holds the tested value and AWSCURRENT the old one', async (_kind, secretId, state, advice) => {
    // Prepare
    secrets.on(DescribeSecretCommand, { SecretId: secretId }).resolves({
      VersionIdsToStages: { 'v-1': ['AWSCURRENT'], 'v-2': ['AWSPENDING'] },
      Tags: [{ Key: 'rotation-progress', Value: 'v-2 testSecret' }],
    });
    const published: OpsResultInput[] = [];

    // Act
    await handleRotationEvent(rotationEventSchema.parse(forSecret({ ...failed, detail: { ...failed.detail, errorMessage: 'finishSecret: InternalServiceError' } } as never, secretId)), deps(published));

    // Assess
    expect(published[0]?.summary).toContain(state);
    expect(`${published[0]?.summary} ${published[0]?.howToUndo}`).toContain(advice);
  });

  it('reports a rotated master as read back from Secrets Manager and restarts nothing, since no service reads it', async () => {
    // Prepare
    secrets.on(DescribeSecretCommand, { SecretId: MASTER_SECRET }).resolves({
      VersionIdsToStages: { 'v-old': ['AWSPREVIOUS'], 'v-new': ['AWSCURRENT'] },
      LastRotatedDate: new Date('2026-11-24T03:00:05Z'),
    });
    const published: OpsResultInput[] = [];

    // Act
    const outcome = await handleRotationEvent(rotationEventSchema.parse(forSecret(succeeded, MASTER_SECRET)), deps(published));

    // Assess
    expect(outcome).toBe('reported');
    expect(sfn.calls()).toHaveLength(0);
    expect(published[0]).toMatchObject({ workflow: 'secret-rotation', outcome: 'succeeded', severity: 'info' });
    expect(published[0]?.summary).toBe(
      'The database master credentials rotated (single user) at 2026-11-24T03:00:05.000Z: version v-new is AWSCURRENT. Nothing restarted: no service reads them; the ops functions read them per connection.',
    );
    expect(published[0]?.howToUndo).toContain(`aws secretsmanager rotate-secret --secret-id ${MASTER_SECRET}`);
  });

  it('ignores a rotation of a secret this environment does not rotate, and starts and publishes nothing', async () => {
    // Prepare
    const published: OpsResultInput[] = [];

    // Act
    const outcome = await handleRotationEvent(rotationEventSchema.parse(forSecret(succeeded, 'arn:aws:secretsmanager:us-east-1:111111111111:secret:other-Qq')), deps(published));

    // Assess
    expect(outcome).toBe('ignored');
    expect(sfn.calls()).toHaveLength(0);
    expect(published).toHaveLength(0);
  });

  it.each([
    ['an event of another service', { ...succeeded, source: 'aws.rds' }],
    ['an unknown event name', { ...succeeded, detail: { ...succeeded.detail, eventName: 'PutSecretValue' } }],
  ])('does not accept %s', (_case, event) => {
    // Act
    const parsed = rotationEventSchema.safeParse(event);

    // Assess
    expect(parsed.success).toBe(false);
  });
});

describe('secret age audit', () => {
  it('names each secret of the environment older than 30 days, with its age and what it counts from', async () => {
    // Prepare
    secrets.on(ListSecretsCommand).resolvesOnce({
      SecretList: [
        { Name: 'financehub-staging/db/app', LastRotatedDate: daysAgo(3), RotationEnabled: true, NextRotationDate: new Date('2026-12-21T03:00:00Z') },
        { Name: 'financehub-staging/api-keys', LastChangedDate: daysAgo(45), CreatedDate: daysAgo(200) },
      ],
      NextToken: 'page-2',
    }).resolvesOnce({
      SecretList: [
        { Name: 'financehub-staging/oauth-tokens', CreatedDate: daysAgo(31) },
        { Name: 'financehub-stagingother/x', CreatedDate: daysAgo(400) },
      ],
    });

    // Act
    const ages = await secretAges(new SecretsManagerClient({}), 'financehub-staging', NOW);
    const result = auditResult(ages, 'staging', 30, NOW, NOW);

    // Assess
    expect(ages.map((a) => [a.name, a.ageDays, a.since])).toEqual([
      ['financehub-staging/api-keys', 45, 'last change'],
      ['financehub-staging/oauth-tokens', 31, 'creation'],
      ['financehub-staging/db/app', 3, 'last rotation'],
    ]);
    expect(secrets.commandCalls(ListSecretsCommand)[0]?.args[0].input.Filters).toEqual([{ Key: 'name', Values: ['financehub-staging/'] }]);
    expect(result).toMatchObject({ outcome: 'failed', severity: 'warning' });
    expect(result.summary).toBe(
      '2 of 3 secrets are older than 30 days: financehub-staging/api-keys: 45 days since last change (no automatic rotation: its owner rotates it); financehub-staging/oauth-tokens: 31 days since creation (no automatic rotation: its owner rotates it)',
    );
  });

  it('shows a secret waiting for its owner, reminds them daily and escalates to the incidents channel once overdue', async () => {
    // Prepare
    const open = (requestedDaysAgo: number) => ({
      RotationEnabled: true,
      LastChangedDate: daysAgo(31 + requestedDaysAgo),
      Tags: [
        { Key: 'owner', Value: 'U0PAYMENTS' },
        { Key: 'rotation-requested-at', Value: daysAgo(requestedDaysAgo).toISOString() },
        { Key: 'rotation-requested-version', Value: 'v-new' },
      ],
      SecretVersionsToStages: { 'v-old': ['AWSCURRENT'], 'v-new': ['AWSPENDING'] },
    });
    secrets.on(ListSecretsCommand).resolves({
      SecretList: [
        { Name: 'financehub-staging/api-keys', ...open(2) },
        { Name: 'financehub-staging/oauth-tokens', ...open(9) },
        { Name: 'financehub-staging/slack', LastChangedDate: daysAgo(3), RotationEnabled: false, Tags: [{ Key: 'owner', Value: '@financehub-platform' }] },
      ],
    });

    // Act
    const ages = await secretAges(new SecretsManagerClient({}), 'financehub-staging', NOW);
    const result = auditResult(ages, 'staging', 30, NOW, NOW);
    const sent = reminders(ages, 'staging', 7, 'financehub-staging', NOW);

    // Assess
    expect(result.summary).toContain(`financehub-staging/api-keys: 33 days since last change (waiting for U0PAYMENTS since ${daysAgo(2).toISOString().slice(0, 10)} (2 days): rotation requested, new value not promoted)`);
    expect(sent.map((r) => [r.severity, r.summary])).toEqual([
      ['critical', expect.stringMatching(/^OVERDUE: <@U0PAYMENTS>, the rotation of staging oauth-tokens requested on \S+ \(9 days ago\) still waits/)],
      ['warning', expect.stringMatching(/^Reminder: <@U0PAYMENTS>, the rotation of staging api-keys requested on \S+ \(2 days ago\) still waits/)],
    ]);
    expect(sent[0]?.summary).toContain('past the 7 days allowed');
    expect(sent[1]?.howToUndo).toContain('fhops secret put api-keys --env staging < new-value.json');
  });

  it('sends no reminder once the requested version is AWSCURRENT, and shows who rotates it next', async () => {
    // Prepare
    secrets.on(ListSecretsCommand).resolves({
      SecretList: [{
        Name: 'financehub-staging/api-keys', RotationEnabled: true, LastRotatedDate: daysAgo(1), NextRotationDate: new Date('2026-12-30T08:00:00Z'),
        Tags: [{ Key: 'owner', Value: '@financehub-payments' }, { Key: 'rotation-requested-at', Value: daysAgo(3).toISOString() }, { Key: 'rotation-requested-version', Value: 'v-new' }],
        SecretVersionsToStages: { 'v-old': ['AWSPREVIOUS'], 'v-new': ['AWSCURRENT'] },
      }],
    });

    // Act
    const ages = await secretAges(new SecretsManagerClient({}), 'financehub-staging', NOW);

    // Assess
    expect(reminders(ages, 'staging', 7, 'financehub-staging', NOW)).toEqual([]);
    expect(auditResult(ages, 'staging', 30, NOW, NOW).summary).toContain('(rotated by @financehub-payments on request, next request 2026-12-30)');
  });

  it('reports all secrets fresh as an info result naming the oldest', () => {
    // Act
    const result = auditResult([{ name: 'financehub-staging/db/app', ageDays: 12, since: 'last rotation', rotationEnabled: true, nextRotation: new Date('2026-12-12T03:00:00Z') }], 'staging', 30, NOW, NOW);

    // Assess
    expect(result).toMatchObject({ outcome: 'succeeded', severity: 'info' });
    expect(result.summary).toContain('oldest financehub-staging/db/app: 12 days since last rotation (rotates automatically, next 2026-12-12)');
  });
});
