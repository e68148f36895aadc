import type { SNSEventRecord } from 'aws-lambda';
import type { FlapTracker } from './flap-tracker.js';
import { type Channel, channelOf, formatNotification, type SlackPayload, severityOf } from './format.js';
import { type Notification, classify } from './messages.js';

export interface Webhooks {
  readonly ops: string;
  readonly incidents: string;
}

export interface NotifyDeps {
  readonly tracker: FlapTracker;
  readonly webhooks: () => Promise<Webhooks>;
  readonly post: (url: string, payload: SlackPayload) => Promise<number>;
  readonly now: () => number;
  readonly region: string;
  /** https base of the runbooks; runbook paths in messages become links to it. */
  readonly runbooksUrl?: string;
}

export interface RecordOutcome {
  readonly messageId: string;
  readonly kind: Notification['kind'];
  readonly outcome: 'posted' | 'suppressed' | 'already-posted' | 'failed';
  readonly channel?: Channel;
  readonly error?: Error;
}

/** A record that is not a well-formed SNS notification still reaches Slack, as the text we received. */
function messageOf(record: SNSEventRecord): { messageId: string; message: string; subject?: string } {
  const sns = (record as Partial<SNSEventRecord>).Sns;
  if (!sns || typeof sns.Message !== 'string') {
    return { messageId: `malformed-${JSON.stringify(record).length}-${Date.now()}`, message: JSON.stringify(record).slice(0, 2000), subject: 'Malformed SNS record' };
  }
  return { messageId: sns.MessageId ?? `unknown-${Date.now()}`, message: sns.Message, subject: sns.Subject ?? undefined };
}

/** Posts every record of an SNS event to the right channel; a failed record is reported, the others still go out. */
export async function notifySlack(records: readonly SNSEventRecord[], deps: NotifyDeps): Promise<RecordOutcome[]> {
  const outcomes: RecordOutcome[] = [];
  for (const record of records) {
    const { messageId, message, subject } = messageOf(record);
    const notification = classify(message, subject);
    try {
      if (await deps.tracker.alreadyPosted(messageId)) {
        outcomes.push({ messageId, kind: notification.kind, outcome: 'already-posted' });
        continue;
      }
      let suppressedChanges = 0;
      if (notification.kind === 'alarm') {
        const decision = await deps.tracker.record(notification.alarm.AlarmName, notification.alarm.NewStateValue, deps.now());
        if (!decision.post) {
          outcomes.push({ messageId, kind: notification.kind, outcome: 'suppressed' });
          continue;
        }
        suppressedChanges = decision.suppressedChanges;
      }
      const severity = severityOf(notification);
      const channel = channelOf(notification, severity);
      const webhooks = await deps.webhooks();
      await deps.post(webhooks[channel], formatNotification(notification, severity, { region: deps.region, runbooksUrl: deps.runbooksUrl, suppressedChanges }));
      await deps.tracker.markPosted(messageId, deps.now());
      outcomes.push({ messageId, kind: notification.kind, outcome: 'posted', channel });
    } catch (error) {
      outcomes.push({ messageId, kind: notification.kind, outcome: 'failed', error: error instanceof Error ? error : new Error(String(error)) });
    }
  }
  return outcomes;
}
