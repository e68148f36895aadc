import * as z from 'zod';
import { envField } from './env.js';

/**
 * Third-party credentials no function can mint (API keys, OAuth client secrets and tokens): their owner makes the new
 * value at the issuer and stores it as AWSPENDING (`fhops secret put`); the rotation function checks it and promotes
 * it. One declaration per secret (infra/config.ts), read by the rotation function, the age audit and the CLI.
 */

/** How the test step proves a new value works before it becomes AWSCURRENT. */
export const ownerSecretCheckSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('https'),
    /** An endpoint of the issuer that answers `expectedStatus` only to a valid credential. */
    url: z.url({ protocol: /^https$/, error: 'check.url must be an https URL' }),
    method: z.enum(['GET', 'POST']).default('GET'),
    expectedStatus: z.number().int().min(100).max(599),
    /** The header the credential travels in, and the scheme before it (`Bearer <key>`); no scheme sends the key alone. */
    header: z.string().regex(/^[A-Za-z0-9-]+$/, 'check.header must be an HTTP header name'),
    scheme: z.string().regex(/^[A-Za-z0-9-]+$/).optional(),
    /** The field of the secret's JSON document holding the credential sent; none sends the whole value. */
    field: z.string().min(1).optional(),
    timeoutSeconds: z.number().int().positive().max(60).default(10),
  }),
  z.object({
    /**
     * Slack's auth.test with the new bot token: Slack answers HTTP 200 to a bad token too (`{"ok":false,"error":"invalid_auth"}`),
     * so only `ok: true` for this workspace (team) proves it.
     */
    type: z.literal('slack-auth-test'),
    /** The Slack workspace (team) id the token must belong to. */
    teamId: z.string().regex(/^T[A-Z0-9]{2,20}$/, 'check.teamId must be a Slack team id such as T01ABCDEF'),
    /** The field of the secret's JSON document holding the bot token. */
    field: z.string().min(1),
    timeoutSeconds: z.number().int().positive().max(60).default(10),
  }),
  z.object({
    type: z.literal('none'),
    /** Why nothing can be probed, as the runbook and the rotation request say it. */
    reason: z.string().min(10, 'check.reason must say why the value cannot be probed'),
  }),
]);

export type OwnerSecretCheck = z.infer<typeof ownerSecretCheckSchema>;
export type OwnerSecretCheckInput = z.input<typeof ownerSecretCheckSchema>;

/** Slack's Web API method that names the workspace and app a token belongs to (https://docs.slack.dev/reference/methods/auth.test). */
export const SLACK_AUTH_TEST_URL = 'https://slack.com/api/auth.test';

const RESTARTED = 'the services restart (reported here)';
const READ_BY_OPS_FUNCTIONS = 'the ops functions that read it use it within 5 minutes; nothing restarts (reported here)';

/**
 * The kinds of secret their owner rotates, each with what the owner makes at the issuer, what follows the promotion,
 * and what they revoke after.
 */
export const OWNER_KINDS = {
  'api-key': { make: 'create a new API key', promoted: RESTARTED, revoke: 'after the restart is reported, revoke the old value at the issuer' },
  'oauth-token': { make: 'create a new OAuth credential', promoted: RESTARTED, revoke: 'after the restart is reported, revoke the old value at the issuer' },
  'slack-bot-token': {
    promoted: READ_BY_OPS_FUNCTIONS,
    make: 'get a new bot token (xoxb-...) for the app (OAuth & Permissions: reinstall; if Slack keeps the same token, revoke it first with auth.revoke and reinstall, and long runs are not followed up in Slack until the new one is stored) and store it with the other fields of the document unchanged',
    revoke: '5 minutes after it is reported rotated (the ops functions cache it that long), revoke the old token if it is still valid (POST https://slack.com/api/auth.revoke with it as the bearer token)',
  },
  'slack-signing-secret': {
    promoted: READ_BY_OPS_FUNCTIONS,
    make: 'have the command of step 2 ready, then regenerate the signing secret (Basic Information > App Credentials): Slack signs with the new one at once and /ops refuses requests until it is stored',
    revoke: 'nothing to revoke: Slack signs with the new secret only',
  },
} as const;

