import { isMinted } from '../../functions/lib/rotated-secrets.js';
import { rehearse } from '../../rehearsal/rehearse.js';
import { SCENARIOS } from '../../rehearsal/scenarios/index.js';
import type { Scenario } from '../../rehearsal/scenarios/scenario.js';
import { APP_USER, DATABASE_HOST, MASTER_USER } from '../../rehearsal/scenarios/rotate-db-credentials.js';
import { AUTOMATIC_REATTEMPTS, type SimulatedSecretsManager } from '../../rehearsal/simulated/secrets-manager.js';

/**
 * Every rotation, rehearsed as Secrets Manager runs it (the four steps with one token, then the EventBridge delivery
 * and the post-rotation workflow), succeeding and failing at each point: the path it takes, and whether what on-call
 * reads is true of the world the rehearsal left behind.
 */
const rotations = SCENARIOS.filter((s): s is Scenario & { rotation: NonNullable<Scenario['rotation']> } => s.rotation !== undefined);
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
const named = (name: string) => rotations.find((s) => s.name === name)!;
/** The kinds no service reads: nothing restarts after their rotation. */
const NO_RESTART: readonly string[] = ['database-master', 'slack-bot-token', 'slack-signing-secret'];

async function rehearsed(scenario: Scenario) {
  const rehearsal = await rehearse(scenario, 'staging');
  const secretsManager = rehearsal.scripted.secretsManager as SimulatedSecretsManager;
  const secretId = String((rehearsal.calls.find((call) => call.startsWith('SecretsManager:DescribeSecret')) ?? '').match(/"SecretId":"([^"]+)"/)?.[1]);
  const text = rehearsal.published.map((r) => `${r.summary}\n${r.actionsTaken.join('\n')}\n${r.howToUndo ?? ''}`).join('\n');
  return { ...rehearsal, secretsManager, secretId, text, last: rehearsal.published.at(-1) };
}

