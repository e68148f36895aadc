import { createHmac, timingSafeEqual } from 'node:crypto';

/** A request that is not from Slack, or too old to trust. It changes nothing. */
export class SlackRequestRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlackRequestRejected';
  }
}

export interface SignedRequest {
  readonly rawBody: string;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
}

export interface VerifyOptions {
  readonly signingSecret: string;
  readonly nowSeconds: number;
  /** Slack's guidance: reject anything older than five minutes, which also stops replays. */
  readonly toleranceSeconds?: number;
}

/** Slack's v0 signing scheme: HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the app's signing secret. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

export function verifySlackSignature(request: SignedRequest, options: VerifyOptions): void {
  const { timestamp, signature } = request;
  if (!timestamp || !signature) throw new SlackRequestRejected('Missing Slack signature headers');
  if (!/^\d{1,12}$/.test(timestamp)) throw new SlackRequestRejected('Malformed Slack request timestamp');
  const age = Math.abs(options.nowSeconds - Number(timestamp));
  if (age > (options.toleranceSeconds ?? 300)) {
    throw new SlackRequestRejected(`Slack request timestamp is ${age} s away from now (limit 300 s)`);
  }
  const expected = Buffer.from(slackSignature(options.signingSecret, timestamp, request.rawBody));
  const received = Buffer.from(signature);
  if (expected.length !== received.length || !timingSafeEqual(expected, received)) {
    throw new SlackRequestRejected('Slack signature does not match');
  }
}
