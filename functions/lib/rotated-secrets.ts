import * as z from 'zod';
import { envField } from './env.js';
import type { OwnerKind } from './owner-secrets.js';

/**
 * The secrets a function rotates, each with what follows its rotation. One description per kind, shared by the
 * rotation-events ingress (which starts the restart) and the post-rotation report (which tells the on-call).
 */
export const SECRET_KINDS = {
  'database-app': {
    label: 'the database application credentials',
    rotatedBy: 'rotate-db-credentials',
    strategy: 'alternating users',
    /** Old credentials stay valid until the next rotation, so moving AWSCURRENT back is a complete rollback. */
    rollback:
      'The previous credentials stay valid until the next rotation. To roll back, move AWSCURRENT back (aws secretsmanager update-secret-version-stage --version-stage AWSCURRENT --move-to-version-id <previous> --remove-from-version-id <current>) and restart the services.',
  },
  'database-master': {
    label: 'the database master credentials',
    rotatedBy: 'rotate-db-credentials',
    strategy: 'single user',
    rollback:
      'The previous master password no longer logs in, so moving AWSCURRENT back would break the drills and the application user\'s rotation. If the new one is suspect, rotate again: aws secretsmanager rotate-secret --secret-id <secret>.',
  },
  'redis-auth': {
    label: 'the Redis AUTH token',
    rotatedBy: 'rotate-redis-auth',
    strategy: 'ElastiCache ROTATE, restart, then SET',
    rollback:
      'Until the previous token is revoked both tokens are valid; afterwards only the new one is. To go back to a token, store it as a new version and rotate: aws secretsmanager rotate-secret --secret-id <secret>.',
  },
  'django-secret-key': {
    label: 'the Django SECRET_KEY',
    rotatedBy: 'rotate-django-secret-key',
    strategy: 'new key current, previous keys in SECRET_KEY_FALLBACKS until sessions expire',
    rollback:
      'Sessions and signed links made with the previous key stay valid (it is in SECRET_KEY_FALLBACKS). To roll back, move AWSCURRENT back (aws secretsmanager update-secret-version-stage) and restart the services.',
  },
  'api-key': {
    label: 'the third-party API keys',
    rotatedBy: 'rotate-owner-secret',
    strategy: 'new value made at the issuer by its owner, stored as AWSPENDING, checked as configured before promotion',
    rollback:
      'The previous value is AWSPREVIOUS and stays valid at the issuer until its owner revokes it there. To roll back before that, move AWSCURRENT back (aws secretsmanager update-secret-version-stage --secret-id <secret> --version-stage AWSCURRENT --move-to-version-id <previous> --remove-from-version-id <current>) and restart the services.',
  },
  'oauth-token': {
    label: 'the OAuth client secrets and tokens',
    rotatedBy: 'rotate-owner-secret',
    strategy: 'new value made at the issuer by its owner, stored as AWSPENDING, checked as configured before promotion',
    rollback:
      'The previous value is AWSPREVIOUS and stays valid at the issuer until its owner revokes it there. To roll back before that, move AWSCURRENT back (aws secretsmanager update-secret-version-stage --secret-id <secret> --version-stage AWSCURRENT --move-to-version-id <previous> --remove-from-version-id <current>) and restart the services.',
  },
  'slack-bot-token': {
    label: 'the Slack bot token',
    rotatedBy: 'rotate-owner-secret',
    strategy: 'new token issued at Slack by its owner, stored as AWSPENDING, proven by auth.test (ok for the workspace) before promotion',
    rollback:
      'The previous token is AWSPREVIOUS; it works only while Slack has not revoked it. To roll back while it still works, move AWSCURRENT back (aws secretsmanager update-secret-version-stage --secret-id <secret> --version-stage AWSCURRENT --move-to-version-id <previous> --remove-from-version-id <current>); the ops functions read it again within 5 minutes.',
  },
  'slack-signing-secret': {
    label: 'the Slack signing secret',
    rotatedBy: 'rotate-owner-secret',
    strategy: 'regenerated at Slack by its owner, stored as AWSPENDING (/ops accepts AWSCURRENT or AWSPENDING meanwhile), promoted without a probe (Slack offers none)',
    rollback:
      'Slack signs only with the new secret, so moving AWSCURRENT back would make /ops refuse every request. If the new one is suspect, regenerate it at Slack and rotate again: aws secretsmanager rotate-secret --secret-id <secret>.',
  },
} as const;

export type SecretKind = keyof typeof SECRET_KINDS;

/** The kinds a function mints a value for; the others' new value comes from their owner. */
export type MintedKind = Exclude<SecretKind, OwnerKind>;