describe('secret rotations, rehearsed', () => {
  it('rehearses success and a failure at each step for every rotation kind', () => {
    // Assess
    const points = (kind: string) => rotations.filter((s) => s.rotation.kind === kind).map((s) => s.rotation.failure ?? 'rotated');
    for (const kind of ['database-app', 'redis-auth', 'django-secret-key']) expect(points(kind)).toEqual(expect.arrayContaining(['rotated', ...STEPS, 'restart', 'report']));
    expect(points('database-master')).toEqual(['rotated', ...STEPS, 'report']);
    // An owner's createSecret fails until they act: every api-keys scenario goes through that first. The Slack
    // secrets restart nothing (only ops functions read them, with a 5-minute cache).
    expect(points('api-key')).toEqual(['rotated', 'setSecret', 'testSecret', 'finishSecret', 'restart', 'report']);
    for (const kind of ['slack-bot-token', 'slack-signing-secret']) expect(points(kind)).toEqual(['rotated', 'setSecret', 'testSecret', 'finishSecret', 'report']);
  });

  it.each(rotations.filter((s) => !s.rotation.failure).map((s) => [s.name, s] as const))('%s: all four steps with one token, AWSCURRENT moved, and a report of what rotated, what restarted and how to roll back', async (_name, scenario) => {
    // Act
    const { run, secretsManager, secretId, last, calls } = await rehearsed(scenario);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path.filter((state) => state.startsWith('Secrets Manager:')).slice(-4)).toEqual(STEPS.map((step) => `Secrets Manager: ${step}`));
    const stages = secretsManager.stages(secretId);
    const current = secretsManager.versionAt(secretId, 'AWSCURRENT');
    expect(stages[current ?? '']).toEqual(expect.arrayContaining(['AWSCURRENT']));
    expect(Object.values(stages).filter((s) => s.includes('AWSPREVIOUS'))).toHaveLength(1);
    // The same token in every step's calls: what each step staged or tagged names the version that became current.
    for (const call of calls.filter((c) => /SecretsManager:(PutSecretValue|TagResource) /.test(c) && !c.includes('rotation-requested'))) expect(call).toContain(String(current));
    expect(last?.outcome).toBe('succeeded');
    expect(last?.summary).toMatch(/rotated/);
    expect(last?.actionsTaken.join(' ')).toMatch(NO_RESTART.includes(scenario.rotation.kind) ? /Restarted nothing/ : /Forced new deployments of financehub-staging-backend and financehub-staging-worker/);
    expect(last?.howToUndo).toMatch(/roll back|rotate again|rotate-secret/i);
  }, 60_000);

  it.each(rotations.filter((s) => STEPS.includes(s.rotation.failure ?? '')).map((s) => [s.name, s] as const))('%s: stops at the failed step, AWSCURRENT untouched, and says what the failure left in place', async (_name, scenario) => {
    // Act
    const { run, secretsManager, secretId, text, last } = await rehearsed(scenario);

    // Assess
    const step = scenario.rotation.failure ?? '';
    expect(run.status).toBe('FAILED');
    expect(run.path.at(-1) === `Secrets Manager: ${step} (failed)` || run.path.at(-1)?.startsWith('EventBridge: RotationFailed')).toBe(true);
    const pending = secretsManager.pendingVersion(secretId);
    // AWSCURRENT never moved: the version that was current before the rotation is still the only non-pending one.
    expect(pending).toBeDefined();
    expect(Object.keys(secretsManager.stages(secretId))).toHaveLength(2);
    expect(last).toMatchObject({ outcome: 'failed' });
    expect(text).toContain(String(pending));
  }, 60_000);

  const minted = rotations.filter((s) => STEPS.includes(s.rotation.failure ?? '') && isMinted(s.rotation.kind));
  it.each(minted.map((s) => [s.name, s] as const))('%s: the critical report names the failed step, both versions read back, how to reattempt, and restarts nothing', async (_name, scenario) => {
    // Act
    const { secretsManager, secretId, text, last } = await rehearsed(scenario);

    // Assess
    const pending = secretsManager.pendingVersion(secretId);
    expect(last).toMatchObject({ workflow: 'secret-rotation', severity: 'critical' });
    expect(last?.summary).toContain(`failed at ${scenario.rotation.failure}`);
    expect(last?.summary).toContain(String(secretsManager.versionAt(secretId, 'AWSCURRENT')));
    expect(last?.howToUndo).toContain(`reattempts this rotation with the same version (${pending})`);
    expect(text).not.toMatch(/Restarted financehub|Forced new deployments/);
  }, 60_000);

  it.each(minted.filter((s) => s.rotation.failure === 'setSecret').map((s) => [s.name, s] as const))('%s: never says the value was set', async (_name, scenario) => {
    // Act
    const { last } = await rehearsed(scenario);

    // Assess
    expect(last?.summary).not.toMatch(/setSecret completed|the database uses the AWSPENDING|holds the new|accepts the AWSPENDING token beside/);
  }, 60_000);

  it.each(minted.filter((s) => s.rotation.failure === 'finishSecret').map((s) => [s.name, s] as const))('%s: says AWSPENDING holds the tested value and AWSCURRENT is still the old one', async (_name, scenario) => {
    // Act
    const { secretsManager, secretId, last } = await rehearsed(scenario);

    // Assess
    expect(last?.summary).toContain(`AWSPENDING (version ${secretsManager.pendingVersion(secretId)}) holds`);
    expect(last?.summary).toContain(`AWSCURRENT is still version ${secretsManager.versionAt(secretId, 'AWSCURRENT')}`);
  }, 60_000);

  it('leaves the application user and the database untouched when the master may not create the clone (setSecret), and says nothing changed there', async () => {
    // Act
    const { scripted, secretsManager, secretId, last } = await rehearsed(named('db-app-fails-at-setSecret'));

    // Assess
    const roles = scripted.databases?.[DATABASE_HOST('financehub-staging')]?.roles ?? {};
    expect(Object.keys(roles).sort()).toEqual([MASTER_USER, APP_USER].sort());
    expect(roles[APP_USER]?.password).toBe(JSON.parse(secretsManager.valueAt(secretId, 'AWSCURRENT') ?? '{}').password);
    expect(last?.summary).toContain('may or may not have the AWSPENDING password');
  }, 60_000);

  it('keeps the master password when ALTER ROLE is refused (setSecret), and says the ops functions still log in', async () => {
    // Act
    const { scripted, secretsManager, secretId, last } = await rehearsed(named('db-master-fails-at-setSecret'));

    // Assess
    const master = scripted.databases?.[DATABASE_HOST('financehub-staging')]?.roles?.[MASTER_USER];
    expect(master?.password).toBe(JSON.parse(secretsManager.valueAt(secretId, 'AWSCURRENT') ?? '{}').password);
    expect(last?.summary).toContain('may or may not use the AWSPENDING master password');
    expect(last?.howToUndo).not.toContain('To give it up');
  }, 60_000);

  it('says the database already uses the AWSPENDING master password when testSecret fails after setSecret changed it, and not to remove it', async () => {
    // Act
    const { scripted, secretsManager, secretId, last } = await rehearsed(named('db-master-fails-at-testSecret'));

    // Assess: the world, then the words
    const master = scripted.databases?.[DATABASE_HOST('financehub-staging')]?.roles?.[MASTER_USER];
    expect(master?.password).toBe(JSON.parse(secretsManager.valueAt(secretId, 'AWSPENDING') ?? '{}').password);
    expect(master?.password).not.toBe(JSON.parse(secretsManager.valueAt(secretId, 'AWSCURRENT') ?? '{}').password);
    expect(last?.summary).toContain('the database uses the AWSPENDING master password');
    expect(last?.summary).toContain('no longer logs in as the master');
    expect(last?.summary).toContain('Do not remove AWSPENDING');
  }, 60_000);

  it('tells on-call of a failed restart after a rotation, and of a report Slack never got through the failed execution', async () => {
    // Act
    const restart = await rehearsed(named('db-app-fails-at-restart'));
    const report = await rehearsed(named('redis-auth-fails-at-report'));

    // Assess
    expect(restart.run.path).toContain('Report restart failure');
    expect(restart.last).toMatchObject({ workflow: 'post-rotation', outcome: 'failed', severity: 'critical' });
    expect(restart.last?.summary).toContain('the forced deployment failed and was rolled back');
    expect(report.published).toEqual([]);
    expect(report.run).toMatchObject({ status: 'FAILED', error: 'PostRotationReportFailed' });
    expect(report.calls.filter((call) => call.startsWith('SNS:Publish')).length).toBeGreaterThan(0);
  }, 60_000);

  it('reports a rotated Slack bot token as proven by auth.test, restarting nothing and saying who reads it', async () => {
    // Act
    const { run, last, published } = await rehearsed(named('slack-bot-token-rotated'));

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(published[0]?.actionsTaken.join(' ')).toContain("proven with Slack's auth.test");
    expect(last).toMatchObject({ workflow: 'secret-rotation', outcome: 'succeeded' });
    expect(last?.summary).toContain('The Slack bot token rotated');
    expect(last?.summary).toContain('Nothing restarted: only the ops functions notify-slack, announce-request and slack-followup read it');
    expect(last?.actionsTaken).toContain('Restarted nothing');
  }, 60_000);

  it("refuses a bot token Slack's auth.test answers ok: false to, naming Slack's error, and tells the owner", async () => {
    // Act
    const { run, last, secretsManager, secretId } = await rehearsed(named('slack-bot-token-fails-at-testSecret'));

    // Assess
    expect(run.path.at(-1)).toBe('Secrets Manager: testSecret (failed)');
    expect(last).toMatchObject({ workflow: 'rotate-owner-secret', outcome: 'failed' });
    expect(last?.summary).toContain("Slack's auth.test refused the new token: invalid_auth");
    expect(last?.summary).not.toContain('xoxb-');
    expect(secretsManager.versionAt(secretId, 'AWSCURRENT')).not.toBe(secretsManager.pendingVersion(secretId));
  }, 60_000);

  it('promotes a regenerated signing secret without a probe, and says Slack signs only with it, so moving AWSCURRENT back would break /ops', async () => {
    // Act
    const { run, last } = await rehearsed(named('slack-signing-secret-rotated'));

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(last?.summary).toContain('Nothing restarted: only slack-ops reads it');
    expect(last?.howToUndo).toContain('moving AWSCURRENT back would make /ops refuse every request');
  }, 60_000);

  it('fails a rotated master whose report Slack never got, and the ingress failing is what tells on-call', async () => {
    // Act
    const { run, published, calls, secretsManager, secretId } = await rehearsed(named('db-master-fails-at-report'));

    // Assess
    expect(run).toMatchObject({ status: 'FAILED', error: 'IngressFailed' });
    expect(run.path.filter((state) => state === 'EventBridge: RotationSucceeded to rotation-events')).toHaveLength(3);
    expect(published).toEqual([]);
    expect(calls.filter((call) => call.startsWith('SNS:Publish')).length).toBeGreaterThan(0);
    // The rotation itself completed: the new master password is AWSCURRENT.
    expect(secretsManager.pendingVersion(secretId)).toBeUndefined();
  }, 60_000);

  it('asks the owner first, once for all of Secrets Manager\'s reattempts, then rotates with the same token once they stored the value', async () => {
    // Act
    const { run, published, secretsManager, secretId, calls } = await rehearsed(named('api-keys-rotated'));

    // Assess
    const waiting = Array.from({ length: 1 + AUTOMATIC_REATTEMPTS }, () => 'Secrets Manager: createSecret (failed)');
    expect(run.path.slice(0, waiting.length + 1)).toEqual([...waiting, 'Secrets Manager: createSecret']);
    expect(published.filter((result) => result.workflow === 'rotate-owner-secret')).toHaveLength(1);
    expect(published[0]).toMatchObject({ workflow: 'rotate-owner-secret', outcome: 'skipped' });
    expect(published[0]?.summary).toContain('until then nothing is rotated');
    const current = secretsManager.versionAt(secretId, 'AWSCURRENT');
    expect(calls.find((call) => call.startsWith('SecretsManager:PutSecretValue'))).toContain(String(current));
    expect(calls.find((call) => call.includes('rotation-requested-version'))).toContain(String(current));
  }, 60_000);
});
