import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { newValueProblem, ownerSecretSchema } from '../functions/lib/owner-secrets.js';
import type { EnvironmentConfig } from '../infra/config.js';
import { EXIT_CODES } from './errors.js';

/** A `fhops secret put` that cannot go on; the message names the argument or the state at fault and what changed. */
export class SecretPutError extends Error {
  constructor(
    message: string,
    /** A refusal changed nothing (usage); a write that did not read back failed. */
    readonly exitCode: number = EXIT_CODES.usage,
  ) {
    super(message);
    this.name = 'SecretPutError';
  }
}

export interface SecretPutOptions {
  /** How long to watch for the rotation to promote the value before leaving it to Slack. */
  readonly waitSeconds: number;
  readonly pollSeconds: number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** What happened, as read back from Secrets Manager; never the value. */
export interface SecretPutOutcome {
  readonly secretId: string;
  readonly versionId: string;
  /** The value was already stored by an earlier run (the same value): nothing was written this time. */
  readonly alreadyStored: boolean;
  /** AWSCURRENT moved to the version within the wait. */
  readonly promoted: boolean;
}

async function valueAt(secrets: SecretsManagerClient, secretId: string, versionId: string): Promise<string | undefined> {
  try {
    return (await secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId, VersionStage: 'AWSPENDING' }))).SecretString;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/**
 * Stores the owner's new value of a third-party secret as its open rotation's AWSPENDING version, reads it back, and
 * resumes the rotation (whose testSecret checks the value before finishSecret promotes it). Refuses, changing nothing,
 * a secret its owner does not rotate, a secret without an open request, and a value that could not replace the current one.
 */
export async function putOwnerSecret(secrets: SecretsManagerClient, config: EnvironmentConfig, name: string, value: string, options: SecretPutOptions): Promise<SecretPutOutcome> {
  const declared = config.secrets.ownerRotated.find((s) => s.name === name || `${config.prefix}/${s.name}` === name);
  if (!declared) {
    throw new SecretPutError(`<secret>: ${name} is not rotated by its owner in ${config.name} (${config.secrets.ownerRotated.map((s) => s.name).join(', ')}). Nothing was changed.`);
  }
  const secret = ownerSecretSchema.parse(declared);
  const secretId = `${config.prefix}/${secret.name}`;
  const { VersionIdsToStages = {} } = await secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
  const versionId = Object.entries(VersionIdsToStages).find(([, stages]) => stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT'))?.[0];
  if (!versionId) {
    throw new SecretPutError(
      `${secretId} has no open rotation request (no AWSPENDING version). Open one with: aws secretsmanager rotate-secret --secret-id ${secretId} (you get the request in Slack), then run this again. Nothing was changed.`,
    );
  }
  const current = (await secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }))).SecretString;
  const problem = newValueProblem(value, current, secret);
  if (problem) throw new SecretPutError(`value (standard input): ${problem}. Nothing was changed.`);

  const stored = await valueAt(secrets, secretId, versionId);
  if (stored !== undefined && stored !== value) {
    throw new SecretPutError(
      `The open request's version ${versionId} of ${secretId} already holds another value, and versions cannot change. If its test refused it, release it ` +
        `(aws secretsmanager update-secret-version-stage --secret-id ${secretId} --version-stage AWSPENDING --remove-from-version-id ${versionId}), ` +
        `open a new request (aws secretsmanager rotate-secret --secret-id ${secretId}) and run this again. Nothing was changed.`,
    );
  }
  if (stored === undefined) {
    await secrets.send(new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: versionId, SecretString: value, VersionStages: ['AWSPENDING'] }));
    if ((await valueAt(secrets, secretId, versionId)) !== value) throw new SecretPutError(`${secretId} version ${versionId} does not hold the value after the write; run this again.`, EXIT_CODES.failed);
  }

  try {
    await secrets.send(new RotateSecretCommand({ SecretId: secretId }));
  } catch (error) {
    // The open rotation is the one to go on with: Secrets Manager reattempts it rather than starting another.
    if (!(error instanceof Error && error.name === 'InvalidRequestException' && /previous rotation/i.test(error.message))) throw error;
  }
  let promoted = false;
  for (let waited = 0; !promoted && waited < options.waitSeconds; waited += options.pollSeconds) {
    await options.sleep(options.pollSeconds * 1000);
    const stages = (await secrets.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages?.[versionId] ?? [];
    promoted = stages.includes('AWSCURRENT');
  }
  return { secretId, versionId, alreadyStored: stored !== undefined, promoted };
}
