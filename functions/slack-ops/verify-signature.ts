import { createHmac, timingSafeEqual } from 'node:crypto';

/** A request that is not from Slack, or too old to trust. It changes nothing. */
export class SlackRequestRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlackRequestRejected';
  }
}

/** The request is fresh and signed, but with none of the given secrets. */
export class SignatureMismatch extends SlackRequestRejected {
  constructor() {
    super('Slack signature does not match');
    this.name = 'SignatureMismatch';
  }
}

export interface SignedRequest {
  readonly rawBody: string;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
}

export interface VerifyOptions {
  /** The secrets a genuine request may be signed with: AWSCURRENT, and AWSPENDING while a rotation is open. */
  readonly signingSecrets: readonly string[];
  readonly nowSeconds: number;
  /** Slack's guidance: reject anything older than five minutes, which also stops replays. */
  readonly toleranceSeconds?: number;
}

/** Slack's v0 signing scheme: HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the app's signing secret. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/** Refuses (throws) a request that is not signed by Slack with one of the secrets within the time window. */
export function verifySlackSignature(request: SignedRequest, options: VerifyOptions): void {
  const { timestamp, signature } = request;
  if (!timestamp || !signature) throw new SlackRequestRejected('Missing Slack signature headers');
  if (!/^\d{1,12}$/.test(timestamp)) throw new SlackRequestRejected('Malformed Slack request timestamp');
  const age = Math.abs(options.nowSeconds - Number(timestamp));
  if (age > (options.toleranceSeconds ?? 300)) {
    throw new SlackRequestRejected(`Slack request timestamp is ${age} s away from now (limit 300 s)`);
  }
  const received = Buffer.from(signature);
  // Every secret is compared (no early return), each in constant time.
  const matches = options.signingSecrets.map((secret) => {
    const expected = Buffer.from(slackSignature(secret, timestamp, request.rawBody));
    return expected.length === received.length && timingSafeEqual(expected, received);
  });
  if (!matches.includes(true)) throw new SignatureMismatch();
}
