/**
 * The signing secrets a Slack request may be signed with: AWSCURRENT, and AWSPENDING while its owner's rotation is
 * open (Slack signs with a regenerated secret at once, before the rotation promotes it). Never AWSPREVIOUS or any
 * other version. Both are read together, so the acknowledgement waits for one round trip, not two.
 *
 * Powertools' getSecret caches by secret id and transform only, not by version stage, so both stages would share one
 * cache entry: this keeps its own, as getSecret would (a maximum age), plus a read on demand when a request matches
 * neither value, at most once per `minRefreshMs`, so a forged request cannot make every call read Secrets Manager.
 */

export type SigningStage = 'AWSCURRENT' | 'AWSPENDING';

export interface SigningSecretsOptions {
  /** Reads the `signingSecret` of one stage; undefined when the stage has no value (no rotation open). */
  readonly read: (stage: SigningStage) => Promise<string | undefined>;
  readonly maxAgeMs: number;
  readonly minRefreshMs: number;
  readonly nowMs: () => number;
  /** A pending value that cannot be read is left out (AWSCURRENT still verifies) and told here. */
  readonly onPendingError: (error: unknown) => void;
}

/** `fresh`: a request matched neither cached value; read both again unless they were read less than minRefreshMs ago. */
export type SigningSecrets = (options: { readonly fresh: boolean }) => Promise<readonly string[]>;

export function signingSecretsReader(options: SigningSecretsOptions): SigningSecrets {
  let cached: { readonly values: Promise<readonly string[]>; readonly at: number } | undefined;
  const load = (): Promise<readonly string[]> => {
    const at = options.nowMs();
    const pendingRead = options.read('AWSPENDING').catch((error: unknown) => {
      options.onPendingError(error);
      return undefined;
    });
    const values = Promise.all([options.read('AWSCURRENT'), pendingRead]).then(([current, pending]) => {
      if (current === undefined) throw new Error('The Slack signing secret has no AWSCURRENT signingSecret');
      return pending === undefined || pending === current ? [current] : [current, pending];
    });
    cached = { values, at };
    // A failed read is not kept: the next request reads again.
    values.catch(() => {
      if (cached?.values === values) cached = undefined;
    });
    return values;
  };
  return ({ fresh }) => {
    const age = cached ? options.nowMs() - cached.at : Number.POSITIVE_INFINITY;
    if (cached && age < (fresh ? options.minRefreshMs : options.maxAgeMs)) return cached.values;
    return load();
  };
}
