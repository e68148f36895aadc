import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import checkRestoreEvent from '../../events/restore-drill-check-restore.json';
import { opsResultSchema } from '../../contracts/ops-result.js';
import { renderDrillReportHtml, sinceStart, writeDrillReport } from '../../functions/lib/drill-report.js';
import { type DrillState, type ReportSettings, buildReport, evidenceOf, opsResultOf } from '../../functions/restore-drill/report.js';
import type { VerificationOutcome } from '../../functions/restore-drill/verify.js';

const settings: ReportSettings = { environment: 'production', region: 'us-east-1', rtoMinutes: 240, rpoMinutes: 15, rowCountTolerancePercent: 2, reportsBucket: 'financehub-production-backups-222222222222', lockTableName: 'financehub-production-remediation-guardrails' };
const released = { state: 'released', detail: 'The drill lock is released.' } as const;
const execution = { name: 'scheduled-run', arn: 'arn:aws:states:us-east-1:222222222222:execution:financehub-production-restore-drill:scheduled-run', startedAt: '2026-11-10T06:00:00.000Z' };
const finishedAt = new Date('2026-11-10T06:52:00.000Z');
const plan = { ...checkRestoreEvent.plan, instanceId: 'financehub-production-drill-20261110-0600', sourceInstanceId: 'financehub-production-db' };
const lambdaCause = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage, trace: [] });

const verified: VerificationOutcome & { verifiedAt: string } = {
  schemaExists: true,
  tables: [{ table: 'ledger_transaction', exists: true, restoredRows: 990, sourceRows: 1000, deviationPercent: 1, rowsWithinTolerance: true, timestampColumn: 'created_at', lossSeconds: 180 }],
  dataLossSeconds: 180,
  passed: true,
  problems: [],
  verifiedAt: '2026-11-10T06:41:30.000Z',
};

const restored = { ...checkRestoreEvent.previous, available: true, availableAt: '2026-11-10T06:35:00.000Z', endpoint: 'drill.example', port: 5432 };
const deleted = { requestedAt: '2026-11-10T06:42:00.000Z', status: 'deleted', attempts: 2, waitedSeconds: 150, nextWaitSeconds: 135, capReached: false, existed: true, gone: true, goneAt: '2026-11-10T06:51:00.000Z' };

