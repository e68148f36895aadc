import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { violations } from '../../rehearsal/fault-checks.js';
import { rotationViolations } from '../../rehearsal/rotation-checks.js';
import { SCENARIOS } from '../../rehearsal/scenarios/index.js';
import { SimulatedAccount } from '../../rehearsal/simulated/account.js';
import { SimulatedSecretsManager } from '../../rehearsal/simulated/secrets-manager.js';
import { faultProblems, faultRunsOf } from './support/fault-suite.js';

/**
 * Every workflow scenario with one fault at a time (test/workflow/support/fault-suite.ts: all in staging, a third in production); the rotations run in
 * test/workflow/rotation-faults.test.ts, beside this file on jest's other worker. The DR simulation's scenarios make
 * about 80 AWS calls each (hours of polling on the simulated clock): test/workflow/dr-simulation-faults.test.ts
 * samples them. Measured on the shared 2-core machine: staging's 1144 faults take 81 s, production's 390 of 1238 21 s.
 */
describe('fault injection', () => {
  it.each(faultRunsOf(SCENARIOS.filter((s) => !s.rotation && s.workflow !== 'dr-simulation')))('keeps %s truthful under every single fault', async (_name, scenario, environment, index) => {
    // Act
    const problems = await faultProblems(scenario, environment, index);

    // Assess
    expect(problems).toEqual([]);
  }, 900_000);
});

describe('the fault checks', () => {
  const restore = { service: 'RDS', command: 'RestoreDBInstanceToPointInTime', input: { TargetDBInstanceIdentifier: 'financehub-staging-drill-x' }, reached: true, applied: true };
  const lock = { service: 'DynamoDB', command: 'PutItem', input: { Item: { pk: { S: 'lock#backend' } } }, reached: true, applied: true };
  const run = { status: 'SUCCEEDED' as const, path: [], transitions: 1, retries: 0, taskCalls: [] };
  const result = (summary: string) => ({
    kind: 'OpsResult' as const,
    workflow: 'restore-drill',
    environment: 'staging' as const,
    outcome: 'failed' as const,
    severity: 'critical' as const,
    summary,
    startedAt: '2026-12-01T00:00:00Z',
    finishedAt: '2026-12-01T00:01:00Z',
    durationSeconds: 60,
    measurements: [],
    actionsTaken: [],
  });

  it('catch a claim that nothing was created, an instance left behind, a silent held lock and a success nobody heard of', () => {
    // Act
    const found = [
      ...violations({ workflow: 'restore-drill', run, published: [result('Restore drill failed. Nothing was created.')], calls: [restore], executionName: 'own' }),
      ...violations({ workflow: 'alarm-remediation', run, published: [result('Done. The lock on backend is released.')], calls: [lock], executionName: 'own' }),
      ...violations({ workflow: 'restore-drill', run, published: [], calls: [], executionName: 'own' }),
    ];

    // Assess
    expect(found).toEqual([
      'claims "Nothing was created" although RestoreDBInstanceToPointInTime was applied',
      'left financehub-staging-drill-x behind without reporting it',
      'left the lock lock#backend held without saying so',
      'says the lock on backend is released while it is held',
      'succeeded without publishing a result: on-call was not told',
    ]);
  });

  it('catch the kill switch acting and a retried fault that changed the outcome', () => {
    // Act
    const found = violations({
      workflow: 'alarm-remediation',
      run: { ...run, status: 'FAILED' },
      published: [result('Remediation FAILED.')],
      calls: [lock],
      executionName: 'own',
      killSwitchOn: true,
      baseline: { status: 'SUCCEEDED', outcome: 'skipped' },
      fault: 'throttle at AWS call 1 (SSM:GetParameters)',
    });

    // Assess
    expect(found).toEqual(expect.arrayContaining(['acted with the kill switch on: PutItem', expect.stringMatching(/^a retried fault changed the outcome: SUCCEEDED\/skipped without it, FAILED\/failed with it/)]));
  });

  it('catch a rotation that cut off the services, a report of versions not in place, a restart called "not touched" and a failure nobody heard of', async () => {
    // Prepare: a secret whose rotation failed at testSecret with its value changed under the services
    const account = new SimulatedAccount();
    const arn = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging/redis-auth-AbCdEf';
    const secretsManager = new SimulatedSecretsManager(account, [{ arn, value: 'old-token' }]);
    const attempts = await secretsManager.rotate(arn, async (event) => {
      if (event.Step === 'createSecret') await new SecretsManagerClient({}).send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: event.ClientRequestToken, SecretString: 'new-token', VersionStages: ['AWSPENDING'] }));
      if (event.Step === 'testSecret') throw new Error('refused');
    });
    account.restore();
    const restart = { service: 'ECS', command: 'UpdateService', input: { service: 'financehub-staging-backend' }, reached: true, applied: true };
    const evidence = {
      secret: { secretArn: arn, kind: 'redis-auth' as const, services: ['financehub-staging-backend'] },
      secretsManager,
      attempts,
      run: { ...run, status: 'FAILED' as const },
      calls: [restart],
      // Only the new token is valid: the old one, which the services run on, no longer is.
      authenticates: (token: string) => token === 'new-token',
      previousValueLoggedIn: false,
    };

    // Act
    const silent = rotationViolations({ ...evidence, published: [] });
    const claims = rotationViolations({ ...evidence, published: [{ ...result('Rotation failed. AWSCURRENT is still version not-this-one; the services were not touched.'), workflow: 'secret-rotation' }] });

    // Assess
    expect(silent).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^the rotation failed \(testSecret: Error: refused\) and on-call was not told/),
        expect.stringMatching(/^AWSCURRENT \(version \S+\) no longer logs in: an outage/),
        'the value the services run on no longer logged in once the rotation steps ended: an outage until they restart',
      ]),
    );
    expect(claims).toEqual(
      expect.arrayContaining([
        `says "AWSCURRENT is still version not-this-one" although AWSCURRENT is ${String(secretsManager.versionAt(arn, 'AWSCURRENT'))}`,
        'says "the services were not touched" although UpdateService was applied to financehub-staging-backend',
      ]),
    );
    expect(claims.some((found) => found.includes('on-call was not told'))).toBe(false);
  });
});
