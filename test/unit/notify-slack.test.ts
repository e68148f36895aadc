import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import alarmEvent from '../../events/sns-alarm-alarm.json';
import insufficientEvent from '../../events/sns-alarm-insufficient-data.json';
import okEvent from '../../events/sns-alarm-ok.json';
import ecsDeployEvent from '../../events/sns-ecs-deployment-failed.json';
import ecsTaskEvent from '../../events/sns-ecs-task-stopped.json';
import opsFailureEvent from '../../events/sns-ops-result-failure.json';
import opsSuccessEvent from '../../events/sns-ops-result-success.json';
import rdsBackupEvent from '../../events/sns-rds-backup.json';
import rdsFailoverEvent from '../../events/sns-rds-failover.json';
import unknownEvent from '../../events/sns-unknown.json';
import { FlapTracker, decide } from '../../functions/notify-slack/flap-tracker.js';
import { channelOf, formatNotification, severityOf, type SlackPayload } from '../../functions/notify-slack/format.js';
import { classify } from '../../functions/notify-slack/messages.js';
import { notifySlack } from '../../functions/notify-slack/notify.js';
import { SlackWebhookRejected, postToWebhook } from '../../functions/notify-slack/slack-poster.js';

const ddb = mockClient(DynamoDBClient);
const messageOf = (event: { Records: { Sns: { Message: string; Subject?: string | null } }[] }) => event.Records[0]!.Sns;
const render = (event: { Records: { Sns: { Message: string; Subject?: string | null } }[] }, suppressedChanges = 0) => {
  const sns = messageOf(event);
  const notification = classify(sns.Message, sns.Subject ?? undefined);
  const severity = severityOf(notification);
  return { notification, severity, channel: channelOf(notification, severity), payload: formatNotification(notification, severity, { region: 'us-east-1', suppressedChanges }) };
};
const textOf = (payload: SlackPayload) => JSON.stringify(payload.attachments[0]?.blocks);

beforeEach(() => ddb.reset());

