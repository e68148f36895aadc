import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { writeAudit } from '../functions/lib/audit.js';
import { type SlackOpsDeps, handleSlackRequest } from '../functions/slack-ops/slack-ops.js';
import { slackSignature } from '../functions/slack-ops/verify-signature.js';
import { type Stats, stats } from './stats.js';

/**
 * Time from a signed /ops request arriving to the answer Slack reads, for the handler's own work (signature,
 * parsing, authorization, starting the execution against an instant SDK mock). Network time to AWS comes on top.
 */
export async function measureSlackAck(requests: number): Promise<Stats> {
  mockClient(SFNClient).on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:us-east-1:111111111111:execution:x:y', startDate: new Date() });
  mockClient(DynamoDBClient).on(PutItemCommand).resolves({});
  mockClient(S3Client).on(PutObjectCommand).resolves({});
  const s3 = new S3Client({ region: 'us-east-1' });
  const deps: SlackOpsDeps = {
    sfn: new SFNClient({ region: 'us-east-1' }),
    ddb: new DynamoDBClient({ region: 'us-east-1' }),
    config: {
      environment: 'staging',
      slashCommand: '/ops-staging',
      region: 'us-east-1',
      account: '111111111111',
      prefix: 'financehub-staging',
      tableName: 'bench',
      limits: { maxCeiling: { frontend: 20, backend: 20, worker: 10 }, maxDurationMinutes: 1440 },
      approvalMinutes: 15,
      approvalUseMinutes: 10,
      approvalRecordDays: 30,
      fourEyesWorkflows: [],
    },
    signingSecret: async () => 'bench-secret',
    policy: async () => ({ teamId: 'T0BENCH', channels: ['C0BENCH'], operators: ['U0BENCH'], approvers: [], commands: {}, awsIdentities: {} }),
    respond: async () => undefined,
    audit: async (entries) => {
      await writeAudit(s3, 'bench', entries);
    },
    now: () => new Date(),
  };
  const samples: number[] = [];
  for (let i = 0; i < requests; i += 1) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const body = new URLSearchParams({
      command: '/ops',
      text: `scale staging backend 4 12 60 bench ${i}`,
      user_id: 'U0BENCH',
      team_id: 'T0BENCH',
      channel_id: 'C0BENCH',
      response_url: 'https://hooks.slack.com/commands/T0/1/x',
    }).toString();
    const request = { headers: { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature('bench-secret', timestamp, body) }, body, isBase64Encoded: false };
    const started = performance.now();
    const response = await handleSlackRequest(request, deps);
    samples.push(performance.now() - started);
    if (response.statusCode !== 200) throw new Error(`bench request ${i} answered ${response.statusCode}`);
  }
  return stats(samples.slice(Math.min(10, Math.floor(requests / 10))));
}
