import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { type AuditEntry, parseAuditLines } from '../functions/lib/audit.js';
import { CommandError } from '../functions/slack-ops/commands.js';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

/** `7d`, `12h`, `30m` -> milliseconds, at most `maxDays` (what the trail keeps); anything else is an error naming the option. */
export function parseSince(value: string, maxDays: number): number {
  const match = /^([1-9]\d*)([dhm])$/.exec(value.trim());
  if (!match?.[1] || !match[2]) throw new CommandError(`--since must be a positive number of days, hours or minutes like 7d, 12h or 30m, not "${value}"`);
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (ms > maxDays * UNIT_MS.d) throw new CommandError(`--since ${value} reaches further back than the trail keeps entries (${maxDays} days)`);
  return ms;
}

/** The day prefixes (`audit/2026/12/01/`) from `from` to `to`, so only those days are listed. */
export function dayPrefixes(from: Date, to: Date): string[] {
  const prefixes: string[] = [];
  const day = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()));
  while (day <= to) {
    prefixes.push(`audit/${day.toISOString().slice(0, 10).replace(/-/g, '/')}/`);
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return prefixes;
}

/** Every entry written since `from`, oldest first, and how many lines could not be read. */
export async function readAuditTrail(s3: S3Client, bucket: string, from: Date, to: Date): Promise<{ entries: AuditEntry[]; malformed: number }> {
  const entries: AuditEntry[] = [];
  let malformed = 0;
  for (const prefix of dayPrefixes(from, to)) {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
        const parsed = parseAuditLines((await Body?.transformToString()) ?? '');
        entries.push(...parsed.entries.filter((entry) => new Date(entry.at) >= from));
        malformed += parsed.malformed;
      }
      token = page.NextContinuationToken;
    } while (token);
  }
  entries.sort((a, b) => a.at.localeCompare(b.at));
  return { entries, malformed };
}

/** One line an auditor reads: when, what, who, from where, what was done, the execution. */
export function formatAuditEntry(entry: AuditEntry): string {
  return [entry.at, entry.what.padEnd(8), entry.who, entry.from, entry.action, entry.executionArn ?? '', entry.detail ? `(${entry.detail})` : '']
    .filter((part) => part.length > 0)
    .join('  ');
}
