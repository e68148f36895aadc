import type { DynamoDBRecord } from 'aws-lambda';
import { type AnnounceDependencies, announceRequest } from '../../functions/announce-request/announce.js';
import type { AuditEntry } from '../../functions/lib/audit.js';
import type { AuthorizationPolicy } from '../../functions/slack-ops/authorize.js';
import type { SlackMessage } from '../../functions/slack-ops/slack-ops.js';
import { environmentConfig, scalingLimits } from '../../infra/config.js';

const NOW = new Date('2026-12-01T20:00:00Z');
const ARN = 'arn:aws:sts::222222222222:assumed-role/Ops/alice';
const POLICY: AuthorizationPolicy = {
  teamId: 'T0',
  channels: ['C0'],
  operators: ['U0ALICE'],
  approvers: ['U0BOB'],
  commands: {},
  awsIdentities: { 'AROAOPS:alice': 'U0ALICE' },
};

let posted: SlackMessage[];
let audited: AuditEntry[];
let policy: AuthorizationPolicy;

const deps: AnnounceDependencies = {
  settings: { environment: 'production', limits: scalingLimits(environmentConfig('production')), fourEyesWorkflows: ['scaling-override', 'failover-drill'] },
  policy: async () => policy,
  post: async (message) => void posted.push(message),
  audit: async (entries) => void audited.push(...entries),
  now: () => NOW,
};

/** The stream record of a request the CLI (or anyone with the CLI's policy) wrote. */
function inserted(overrides: { id?: string; requestedBy?: string; commandText?: string; origin?: string; eventName?: 'INSERT' | 'MODIFY' } = {}): DynamoDBRecord {
  return {
    eventName: overrides.eventName ?? 'INSERT',
    dynamodb: {
      NewImage: {
        id: { S: `request#${overrides.id ?? 'AROAOPS:alice#a1b2c3d4e5f6'}` },
        commandText: { S: overrides.commandText ?? 'scale production backend 4 12 60 load test' },
        requestedBy: { S: overrides.requestedBy ?? 'U0ALICE' },
        origin: { S: overrides.origin ?? `cli:${ARN}` },
        status: { S: 'pending' },
        expiresAt: { N: String(NOW.getTime() / 1000 + 900) },
      },
    },
  };
}

const buttonValues = (message: SlackMessage | undefined) =>
  ((message?.blocks ?? []) as { elements?: { action_id: string; value: string }[] }[]).flatMap((block) => block.elements ?? []).map((e) => `${e.action_id}=${e.value}`);

beforeEach(() => {
  posted = [];
  audited = [];
  policy = POLICY;
});

describe('putting a CLI request to the ops channel', () => {
  it('posts Approve/Deny for the recorded request, built from the record, and audits the request', async () => {
    // Act
    const outcome = await announceRequest(inserted(), deps);

    // Assess
    expect(outcome).toBe('announced');
    expect(posted[0]?.text).toBe('<@U0ALICE> asks to scale backend in production to min 4, max 12 for 60 min (load test). A second person must approve within 15 min.');
    expect(buttonValues(posted[0])).toEqual(['approve=AROAOPS:alice#a1b2c3d4e5f6', 'deny=AROAOPS:alice#a1b2c3d4e5f6']);
    expect(audited).toEqual([
      {
        at: NOW.toISOString(),
        environment: 'production',
        what: 'request',
        who: 'U0ALICE',
        from: `cli:${ARN}`,
        action: 'asks to scale backend in production to min 4, max 12 for 60 min (load test)',
        approvalId: 'AROAOPS:alice#a1b2c3d4e5f6',
        detail: 'from the CLI as AWS user id AROAOPS:alice',
      },
    ]);
  });

  it.each([
    ['from an AWS identity the parameter does not map', { id: 'AROAOPS:mallory#a1b2c3d4e5f6', requestedBy: 'U0ALICE' }, 'The AWS identity AROAOPS:mallory is not mapped'],
    ['naming a person other than the one its identity maps to', { requestedBy: 'U0BOB' }, 'The request names U0BOB but was made by the AWS identity of U0ALICE.'],
    ['for a command that needs no approval', { commandText: 'verify-backups production' }, 'needs no approval here'],
    ['for a command that does not parse', { commandText: 'scale production backend 4 99 60 x' }, 'max must be at most 20 for backend'],
  ])('refuses a request %s: no buttons, a refusal in the trail and the channel', async (_case, overrides, reason) => {
    // Act
    const outcome = await announceRequest(inserted(overrides), deps);

    // Assess
    expect(outcome).toBe('refused');
    expect(buttonValues(posted[0])).toEqual([]);
    expect(posted[0]?.text).toContain(reason);
    expect(audited).toEqual([expect.objectContaining({ what: 'refusal', detail: expect.stringContaining(reason) })]);
  });

  it('refuses a request from a person the roster no longer lets run the command', async () => {
    // Prepare
    policy = { ...POLICY, operators: [] };

    // Act
    const outcome = await announceRequest(inserted(), deps);

    // Assess
    expect(outcome).toBe('refused');
    expect(audited[0]).toMatchObject({ what: 'refusal', who: 'U0ALICE', detail: '<@U0ALICE> is not authorized to run `scale` here. Ask the platform team to add you.' });
  });

  it.each([
    ['a request the Slack ingress recorded', inserted({ id: '0123456789abcdef', origin: 'slack:T0/C0' })],
    ['a change to a request', inserted({ eventName: 'MODIFY' })],
  ])('leaves %s alone', async (_case, record) => {
    // Act
    const outcome = await announceRequest(record, deps);

    // Assess
    expect(outcome).toBe('ignored');
    expect(posted).toEqual([]);
    expect(audited).toEqual([]);
  });

  it('fails when Slack refuses the post, so the stream delivers the request again', async () => {
    // Act
    const announcing = announceRequest(inserted(), { ...deps, post: async () => Promise.reject(new Error('Slack response_url answered 500: oops')) });

    // Assess
    await expect(announcing).rejects.toThrow('Slack response_url answered 500');
    expect(audited).toEqual([]);
  });
});
