import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import taskStoppedWithoutContainers from '../../events/sns-ecs-task-stopped-no-containers.json';
import { formatNotification, severityOf } from '../../functions/notify-slack/format.js';
import { classify } from '../../functions/notify-slack/messages.js';
import { blockKitProblems } from '../support/block-kit.js';

const EVENTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'events');

interface SnsSample {
  readonly Records: { readonly Sns: { readonly Message: string; readonly Subject?: string | null } }[];
}

const isSns = (sample: unknown): sample is SnsSample =>
  typeof sample === 'object' && sample !== null && Array.isArray((sample as SnsSample).Records) && (sample as SnsSample).Records.every((r) => r.Sns !== undefined);

/** The messages notify-slack posts for a sample: an SNS sample's records, anything else as if it arrived on the topic. */
function messagesFor(sample: unknown): unknown[] {
  const arrivals = isSns(sample) ? sample.Records.map((r) => ({ message: r.Sns.Message, subject: r.Sns.Subject ?? undefined })) : [{ message: JSON.stringify(sample), subject: undefined }];
  return arrivals.map(({ message, subject }) => {
    const notification = classify(message, subject);
    return formatNotification(notification, severityOf(notification), { region: 'us-east-1', suppressedChanges: 2, runbooksUrl: 'https://github.com/financehub/financehub-ops/blob/main/docs/runbooks' });
  });
}

const samples = readdirSync(EVENTS)
  .filter((file) => file.endsWith('.json'))
  .map((file) => [file, JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as unknown] as const);

describe('Block Kit messages within Slack’s limits', () => {
  it.each(samples)('formats %s as a message Slack accepts', (_file, sample) => {
    // Act
    const messages = messagesFor(sample);

    // Assess
    expect(messages.length).toBeGreaterThan(0);
    for (const message of messages) expect(blockKitProblems(message)).toEqual([]);
  });

  it('leaves the containers section out of a stopped task that had no containers, instead of an empty fields list', () => {
    // Act
    const [message] = messagesFor(taskStoppedWithoutContainers) as { attachments: { blocks: { type: string; fields?: unknown[] }[] }[] }[];

    // Assess
    expect(message?.attachments[0]?.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(JSON.stringify(message)).toContain('TaskFailedToStart');
  });

  it.each([
    ['an empty fields list', { text: 'x', blocks: [{ type: 'section', fields: [] }] }, 'blocks[0].fields: must be a non-empty list'],
    ['a section with neither text nor fields', { text: 'x', blocks: [{ type: 'section' }] }, 'blocks[0]: a section needs text or fields'],
    ['eleven fields', { text: 'x', blocks: [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'a' })) }] }, 'blocks[0].fields: 11 fields, Slack allows 10'],
    ['a 3001-character section', { text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'a'.repeat(3001) } }] }, 'blocks[0].text: 3001 characters, Slack allows 3000'],
    ['a mrkdwn header', { text: 'x', blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'a' } }] }, 'blocks[0].text: must be plain_text'],
    ['51 blocks', { text: 'x', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) }, 'blocks: 51 blocks, Slack allows 50'],
    ['no fallback text', { blocks: [{ type: 'divider' }] }, 'text: the fallback text must not be empty'],
  ])('refuses %s, as Slack does', (_what, message, problem) => {
    // Act
    const problems = blockKitProblems(message);

    // Assess
    expect(problems).toContain(problem);
  });
});
