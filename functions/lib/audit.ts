import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';

/**
 * One line of the audit trail: who did what, when, from where, and which execution it concerns. Written by the
 * Slack ingress, the approval path, the CLI and the workflows; read by `fhops audit`. Entries are never changed:
 * the bucket keeps every object under Object Lock (compliance mode) for the environment's retention.
 */
export const auditEntrySchema = z.object({
  at: z.string(),
  environment: z.enum(['staging', 'production']),
  /** command, request, approval, denial, refusal, start, result */
  what: z.enum(['command', 'request', 'approval', 'denial', 'refusal', 'start', 'result']),
  /** The person (Slack user id, or the AWS identity the CLI caller maps to) or the automation acting. */
  who: z.string().check(z.minLength(1)),
  /** Where it came from: `slack:<team>/<channel>`, `cli:<AWS caller ARN>`, `workflow:<state machine>`. */
  from: z.string().check(z.minLength(1)),
  /** What was asked or done, in one line an auditor reads. */
  action: z.string().check(z.minLength(1)),
  executionArn: z.optional(z.string()),
  approvalId: z.optional(z.string()),
  /** Why a refusal or denial happened, or how an execution ended. */
  detail: z.optional(z.string()),
});

export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** `audit/2026/12/01/20/2026-12-01T20:15:03.120Z-approval-<uuid>.jsonl`: listing a day's prefix reads that day. */
export function auditKey(entry: Pick<AuditEntry, 'at' | 'what'>): string {
  const at = new Date(entry.at);
  const hour = at.toISOString().slice(0, 13).replace(/[-T]/g, '/');
  return `audit/${hour}/${at.toISOString()}-${entry.what}-${randomUUID()}.jsonl`;
}

/**
 * Appends entries to the trail as one new object of JSON lines. `IfNoneMatch: '*'` makes S3 refuse to overwrite
 * (the bucket policy refuses any write without it), so an entry, once written, is the only version under its key.
 */
export async function writeAudit(s3: S3Client, bucket: string, entries: readonly AuditEntry[]): Promise<string | undefined> {
  if (entries.length === 0) return undefined;
  const lines = entries.map((entry) => JSON.stringify(auditEntrySchema.parse(entry)));
  const first = entries[0] as AuditEntry;
  const key = auditKey(first);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: `${lines.join('\n')}\n`,
      ContentType: 'application/x-ndjson',
      IfNoneMatch: '*',
    }),
  );
  return key;
}

/** Parses an object of the trail; a line that is not an entry is reported, never silently dropped. */
export function parseAuditLines(text: string): { entries: AuditEntry[]; malformed: number } {
  const entries: AuditEntry[] = [];
  let malformed = 0;
  for (const line of text.split('\n')) {
    if (line.trim().length === 0) continue;
    try {
      const parsed = auditEntrySchema.safeParse(JSON.parse(line));
      if (parsed.success) entries.push(parsed.data);
      else malformed += 1;
    } catch {
      malformed += 1;
    }
  }
  return { entries, malformed };
}
