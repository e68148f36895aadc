import { GetRandomPasswordCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { type RotationEvent, RotationError, pendingString, putPending, runRotationStep, secretStringAt } from '../lib/rotation-contract.js';

/**
 * The Django keys as the secret holds them, JSON the services read whole into DJANGO_SECRET_KEYS:
 * `SECRET_KEY = keys["current"]`, `SECRET_KEY_FALLBACKS = [f["key"] for f in keys["fallbacks"]]`.
 * Each fallback keeps when it was retired, so it is dropped once no session signed with it can be alive.
 */
export const djangoKeysSchema = z.object({
  current: z.string().min(1),
  fallbacks: z.array(z.object({ key: z.string().min(1), retiredAt: z.iso.datetime() })),
});

export type DjangoKeys = z.infer<typeof djangoKeysSchema>;

export interface DjangoKeyRotationDeps {
  readonly secrets: SecretsManagerClient;
  readonly keyLength: number;
  readonly excludeCharacters: string;
  /** SESSION_COOKIE_AGE: a fallback retired longer ago than this verifies no live session, so it is dropped. */
  readonly sessionMaxAgeSeconds: number;
  readonly now: () => Date;
  readonly log: (message: string, details?: Record<string, unknown>) => void;
}

/** Reads the keys; a plain string (the secret as first generated, before this rotation existed) is a current key without fallbacks. */
export function parseDjangoKeys(secretString: string, what: string): DjangoKeys {
  let raw: unknown;
  try {
    raw = JSON.parse(secretString);
  } catch {
    return { current: secretString, fallbacks: [] };
  }
  const parsed = djangoKeysSchema.safeParse(raw);
  if (!parsed.success) throw new RotationError(`${what} is not the Django keys document: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  return parsed.data;
}

/** Django's own check (security.W009): at least 50 characters, at least 5 distinct, not a generated insecure key. */
export function djangoKeyProblem(key: string): string | undefined {
  if (key.length < 50) return 'shorter than 50 characters';
  if (new Set(key).size < 5) return 'fewer than 5 distinct characters';
  if (key.startsWith('django-insecure-')) return 'a django-insecure- key';
  return undefined;
}

/**
 * One step of the rotation contract for Django's SECRET_KEY. The new key becomes current and the previous one
 * moves to SECRET_KEY_FALLBACKS, so sessions, password-reset links and signed cookies made with it stay valid until
 * they expire; then the post-rotation workflow restarts the services that read it.
 */
export async function rotateDjangoSecretKey(event: RotationEvent, deps: DjangoKeyRotationDeps): Promise<void> {
  const { SecretId, ClientRequestToken: token } = event;
  await runRotationStep(deps.secrets, event, deps.log, {
    createSecret: () => createPendingKeys(SecretId, token, deps),
    // Nothing outside Secrets Manager holds the key: the services read it when they start (post-rotation restarts them).
    setSecret: async () => deps.log('setSecret: nothing to set; the services read the keys at start', { secretId: SecretId }),
    testSecret: () => testPendingKeys(SecretId, token, deps),
  }, { recordProgress: true });
}

async function createPendingKeys(secretId: string, token: string, deps: DjangoKeyRotationDeps): Promise<void> {
  const current = parseDjangoKeys(await secretStringAt(deps.secrets, secretId, { VersionStage: 'AWSCURRENT' }), 'AWSCURRENT');
  if (await pendingString(deps.secrets, secretId, token)) {
    deps.log('createSecret: the pending keys exist already', { secretId });
    return;
  }
  const now = deps.now();
  const alive = (f: DjangoKeys['fallbacks'][number]) => now.getTime() - Date.parse(f.retiredAt) < deps.sessionMaxAgeSeconds * 1000;
  const kept = current.fallbacks.filter(alive);
  const { RandomPassword } = await deps.secrets.send(new GetRandomPasswordCommand({ PasswordLength: deps.keyLength, ExcludeCharacters: deps.excludeCharacters, IncludeSpace: false }));
  if (!RandomPassword) throw new RotationError('Secrets Manager returned no random key');
  const pending: DjangoKeys = { current: RandomPassword, fallbacks: [{ key: current.current, retiredAt: now.toISOString() }, ...kept] };
  await putPending(deps.secrets, secretId, token, JSON.stringify(pending));
  deps.log('createSecret: new key staged; the previous one is a fallback', { secretId, fallbacks: pending.fallbacks.length, dropped: current.fallbacks.length - kept.length });
}

/** testSecret: Django accepts the new key, and every key that signed a session still alive verifies it as a fallback. */
async function testPendingKeys(secretId: string, token: string, deps: DjangoKeyRotationDeps): Promise<void> {
  const pendingValue = await pendingString(deps.secrets, secretId, token);
  if (!pendingValue) throw new RotationError(`Version ${token} of ${secretId} has no value yet: createSecret has not run`);
  const pending = parseDjangoKeys(pendingValue, 'AWSPENDING');
  const current = parseDjangoKeys(await secretStringAt(deps.secrets, secretId, { VersionStage: 'AWSCURRENT' }), 'AWSCURRENT');
  const problem = djangoKeyProblem(pending.current);
  if (problem) throw new RotationError(`The pending SECRET_KEY is ${problem}: Django would refuse it`);
  const fallbackKeys = pending.fallbacks.map((f) => f.key);
  if (pending.current === current.current || fallbackKeys.includes(pending.current)) throw new RotationError('The pending SECRET_KEY is not new');
  if (!fallbackKeys.includes(current.current)) throw new RotationError('The pending fallbacks lack the current SECRET_KEY: every session would end');
  deps.log('testSecret: new key valid, current key kept as a fallback', { fallbacks: fallbackKeys.length });
}