describe('Block Kit messages', () => {
  it('turns a production ALARM into a red incidents message with metric, threshold, current value, since and a console link', () => {
    // Act
    const { severity, channel, payload } = render(alarmEvent);

    // Assess
    expect(severity).toBe('critical');
    expect(channel).toBe('incidents');
    expect(payload.text).toBe(':rotating_light: ALARM: financehub-production-backend-high-cpu');
    expect(payload.attachments[0]?.color).toBe('#d0021b');
    const text = textOf(payload);
    expect(text).toContain('*Environment*\\nproduction');
    expect(text).toContain('*Metric*\\nAWS/ECS CPUUtilization');
    expect(text).toContain('*Threshold*\\nGreaterThanThreshold 80');
    expect(text).toContain('*Current value*\\n91.2');
    expect(text).toContain('*Since*\\n2026-11-24T03:05:12.345+0000');
    expect(text).toContain('https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/financehub-production-backend-high-cpu');
    expect(text).toContain('*How to undo:*');
  });

  it('posts OK after ALARM as resolved, in green, in the same channel as the production alarm', () => {
    // Act
    const { severity, channel, payload } = render(okEvent);

    // Assess
    expect(severity).toBe('resolved');
    expect(channel).toBe('incidents');
    expect(payload.text).toBe(':white_check_mark: Resolved: financehub-production-backend-high-cpu');
    expect(payload.attachments[0]?.color).toBe('#2eb67d');
  });

  it('sends INSUFFICIENT_DATA of staging to the ops channel as a warning', () => {
    // Act
    const { severity, channel, payload } = render(insufficientEvent);

    // Assess
    expect([severity, channel]).toEqual(['warning', 'ops']);
    expect(payload.text).toContain('No data: financehub-staging-worker-high-memory');
  });

  it('reports how often a flapping alarm changed since the last post', () => {
    // Act
    const { payload } = render(alarmEvent, 3);

    // Assess
    expect(textOf(payload)).toContain('changed state 3 more time(s) since the last post (flapping)');
  });

  it.each([
    ['a production failover', rdsFailoverEvent, 'critical', 'incidents', 'RDS-EVENT-0049', 'a failover is not undone'],
    ['a finished backup', rdsBackupEvent, 'warning', 'ops', 'RDS-EVENT-0002', 'nothing to undo'],
  ])('formats %s RDS event with its code and what to do', (_case, event, severity, channel, code, undo) => {
    // Act
    const rendered = render(event);

    // Assess
    expect(rendered.notification.kind).toBe('rds');
    expect([rendered.severity, rendered.channel]).toEqual([severity, channel]);
    expect(textOf(rendered.payload)).toContain(code);
    expect(textOf(rendered.payload)).toContain(undo);
  });

  it('says the circuit breaker rolled back a failed ECS deployment', () => {
    // Act
    const { notification, payload } = render(ecsDeployEvent);

    // Assess
    expect(notification.kind).toBe('ecs');
    expect(payload.text).toContain('Deployment failed: financehub-production-backend');
    expect(textOf(payload)).toContain('circuit breaker rolled the service back');
  });

  it('names the container and exit code of a stopped task', () => {
    // Act
    const { payload } = render(ecsTaskEvent);

    // Assess
    expect(payload.text).toContain('Task stopped: financehub-production-worker');
    expect(textOf(payload)).toContain('exit 137: OutOfMemoryError');
  });

  it('formats a workflow result with its measurements against targets, actions, undo and report', () => {
    // Act
    const { severity, channel, payload } = render(opsSuccessEvent);

    // Assess
    expect([severity, channel]).toEqual(['info', 'ops']);
    const text = textOf(payload);
    expect(text).toContain('• RTO: *38.2 min* (target 240 min) :white_check_mark:');
    expect(text).toContain('• Deleted financehub-production-drill-20261101-0300');
    expect(text).toContain('*How to undo:* Nothing to undo: the temporary instance was deleted.');
    expect(text).toContain('|Report>');
  });

  it('links the report and the execution to console pages a browser opens, never an s3:// URL', () => {
    // Act
    const { payload } = render(opsSuccessEvent);

    // Assess
    const text = textOf(payload);
    expect(text).toContain(
      '<https://s3.console.aws.amazon.com/s3/object/financehub-production-backups-222222222222?region=us-east-1&prefix=drills%2Frestore-drill%2F2026-11-01T03-00-00Z.html|Report>',
    );
    expect(text).toContain(
      '<https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/arn%3Aaws%3Astates%3Aus-east-1%3A222222222222%3Aexecution%3Afinancehub-production-restore-drill%3Ascheduled-2026-11-01|Execution in the console>',
    );
    expect(text).not.toContain('<s3://');
  });

  it('turns runbook paths into links to the configured repository', () => {
    // Prepare
    const sns = messageOf(alarmEvent);
    const notification = classify(sns.Message, sns.Subject ?? undefined);
    const runbooksUrl = 'https://github.com/financehub/financehub-ops/blob/main/docs/runbooks';

    // Act
    const payload = formatNotification(notification, severityOf(notification), { region: 'us-east-1', runbooksUrl });

    // Assess
    expect(textOf(payload)).toContain('<https://github.com/financehub/financehub-ops/blob/main/docs/runbooks/alarm-remediation.md#high-cpu|runbook alarm-remediation>');
    expect(textOf(payload)).not.toMatch(/[^/]docs\/runbooks\/alarm-remediation\.md/);
  });

  it('sends a failed drill to the incidents channel with the exact command to remove the orphan', () => {
    // Act
    const { severity, channel, payload } = render(opsFailureEvent);

    // Assess
    expect([severity, channel]).toEqual(['critical', 'incidents']);
    expect(textOf(payload)).toContain('aws rds delete-db-instance --db-instance-identifier financehub-production-drill-20261101-0300');
  });

  it.each([
    ['an unknown message', unknownEvent.Records[0]!.Sns.Message, 'Deploy notice', 'Deployment 2026.11.24-3'],
    ['a JSON message of no known shape', '{"hello":"world"}', undefined, '{\\"hello\\":\\"world\\"}'],
  ])('still delivers %s as readable text', (_case, message, subject, expected) => {
    // Act
    const notification = classify(message, subject);
    const payload = formatNotification(notification, severityOf(notification), { region: 'us-east-1' });

    // Assess
    expect(notification.kind).toBe('text');
    expect(textOf(payload)).toContain(expected);
  });
});

describe('flap control', () => {
  const window = 15 * 60_000;
  const fresh = { suppressed: 0, version: 0 };

  it('posts the first ALARM, counts a second one inside the window, and posts again after it with the count', () => {
    // Act
    const first = decide(fresh, 'ALARM', 0, window);
    const ok = decide(first.next, 'OK', 60_000, window);
    const again = decide(ok.next, 'ALARM', 120_000, window);
    const okAgain = decide(again.next, 'OK', 180_000, window);
    const later = decide(okAgain.next, 'ALARM', window + 1, window);

    // Assess
    expect([first.decision.post, ok.decision.post, again.decision.post, okAgain.decision.post, later.decision.post]).toEqual([true, true, false, false, true]);
    expect(later.decision.suppressedChanges).toBe(2);
    expect(later.next.suppressed).toBe(0);
  });

  it('does not post OK for an alarm whose ALARM was never posted', () => {
    // Act
    const { decision } = decide(fresh, 'OK', 0, window);

    // Assess
    expect(decision.post).toBe(false);
  });

  it('stores the decision with optimistic concurrency and decides again after losing a race', async () => {
    // Prepare
    ddb
      .on(GetItemCommand)
      .resolvesOnce({})
      .resolves({ Item: { id: { S: 'alarm#a' }, lastPostedState: { S: 'ALARM' }, lastAlarmPostedAt: { N: '0' }, suppressed: { N: '0' }, version: { N: '1' } } });
    ddb.on(PutItemCommand).rejectsOnce(new ConditionalCheckFailedException({ message: 'raced', $metadata: {} })).resolves({});
    const tracker = new FlapTracker(new DynamoDBClient({}), 'notify', window);

    // Act
    const decision = await tracker.record('a', 'ALARM', 1000);

    // Assess
    expect(decision.post).toBe(false);
    const puts = ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    expect(puts[0]?.ConditionExpression).toBe('attribute_not_exists(id)');
    expect(puts[1]?.ConditionExpression).toBe('version = :seen');
    expect(puts[1]?.Item?.suppressed).toEqual({ N: '1' });
  });
});

