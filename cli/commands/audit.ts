import { S3Client } from '@aws-sdk/client-s3';
import type { EnvironmentName } from '../../contracts/environments.js';
import { environmentConfig } from '../../infra/config.js';
import { auditBucketName } from '../../infra/constructs/audit-trail.js';
import { formatAuditEntry, parseSince, readAuditTrail } from '../audit-trail.js';
import { type RegisterCommand, environment } from './context.js';

/** `fhops audit --env production --since 7d`: the audit trail's entries, oldest first. */
export const registerAudit: RegisterCommand = (program, context) => {
  program
    .command('audit')
    .description('read the audit trail: every command, approval, denial, refusal, start and result')
    .requiredOption('--env <env>', 'staging or production', environment)
    .option('--since <age>', 'how far back: 7d, 12h, 30m', '7d')
    .action(async (options: { env: EnvironmentName; since: string }) => {
      const config = environmentConfig(options.env);
      const to = context.now();
      const from = new Date(to.getTime() - parseSince(options.since, config.audit.retentionDays));
      const bucket = auditBucketName(config);
      const { entries, malformed } = await readAuditTrail(new S3Client({ region: context.region() }), bucket, from, to);
      for (const entry of entries) console.log(formatAuditEntry(entry));
      console.log(`${entries.length} entries in ${bucket} since ${from.toISOString()}${malformed > 0 ? `; ${malformed} lines could not be read` : ''}`);
      if (malformed > 0) process.exitCode = 1;
    });
};
