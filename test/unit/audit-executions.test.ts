import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import succeeded from '../../events/sfn-execution-succeeded.json';
import { auditEntryFor, auditExecutionChange, executionChangeSchema } from '../../functions/audit-executions/record.js';
import { type AuditEntry, writeAudit } from '../../functions/lib/audit.js';

const change = (overrides: Record<string, unknown>) => executionChangeSchema.parse({ ...succeeded, detail: { ...succeeded.detail, ...overrides } });

describe('the audit entry of an execution change', () => {
  it('records a result with the execution and the requester its input names', () => {
    // Act
    const entry = auditEntryFor(change({ input: JSON.stringify({ requestedBy: 'U0ALICE' }) }), 'staging');

    // Assess
    expect(entry).toEqual({
      at: '2026-11-24T03:12:00Z',
      environment: 'staging',
      what: 'result',
      who: 'U0ALICE',
      from: 'workflow:financehub-staging-scaling-override',
      action: 'financehub-staging-scaling-override succeeded (slack-0123456789abcdef)',
      executionArn: succeeded.detail.executionArn,
      detail: undefined,
    });
  });

  it('records a start by a schedule as automation, and a failure with its error', () => {
    // Act
    const started = auditEntryFor(change({ status: 'RUNNING', input: '{}' }), 'staging');
    const failed = auditEntryFor(change({ status: 'FAILED', error: 'ApprovalRefused', cause: 'no approval' }), 'staging');

    // Assess
    expect(started).toMatchObject({ what: 'start', who: 'automation (schedule or event rule)' });
    expect(failed).toMatchObject({ what: 'result', action: expect.stringContaining(' failed '), detail: 'ApprovalRefused: no approval' });
  });
});

describe('auditing an execution change', () => {
  const s3 = mockClient(S3Client);
  const deps = { environment: 'staging' as const, append: async (entries: readonly AuditEntry[]) => void (await writeAudit(new S3Client({}), 'financehub-staging-audit-111111111111', entries)) };

  beforeEach(() => s3.reset());

  it('appends one JSON line under the day of the change, refusing to overwrite', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});

    // Act
    const outcome = await auditExecutionChange(succeeded, deps);

    // Assess
    expect(outcome).toBe('audited');
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put).toMatchObject({ Bucket: 'financehub-staging-audit-111111111111', IfNoneMatch: '*', Key: expect.stringMatching(/^audit\/2026\/11\/24\/03\/2026-11-24T03:12:00.000Z-result-/) });
    expect(JSON.parse(String(put?.Body))).toMatchObject({ what: 'result', executionArn: succeeded.detail.executionArn });
  });

  it('drops an event that is not an execution status change, writing nothing', async () => {
    // Act
    const outcome = await auditExecutionChange({ 'detail-type': 'EC2 Instance State-change Notification', detail: {} }, deps);

    // Assess
    expect(outcome).toBe('ignored');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('fails when the write fails, so EventBridge delivers the change again', async () => {
    // Prepare
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }));

    // Act
    const auditing = auditExecutionChange(succeeded, deps);

    // Assess
    await expect(auditing).rejects.toThrow('Service Unavailable');
  });
});