describe('the drill report', () => {
  it('passes a drill that verified within RTO and RPO and says nothing is left to undo', () => {
    // Prepare
    const state: DrillState = { lockRelease: released, drill: plan, restored, verification: verified, deletion: deleted };

    // Act
    const report = buildReport(state, settings, execution, finishedAt);
    const result = opsResultSchema.parse(opsResultOf(report, 's3://bucket/report.html'));

    // Assess
    expect(report).toMatchObject({ outcome: 'succeeded', severity: 'info', rtoMinutes: 41.5, dataLossMinutes: 3, orphan: false });
    expect(report.timeline.map((entry) => entry.step)).toEqual([
      'Drill started',
      'Preconditions checked',
      'Restore requested',
      'Restored instance available',
      'Data verified',
      'Deletion requested',
      'Drill instance deleted',
      'Report written',
    ]);
    expect(result.measurements).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'RTO', value: 41.5, target: 240, passed: true })]));
    expect(result.howToUndo).toMatch(/^Nothing to undo/);
  });

  it('fails a drill whose RTO exceeded four hours even though the data verified', () => {
    // Prepare
    const state: DrillState = { lockRelease: released, drill: plan, restored, verification: { ...verified, verifiedAt: '2026-11-10T10:30:00.000Z' }, deletion: deleted };

    // Act
    const report = buildReport(state, settings, execution, finishedAt);

    // Assess
    expect(report).toMatchObject({ outcome: 'failed', severity: 'critical', rtoMinutes: 270 });
    expect(report.summary).toContain('RTO 270 min exceeds the 240-minute target');
  });

  it('names the step a drill failed at and the error that stopped it', () => {
    // Prepare
    const state: DrillState = { lockRelease: released, drill: plan, restored: { ...restored, available: false }, deletion: deleted, failure: { Error: 'RestoreFailed', Cause: lambdaCause('RestoreFailed', 'storage-full') } };

    // Act
    const report = buildReport(state, settings, execution, finishedAt);

    // Assess
    expect(report).toMatchObject({ outcome: 'failed', severity: 'critical', failedAt: 'waiting for the restored instance', failure: 'RestoreFailed: storage-full', orphan: false });
    expect(report.summary).toContain(`${plan.instanceId} was deleted`);
  });

  it('reports a critical orphan with the command to delete it when the cleanup failed', () => {
    // Prepare
    const state: DrillState = { lockRelease: released, drill: plan, restored, verification: verified, cleanupFailure: { Error: 'AccessDenied', Cause: lambdaCause('AccessDenied', 'not authorized') } };

    // Act
    const report = buildReport(state, settings, execution, finishedAt);
    const result = opsResultOf(report, 's3://bucket/report.html');

    // Assess
    expect(report).toMatchObject({ outcome: 'failed', severity: 'critical', orphan: true });
    expect(report.summary).toMatch(/^ORPHAN REMAINS/);
    expect(result.howToUndo).toBe(
      `Delete the orphan by hand: aws rds delete-db-instance --db-instance-identifier ${plan.instanceId} --skip-final-snapshot --delete-automated-backups --region us-east-1`,
    );
  });

  it('says in the report that an orphan was NOT cleaned up, and how to delete it', () => {
    // Prepare
    const state: DrillState = { lockRelease: released, drill: plan, restored, verification: verified, cleanupFailure: { Error: 'AccessDenied', Cause: lambdaCause('AccessDenied', 'not authorized') } };

    // Act
    const html = renderDrillReportHtml(evidenceOf(buildReport(state, settings, execution, finishedAt)));

    // Assess
    expect(html).toContain(
      `<h2>Cleaned up</h2>\n<ul><li>NOT cleaned up: ${plan.instanceId} still exists (AccessDenied: not authorized). Delete it by hand: aws rds delete-db-instance --db-instance-identifier ${plan.instanceId} --skip-final-snapshot --delete-automated-backups --region us-east-1</li></ul>`,
    );
  });

  it('times the timeline from the drill’s start on its own clock and flags an entry from another clock', () => {
    // Prepare
    const window = { startedAt: execution.startedAt, finishedAt: finishedAt.toISOString() };

    // Act
    const offsets = ['2026-11-10T06:00:00.000Z', '2026-11-10T06:41:30.000Z', '2026-11-10T05:59:00.000Z', '2026-11-10T09:00:00.000Z'].map((at) => sinceStart(window, at));

    // Assess
    expect(offsets).toEqual(['+0:00', '+41:30', 'outside the execution: another clock?', 'outside the execution: another clock?']);
  });

  it('skips a drill stopped by its preconditions, which created nothing', () => {
    // Prepare
    const state: DrillState = { lockRelease: released, failure: { Error: 'PreconditionFailed', Cause: lambdaCause('PreconditionFailed', 'Another restore drill of production is running') } };

    // Act
    const report = buildReport(state, settings, execution, finishedAt);

    // Assess
    expect(report).toMatchObject({ outcome: 'skipped', severity: 'warning', orphan: false });
    expect(report.summary).toContain('Nothing was created');
  });

  it('writes JSON and an HTML page that escapes what it shows, under drills/', async () => {
    // Prepare
    const s3 = mockClient(S3Client);
    s3.on(PutObjectCommand).resolves({});
    const state: DrillState = { lockRelease: released, drill: plan, restored, verification: { ...verified, passed: false, problems: ['table <script>alert(1)</script> is missing'] }, deletion: deleted };
    const report = buildReport(state, settings, execution, finishedAt);

    // Act
    const url = await writeDrillReport(new S3Client({}), settings.reportsBucket, evidenceOf(report));

    // Assess
    const keys = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);
    expect(keys).toEqual(['drills/restore-drill/2026-11-10T06-00-00Z-scheduled-run.json', 'drills/restore-drill/2026-11-10T06-00-00Z-scheduled-run.html']);
    expect(url).toBe(`s3://${settings.reportsBucket}/drills/restore-drill/2026-11-10T06-00-00Z-scheduled-run.html`);
    const html = renderDrillReportHtml(evidenceOf(report));
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>');
    s3.restore();
  });
});