describe('posting to Slack', () => {
  const response = (status: number, headers: Record<string, string> = {}) => ({
    ok: status < 300,
    status,
    headers: { get: (name: string) => headers[name.toLowerCase()] ?? null },
    text: async () => (status < 300 ? 'ok' : 'error'),
  });

  it('waits as long as Retry-After says after a 429, then succeeds', async () => {
    // Prepare
    const answers = [response(429, { 'retry-after': '7' }), response(200)];
    const waits: number[] = [];

    // Act
    const attempts = await postToWebhook('https://hooks.slack.com/services/x', { text: 'hi' }, {
      fetch: async () => answers.shift()!,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });

    // Assess
    expect(attempts).toBe(2);
    expect(waits).toEqual([7000]);
  });

  it('backs off exponentially on 5xx and gives up after the last attempt', async () => {
    // Prepare
    const waits: number[] = [];

    // Act
    const post = postToWebhook('https://hooks.slack.com/services/x', {}, {
      fetch: async () => response(503),
      sleep: async (ms) => {
        waits.push(ms);
      },
      maxAttempts: 4,
    });

    // Assess
    await expect(post).rejects.toThrow('Slack answered 503');
    expect(waits).toEqual([1000, 2000, 4000]);
  });

  it('fails at once, without retrying, when Slack rejects the webhook', async () => {
    // Prepare
    let calls = 0;

    // Act
    const post = postToWebhook('https://hooks.slack.com/services/x', {}, {
      fetch: async () => {
        calls += 1;
        return response(404);
      },
      sleep: async () => undefined,
    });

    // Assess
    await expect(post).rejects.toBeInstanceOf(SlackWebhookRejected);
    expect(calls).toBe(1);
  });
});

describe('notifySlack', () => {
  const deps = (posted: { url: string; payload: SlackPayload }[], fail = false) => ({
    tracker: new FlapTracker(new DynamoDBClient({}), 'notify', 15 * 60_000),
    webhooks: async () => ({ ops: 'https://hooks.slack.com/ops', incidents: 'https://hooks.slack.com/incidents' }),
    post: async (url: string, payload: SlackPayload) => {
      if (fail) throw new SlackWebhookRejected(404, 'no_service');
      posted.push({ url, payload });
      return 1;
    },
    now: () => 1_000_000,
    region: 'us-east-1',
  });

  it('routes each record to its channel and remembers what it posted', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand).resolves({});
    const posted: { url: string; payload: SlackPayload }[] = [];
    const records = [...(alarmEvent as SNSEvent).Records, ...(opsSuccessEvent as SNSEvent).Records];

    // Act
    const outcomes = await notifySlack(records, deps(posted));

    // Assess
    expect(outcomes.map((o) => [o.kind, o.outcome, o.channel])).toEqual([
      ['alarm', 'posted', 'incidents'],
      ['ops-result', 'posted', 'ops'],
    ]);
    expect(posted.map((p) => p.url)).toEqual(['https://hooks.slack.com/incidents', 'https://hooks.slack.com/ops']);
    const marks = ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input.Item?.id?.S);
    expect(marks).toEqual(expect.arrayContaining(['posted#b3a1c2d4-0001-4e5f-8a9b-000000000001', 'posted#ops-ok-1']));
  });

  it('skips a record a retried invocation already posted', async () => {
    // Prepare
    ddb.on(GetItemCommand, { Key: { id: { S: 'posted#ops-ok-1' } } }).resolves({ Item: { id: { S: 'posted#ops-ok-1' } } });
    const posted: { url: string; payload: SlackPayload }[] = [];

    // Act
    const outcomes = await notifySlack((opsSuccessEvent as SNSEvent).Records, deps(posted));

    // Assess
    expect(outcomes[0]?.outcome).toBe('already-posted');
    expect(posted).toHaveLength(0);
  });

  it('delivers a malformed SNS record as readable text instead of throwing', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand).resolves({});
    const posted: { url: string; payload: SlackPayload }[] = [];

    // Act
    const outcomes = await notifySlack([{ EventSource: 'aws:sns', bogus: true } as never], deps(posted));

    // Assess
    expect(outcomes[0]?.outcome).toBe('posted');
    expect(posted[0]?.payload.text).toContain('Malformed SNS record');
    expect(textOf(posted[0]!.payload)).toContain('bogus');
  });

  it('reports a rejected post as failed without losing the rest', async () => {
    // Prepare
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand).resolves({});

    // Act
    const outcomes = await notifySlack((opsFailureEvent as SNSEvent).Records, deps([], true));

    // Assess
    expect(outcomes[0]?.outcome).toBe('failed');
    expect(outcomes[0]?.error).toBeInstanceOf(SlackWebhookRejected);
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
  });
});
