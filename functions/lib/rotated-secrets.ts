import * as z from 'zod';
import { envField } from './env.js';

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
} as const;

export type SecretKind = keyof typeof SECRET_KINDS;

export const secretKindSchema = z.enum(Object.keys(SECRET_KINDS) as [SecretKind, ...SecretKind[]]);

export const rotatedSecretSchema = z.object({
  secretArn: z.string().startsWith('arn:'),
  kind: secretKindSchema,
  /** The services that read the secret at start and so restart after its rotation; none for the master. */
  services: z.array(z.string().min(1)),
});

export type RotatedSecret = z.infer<typeof rotatedSecretSchema>;

/** `ROTATED_SECRETS` as the ops stack writes it: a JSON array of RotatedSecret. */
export const rotatedSecretsField = envField.json.pipe(z.array(rotatedSecretSchema).min(1));