export const isMinted = (kind: SecretKind): kind is MintedKind => SECRET_KINDS[kind].rotatedBy !== 'rotate-owner-secret';

/**
 * The rotation events the rotation-events ingress receives: every outcome of a minted secret, only the success of an
 * owner's (its rotation fails on purpose until the owner acts, and rotate-owner-secret reports its own refusals).
 */
export const INGRESS_EVENTS = {
  minted: ['RotationSucceeded', 'RotationFailed', 'RotationAbandoned'],
  owner: ['RotationSucceeded'],
} as const;

/**
 * What is in place after a rotation failed at each step, for each minted kind: true whatever the failed step had done
 * before it failed (a step may time out after its work). `{pending}` and `{current}` are the version ids read back.
 */
export const FAILED_ROTATION_STATE: Record<MintedKind, Record<'setSecret' | 'testSecret' | 'finishSecret', string>> = {
  'database-app': {
    setSecret: 'setSecret failed before it confirmed the change: the alternate database user may or may not have the AWSPENDING password yet. Nobody logs in as it until the rotation completes; AWSCURRENT (version {current}) still logs in, and the services were not touched.',
    testSecret: 'setSecret completed: the alternate database user has the AWSPENDING password, and testSecret refused it. AWSCURRENT (version {current}) still logs in, and the services were not touched.',
    finishSecret: 'AWSPENDING (version {pending}) holds new credentials that passed testSecret; AWSCURRENT is still version {current}, the previous credentials, which still log in. The services were not touched.',
  },
  'database-master': {
    setSecret: 'setSecret failed before it confirmed the change: the database may or may not use the AWSPENDING master password already. The ops functions log in with whichever of AWSCURRENT (version {current}), AWSPENDING and AWSPREVIOUS works, so the drills and the application user\'s rotation keep working.',
    testSecret: 'setSecret completed: the database uses the AWSPENDING master password (version {pending}), so AWSCURRENT (version {current}) no longer logs in as the master, and testSecret refused the new one. The ops functions log in with AWSPENDING until the rotation completes. Do not remove AWSPENDING: the database accepts only its password.',
    finishSecret: 'AWSPENDING (version {pending}) holds the new master password, which the database uses and testSecret verified; AWSCURRENT is still version {current}, whose password no longer logs in. The ops functions log in with AWSPENDING until the rotation completes. Do not remove AWSPENDING: the database accepts only its password.',
  },
  'redis-auth': {
    setSecret: 'setSecret failed before it confirmed the change: ElastiCache may or may not accept the AWSPENDING token beside the current one (ROTATE). The current token (AWSCURRENT, version {current}) stays valid either way; nothing was revoked and the services were not touched.',
    testSecret: 'setSecret completed (ElastiCache took the ROTATE of the AWSPENDING token), but testSecret could not confirm that ElastiCache applied it: the AWSPENDING token may or may not be valid. The current token (AWSCURRENT, version {current}) stays valid; nothing was revoked and the services were not touched.',
    finishSecret: 'AWSPENDING (version {pending}) holds the new token, which ElastiCache accepts beside the current one (testSecret verified it); AWSCURRENT is still version {current}. Both tokens stay valid; nothing was revoked and the services were not touched.',
  },
  'django-secret-key': {
    setSecret: 'Nothing outside Secrets Manager holds the key (setSecret sets nothing): the services still sign with AWSCURRENT (version {current}) and were not touched.',
    testSecret: 'testSecret refused the AWSPENDING keys (version {pending}); the services still sign with AWSCURRENT (version {current}) and were not touched.',
    finishSecret: 'AWSPENDING (version {pending}) holds a tested new SECRET_KEY with the current one as a fallback; AWSCURRENT is still version {current}, which the services still sign with. They were not touched.',
  },
};

export const secretKindSchema = z.enum(Object.keys(SECRET_KINDS) as [SecretKind, ...SecretKind[]]);

export const rotatedSecretSchema = z.object({
  secretArn: z.string().startsWith('arn:'),
  kind: secretKindSchema,
  /** The services that read the secret at start and so restart after its rotation; none for the master and the Slack secrets. */
  services: z.array(z.string().min(1)),
  /** When no service restarts: who reads the secret, and how they come to use the new value, as the report says it. */
  readers: z.string().min(1).optional(),
});

export type RotatedSecret = z.infer<typeof rotatedSecretSchema>;

/** `ROTATED_SECRETS` as the ops stack writes it: a JSON array of RotatedSecret. */
export const rotatedSecretsField = z.pipe(envField.json, z.array(rotatedSecretSchema).min(1));