export type OwnerKind = keyof typeof OWNER_KINDS;

export const ownerSecretSchema = z.object({
  /** The name under the environment's prefix: `financehub-<env>/<name>`. */
  name: z.string().regex(/^[a-z0-9-]+$/, 'name must be lower-case letters, digits and dashes'),
  kind: z.enum(Object.keys(OWNER_KINDS) as [OwnerKind, ...OwnerKind[]]),
  /** Who rotates it at the issuer: a Slack member id (U..., mentioned) or a handle (@name, written out). */
  owner: z.string().regex(/^([UW][A-Z0-9]{2,}|@[a-z0-9._-]+)$/, 'owner must be a Slack member id (U...) or a handle (@name)'),
  /** Where the owner makes a new value: the issuer's console page. */
  issuer: z.string().min(1),
  check: ownerSecretCheckSchema,
});

export type OwnerSecret = z.infer<typeof ownerSecretSchema>;
export type OwnerSecretInput = z.input<typeof ownerSecretSchema>;

/** `OWNER_SECRETS` as the ops stack writes it: a JSON array of OwnerSecret with each secret's ARN. */
export const ownerSecretsField = z.pipe(envField.json, z.array(ownerSecretSchema.extend({ secretArn: z.string().startsWith('arn:') })).min(1));

/** Tags the rotation function keeps on a secret while it waits for its owner; the age audit reads them. */
export const ROTATION_TAGS = {
  owner: 'owner',
  requestedAt: 'rotation-requested-at',
  requestedVersion: 'rotation-requested-version',
} as const;

/** The command the owner runs, as the runbook and every message say it. */
export function putCommand(secret: { readonly name: string }, environment: string): string {
  return `fhops secret put ${secret.name} --env ${environment} < new-value.json`;
}

/** How Slack shows the owner: a member id becomes a mention that notifies them. */
export function mention(owner: string): string {
  return /^[UW]/.test(owner) ? `<@${owner}>` : owner;
}

/** Secrets Manager's limit on a secret string. */
const MAX_SECRET_BYTES = 65_536;

/**
 * Why a new value cannot replace the current one, or undefined when it can: not empty, within Secrets Manager's size,
 * new, and, when the current value is a JSON document (the services read it whole), a JSON document keeping every field
 * with a non-empty string, including the field the check sends. The message names the field, never a value.
 */
export function newValueProblem(value: string, current: string | undefined, secret: Pick<OwnerSecret, 'check'>): string | undefined {
  if (value.trim().length === 0) return 'the value is empty';
  if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_BYTES) return `the value is larger than Secrets Manager's ${MAX_SECRET_BYTES} bytes`;
  if (current !== undefined && value === current) return 'the value is the current one: make a new one at the issuer first';
  const currentDocument = current === undefined ? undefined : jsonObject(current);
  const field = secret.check.type === 'none' ? undefined : secret.check.field;
  if (currentDocument === undefined && field === undefined) return undefined;
  const document = jsonObject(value);
  if (!document) return 'the value is not a JSON object like the current one (the services read its fields)';
  const required = [...new Set([...Object.keys(currentDocument ?? {}), ...(field ? [field] : [])])];
  const missing = required.filter((key) => typeof document[key] !== 'string' || (document[key] as string).length === 0);
  if (missing.length > 0) return `field${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing or not a non-empty string`;
  return undefined;
}

/** The credential the check sends: the configured field of the document, or the whole value. */
export function credentialOf(value: string, check: Exclude<OwnerSecretCheck, { type: 'none' }>): string {
  if (!check.field) return value;
  const field = jsonObject(value)?.[check.field];
  if (typeof field !== 'string' || field.length === 0) throw new Error(`the value has no field ${check.field} to probe with`);
  return field;
}

function jsonObject(value: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(value) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
