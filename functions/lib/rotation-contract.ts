import {
  type DescribeSecretCommandOutput,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';

/** The event Secrets Manager invokes a rotation function with, once per step. */
export const rotationEventSchema = z.object({
  Step: z.enum(['createSecret', 'setSecret', 'testSecret', 'finishSecret']),
  SecretId: z.string().min(1),
  ClientRequestToken: z.string().min(1),
});

export type RotationEvent = z.infer<typeof rotationEventSchema>;
export type RotationStep = RotationEvent['Step'];

/** The rotation cannot go on: a token that is not this secret's pending version, a broken secret. Nothing was changed. */
export class RotationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RotationError';
  }
}

/** Parses a rotation event; the error names the bad fields (a failed step must throw, per the contract). */
export function parseRotationEvent(event: unknown): RotationEvent {
  const parsed = rotationEventSchema.safeParse(event);
  if (!parsed.success) throw new RotationError(`Not a rotation event: ${parsed.error.issues.map((i) => i.path.join('.') || i.message).join(', ')}`);
  return parsed.data;
}

export type PendingCheck =
  | { readonly state: 'current' }
  | { readonly state: 'pending'; readonly description: DescribeSecretCommandOutput };

/**
 * The checks every step starts with: rotation enabled, the token is a version of this secret, and it is AWSPENDING.
 * A token already AWSCURRENT means the rotation finished: the step does nothing.
 */
export async function checkPendingToken(secrets: SecretsManagerClient, event: RotationEvent): Promise<PendingCheck> {
  const { SecretId, ClientRequestToken: token } = event;
  const description = await secrets.send(new DescribeSecretCommand({ SecretId }));
  if (description.RotationEnabled === false) throw new RotationError(`Secret ${SecretId} is not enabled for rotation`);
  const stages = description.VersionIdsToStages?.[token];
  if (!stages) throw new RotationError(`Version ${token} does not belong to secret ${SecretId}`);
  if (stages.includes('AWSCURRENT')) return { state: 'current' };
  if (!stages.includes('AWSPENDING')) throw new RotationError(`Version ${token} of secret ${SecretId} is not AWSPENDING`);
  return { state: 'pending', description };
}

/** A secret's string at a stage or version; ResourceNotFoundException when there is none. */
export async function secretStringAt(secrets: SecretsManagerClient, secretId: string, where: { VersionStage?: string; VersionId?: string }): Promise<string> {
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId, ...where }));
  if (!SecretString) throw new RotationError(`${secretId} has no secret string at ${JSON.stringify(where)}`);
  return SecretString;
}

/** The pending version's string, or undefined when createSecret has not stored it yet. */
export async function pendingString(secrets: SecretsManagerClient, secretId: string, token: string): Promise<string | undefined> {
  try {
    return await secretStringAt(secrets, secretId, { VersionId: token, VersionStage: 'AWSPENDING' });
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** Stores the pending version under the rotation's token (PutSecretValue with the same token and value is idempotent). */
export async function putPending(secrets: SecretsManagerClient, secretId: string, token: string, value: string): Promise<void> {
  await secrets.send(new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: token, SecretString: value, VersionStages: ['AWSPENDING'] }));
}

/** finishSecret: AWSCURRENT moves to the token's version (Secrets Manager moves AWSPREVIOUS to the one it left). */
export async function promotePending(secrets: SecretsManagerClient, secretId: string, token: string, description: DescribeSecretCommandOutput): Promise<string | undefined> {
  const currentVersion = Object.entries(description.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
  await secrets.send(
    new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: currentVersion }),
  );
  return currentVersion;
}

/**
 * The tag a rotation function writes after each step it completed: `<token> <step>`. A RotationFailed event does not
 * say which step failed; the report reads this back (DescribeSecret) to say what the failed rotation changed.
 */
export const ROTATION_PROGRESS_TAG = 'rotation-progress';

/** The step the rotation `token` completed last, read from the secret's tags; undefined when none completed. */
export function completedStep(tags: readonly { Key?: string; Value?: string }[] | undefined, token: string): Exclude<RotationStep, 'finishSecret'> | undefined {
  const [tagged, step] = (tags?.find((tag) => tag.Key === ROTATION_PROGRESS_TAG)?.Value ?? '').split(' ');
  return tagged === token && (step === 'createSecret' || step === 'setSecret' || step === 'testSecret') ? step : undefined;
}

/** What a rotation function does in the steps that differ between secrets; finishSecret is the same for all. */
export type RotationSteps = Record<Exclude<RotationStep, 'finishSecret'>, (description: DescribeSecretCommandOutput) => Promise<void>>;

/**
 * Runs one step of the contract: the token checks first (a token already AWSCURRENT does nothing), then the
 * secret's own step, or the promotion for finishSecret.
 */
export async function runRotationStep(
  secrets: SecretsManagerClient,
  event: RotationEvent,
  log: (message: string, details?: Record<string, unknown>) => void,
  steps: RotationSteps,
  options: { readonly recordProgress?: boolean } = {},
): Promise<void> {
  const { SecretId, ClientRequestToken: token, Step } = event;
  const check = await checkPendingToken(secrets, event);
  if (check.state === 'current') {
    log('Version is already AWSCURRENT: nothing to do', { step: Step, secretId: SecretId });
    return;
  }
  if (Step !== 'finishSecret') {
    await steps[Step](check.description);
    // Written after the work, so it never claims a step that did not complete (a repeat writes the same value).
    if (options.recordProgress) await secrets.send(new TagResourceCommand({ SecretId, Tags: [{ Key: ROTATION_PROGRESS_TAG, Value: `${token} ${Step}` }] }));
    return;
  }
  log('finishSecret: AWSCURRENT moved to the new version', { secretId: SecretId, previousVersion: await promotePending(secrets, SecretId, token, check.description) });
}
