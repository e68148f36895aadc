import { randomBytes, randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  type DescribeSecretCommandInput,
  GetRandomPasswordCommand,
  type GetRandomPasswordCommandInput,
  GetSecretValueCommand,
  type GetSecretValueCommandInput,
  InvalidParameterException,
  InvalidRequestException,
  ListSecretVersionIdsCommand,
  type ListSecretVersionIdsCommandInput,
  PutSecretValueCommand,
  type PutSecretValueCommandInput,
  ResourceExistsException,
  ResourceNotFoundException,
  RotateSecretCommand,
  type RotateSecretCommandInput,
  SecretsManagerClient,
  TagResourceCommand,
  type TagResourceCommandInput,
  UntagResourceCommand,
  type UntagResourceCommandInput,
  UpdateSecretVersionStageCommand,
  type UpdateSecretVersionStageCommandInput,
} from '@aws-sdk/client-secrets-manager';
import type { SimulatedAccount } from './account.js';

/**
 * Secrets Manager as the rotation functions, the ingress and the owner's `fhops secret put` use it, and the driver that
 * rotates a secret the way Secrets Manager does. As strict as the API reference:
 * - a version is identified by its ClientRequestToken; PutSecretValue with an existing token and the same value is
 *   ignored, with another value refused (ResourceExistsException: a version never changes);
 * - a staging label is on one version at a time; UpdateSecretVersionStage refuses to move a label attached elsewhere
 *   unless RemoveFromVersionId names that version (InvalidParameterException), and moving AWSCURRENT moves AWSPREVIOUS
 *   to the version it left; AWSCURRENT cannot be removed, only moved;
 * - GetSecretValue with a VersionId and a VersionStage needs both to name the same version with a value
 *   (ResourceNotFoundException otherwise, as for the empty version a rotation starts with);
 * - RotateSecret stages AWSPENDING on a new, empty version named by the token and invokes the four steps with that same
 *   token; a failed attempt is reattempted with that token (`AUTOMATIC_REATTEMPTS`); RotateSecret is refused
 *   (InvalidRequestException) while AWSPENDING is on a version other than AWSCURRENT, and that rotation is
 *   reattempted instead, with its own token, from createSecret.
 */

export interface SimulatedSecretInit {
  readonly arn: string;
  /** AWSCURRENT's value; `previous` becomes AWSPREVIOUS. */
  readonly value: string;
  readonly previous?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** @default true */
  readonly rotationEnabled?: boolean;
}

interface Version {
  readonly id: string;
  value?: string;
  stages: Set<string>;
  readonly created: Date;
}

interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  readonly versions: Map<string, Version>;
  readonly tags: Map<string, string>;
  rotationEnabled: boolean;
  lastRotated?: Date;
}

export type RotationStepName = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

/** The event Secrets Manager invokes the rotation function with; the invoker runs it (through the fault harness). */
export type RotationStepInvoker = (event: { readonly Step: RotationStepName; readonly SecretId: string; readonly ClientRequestToken: string }) => Promise<unknown>;

/** What one attempt of a rotation did, and the event Secrets Manager sent to EventBridge (via CloudTrail) for it. */
export interface RotationAttempt {
  readonly token: string;
  /** The steps invoked, in order; the last one failed when `failedAt` is set. */
  readonly steps: RotationStepName[];
  readonly failedAt?: RotationStepName;
  readonly error?: string;
  readonly event: RotationOutcomeEvent;
}

export interface RotationOutcomeEvent {
  readonly id: string;
  readonly time: string;
  readonly source: 'aws.secretsmanager';
  readonly 'detail-type': 'AWS Service Event via CloudTrail';
  readonly detail: {
    readonly eventName: 'RotationSucceeded' | 'RotationFailed';
    readonly eventSource: 'secretsmanager.amazonaws.com';
    readonly additionalEventData: { readonly SecretId: string };
    readonly errorMessage?: string;
  };
}

/**
 * "If any rotation step fails, Secrets Manager retries the entire rotation process multiple times" (AWS Secrets Manager
 * User Guide, "Rotation by Lambda function"). The failed rotation stays in progress ("When rotation is unsuccessful,
 * the AWSPENDING staging label might be attached to an empty secret version", API reference, RotateSecret), so a
 * reattempt invokes every step again from createSecret with the same ClientRequestToken. How many times and how long
 * after is not documented: the rehearsal reattempts twice, at once, and only the last attempt's outcome reaches
 * EventBridge, so one fault in one attempt must be absorbed by the next and a failure that persists is reported once.
 */
export const AUTOMATIC_REATTEMPTS = 2;

const STEPS: readonly RotationStepName[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
const meta = { $metadata: { httpStatusCode: 400, requestId: 'simulated' } };
const notFound = (message: string) => new ResourceNotFoundException({ message, ...meta });
const invalidParameter = (message: string) => new InvalidParameterException({ message, ...meta });

/** A call Secrets Manager refuses: its command name (`GetRandomPassword`), the step it is refused in, and the error. */
export interface SecretsManagerRefusal {
  readonly command: string;
  readonly during?: RotationStepName;
  readonly error: Error;
}

export class SimulatedSecretsManager {
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly refusals: SecretsManagerRefusal[] = [];
  /** The step of the rotation being run, while its function runs. */
  private step?: RotationStepName;

  constructor(account: SimulatedAccount, initial: readonly SimulatedSecretInit[]) {
    for (const secret of initial) this.add(secret);
    const stub = account.mock(SecretsManagerClient);
    const on = (command: unknown, name: string, answer: (input: never) => unknown) =>
      stub.on(command as never).callsFake(async (input: unknown) => {
        const refusal = this.refusals.find((r) => r.command === name && (r.during === undefined || r.during === this.step));
        if (refusal) throw refusal.error;
        return answer(input as never);
      });
    on(DescribeSecretCommand, 'DescribeSecret', (input: DescribeSecretCommandInput) => this.describe(input));
    on(GetSecretValueCommand, 'GetSecretValue', (input: GetSecretValueCommandInput) => this.getValue(input));
    on(PutSecretValueCommand, 'PutSecretValue', (input: PutSecretValueCommandInput) => this.putValue(input));
    on(UpdateSecretVersionStageCommand, 'UpdateSecretVersionStage', (input: UpdateSecretVersionStageCommandInput) => this.updateStage(input));
    on(GetRandomPasswordCommand, 'GetRandomPassword', (input: GetRandomPasswordCommandInput) => ({ RandomPassword: randomPassword(input) }));
    on(ListSecretVersionIdsCommand, 'ListSecretVersionIds', (input: ListSecretVersionIdsCommandInput) => this.listVersions(input));
    on(TagResourceCommand, 'TagResource', (input: TagResourceCommandInput) => this.tag(input));
    on(UntagResourceCommand, 'UntagResource', (input: UntagResourceCommandInput) => this.untag(input));
    on(RotateSecretCommand, 'RotateSecret', (input: RotateSecretCommandInput) => {
      const secret = this.find(input.SecretId);
      return { ARN: secret.arn, Name: secret.name, VersionId: this.startRotation(secret, input.ClientRequestToken).id };
    });
  }

  /** Secrets Manager refuses a call (during one step of a rotation, or always) the way a scenario scripts it; the function returned lifts it. */
  refuse(refusal: SecretsManagerRefusal): () => void {
    this.refusals.push(refusal);
    return () => this.refusals.splice(this.refusals.indexOf(refusal), 1);
  }

  private add(init: SimulatedSecretInit): void {
    const name = /:secret:(.+)-[A-Za-z0-9]{6}$/.exec(init.arn)?.[1] ?? init.arn;
    const created = new Date(Date.now() - 30 * 86_400_000);
    const versions = new Map<string, Version>();
    const version = (value: string, stage: string) => {
      const id = randomUUID();
      versions.set(id, { id, value, stages: new Set([stage]), created });
    };
    if (init.previous !== undefined) version(init.previous, 'AWSPREVIOUS');
    version(init.value, 'AWSCURRENT');
    this.secrets.set(init.arn, { arn: init.arn, name, versions, tags: new Map(Object.entries(init.tags ?? {})), rotationEnabled: init.rotationEnabled ?? true });
  }

  /** By full ARN, name, or partial ARN (without the random suffix), as Secrets Manager finds a secret. */
  private find(secretId: string | undefined): StoredSecret {
    const found = [...this.secrets.values()].find((s) => s.arn === secretId || s.name === secretId || (secretId !== undefined && s.arn.startsWith(`${secretId}-`)));
    if (!found) throw notFound("Secrets Manager can't find the specified secret.");
    return found;
  }

  private withStage(secret: StoredSecret, stage: string): Version | undefined {
    return [...secret.versions.values()].find((version) => version.stages.has(stage));
  }

  /** The version ids and their stages, as DescribeSecret shows them. */
  stages(secretId: string): Record<string, string[]> {
    const secret = this.find(secretId);
    return Object.fromEntries([...secret.versions.values()].filter((v) => v.stages.size > 0).map((v) => [v.id, [...v.stages]]));
  }

  /** The value at a stage, undefined when no version with a value carries it. */
  valueAt(secretId: string, stage: string): string | undefined {
    return this.withStage(this.find(secretId), stage)?.value;
  }

  /** The version a stage is on. */
  versionAt(secretId: string, stage: string): string | undefined {
    return this.withStage(this.find(secretId), stage)?.id;
  }

  private describe(input: DescribeSecretCommandInput) {
    const secret = this.find(input.SecretId);
    return {
      ARN: secret.arn,
      Name: secret.name,
      RotationEnabled: secret.rotationEnabled,
      LastRotatedDate: secret.lastRotated,
      VersionIdsToStages: this.stages(secret.arn),
      Tags: [...secret.tags].map(([Key, Value]) => ({ Key, Value })),
    };
  }

  private getValue(input: GetSecretValueCommandInput) {
    const secret = this.find(input.SecretId);
    const stage = input.VersionStage ?? (input.VersionId ? undefined : 'AWSCURRENT');
    const version = input.VersionId ? secret.versions.get(input.VersionId) : this.withStage(secret, stage ?? 'AWSCURRENT');
    if (!version || (stage && !version.stages.has(stage)) || version.value === undefined) {
      throw notFound(`Secrets Manager can't find the specified secret value for ${input.VersionId ? `VersionId: ${input.VersionId}` : ''}${input.VersionId && stage ? ' and ' : ''}${stage ? `staging label: ${stage}` : ''}`);
    }
    return { ARN: secret.arn, Name: secret.name, VersionId: version.id, SecretString: version.value, VersionStages: [...version.stages], CreatedDate: version.created };
  }

  /** Attaches `stage` to `version`, taking it off any other; AWSCURRENT leaves AWSPREVIOUS behind. */
  private attach(secret: StoredSecret, stage: string, version: Version): void {
    const holder = this.withStage(secret, stage);
    if (holder === version) return;
    holder?.stages.delete(stage);
    version.stages.add(stage);
    if (stage === 'AWSCURRENT' && holder) {
      this.withStage(secret, 'AWSPREVIOUS')?.stages.delete('AWSPREVIOUS');
      holder.stages.add('AWSPREVIOUS');
    }
  }

  private putValue(input: PutSecretValueCommandInput) {
    const secret = this.find(input.SecretId);
    if (input.SecretString === undefined) throw invalidParameter('You must provide either SecretString or SecretBinary.');
    const token = input.ClientRequestToken ?? randomUUID();
    const stages = input.VersionStages ?? ['AWSCURRENT'];
    let version = secret.versions.get(token);
    if (version?.value !== undefined) {
      if (version.value !== input.SecretString) throw new ResourceExistsException({ message: "You can't modify an existing version, you can only create a new version.", ...meta });
    } else {
      version ??= { id: token, stages: new Set(), created: new Date() };
      version.value = input.SecretString;
      secret.versions.set(token, version);
    }
    for (const stage of stages) this.attach(secret, stage, version);
    return { ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: [...version.stages] };
  }

  private updateStage(input: UpdateSecretVersionStageCommandInput) {
    const secret = this.find(input.SecretId);
    const stage = input.VersionStage ?? '';
    const holder = this.withStage(secret, stage);
    if (input.RemoveFromVersionId !== undefined && holder?.id !== input.RemoveFromVersionId) {
      throw invalidParameter(`The staging label ${stage} is not attached to version ${input.RemoveFromVersionId}.`);
    }
    if (input.MoveToVersionId === undefined) {
      if (stage === 'AWSCURRENT') throw invalidParameter('You can only move AWSCURRENT to another version, not remove it.');
      holder?.stages.delete(stage);
      return { ARN: secret.arn, Name: secret.name };
    }
    const target = secret.versions.get(input.MoveToVersionId);
    if (!target) throw notFound(`Secrets Manager can't find the specified secret version: ${input.MoveToVersionId}`);
    if (holder && holder !== target && input.RemoveFromVersionId === undefined) {
      throw invalidParameter(`The staging label ${stage} is currently attached to version ${holder.id}, so you must explicitly reference that version in RemoveFromVersionId.`);
    }
    this.attach(secret, stage, target);
    return { ARN: secret.arn, Name: secret.name };
  }

  private listVersions(input: ListSecretVersionIdsCommandInput) {
    const secret = this.find(input.SecretId);
    const versions = [...secret.versions.values()].filter((v) => input.IncludeDeprecated || v.stages.size > 0);
    return { ARN: secret.arn, Name: secret.name, Versions: versions.map((v) => ({ VersionId: v.id, VersionStages: [...v.stages], CreatedDate: v.created })) };
  }

  private tag(input: TagResourceCommandInput) {
    const secret = this.find(input.SecretId);
    for (const { Key, Value } of input.Tags ?? []) if (Key) secret.tags.set(Key, Value ?? '');
    return {};
  }

  private untag(input: UntagResourceCommandInput) {
    const secret = this.find(input.SecretId);
    for (const key of input.TagKeys ?? []) secret.tags.delete(key);
    return {};
  }

  /** A rotation in progress: AWSPENDING on a version other than AWSCURRENT. */
  pendingVersion(secretId: string): string | undefined {
    const secret = this.find(secretId);
    const pending = this.withStage(secret, 'AWSPENDING');
    return pending && !pending.stages.has('AWSCURRENT') ? pending.id : undefined;
  }

  /** RotateSecret: stages AWSPENDING on a new, empty version; refused while another rotation is in progress. */
  private startRotation(secret: StoredSecret, token: string = randomUUID()): Version {
    if (!secret.rotationEnabled) throw new InvalidRequestException({ message: `Rotation is not configured for ${secret.name}.`, ...meta });
    if (this.pendingVersion(secret.arn)) throw new InvalidRequestException({ message: "A previous rotation isn't complete. That rotation will be reattempted.", ...meta });
    if (secret.versions.has(token)) throw new ResourceExistsException({ message: `A version with ClientRequestToken ${token} already exists.`, ...meta });
    const version: Version = { id: token, stages: new Set(), created: new Date() };
    secret.versions.set(token, version);
    this.attach(secret, 'AWSPENDING', version);
    return version;
  }

  /**
   * Rotates a secret as its schedule (or `aws secretsmanager rotate-secret`) does: a new pending version, then the four
   * steps with its token, stopping at the first that throws, then Secrets Manager's own reattempts of a failed one
   * (`AUTOMATIC_REATTEMPTS`). RotateSecret's refusal while a rotation is in progress is thrown; `reattempt` goes on
   * with that one.
   */
  async rotate(secretId: string, invoke: RotationStepInvoker): Promise<RotationAttempt[]> {
    const secret = this.find(secretId);
    return this.attempts(secret, this.startRotation(secret).id, invoke);
  }

  /** Secrets Manager reattempting the rotation in progress (`rotate-secret` while one is): the same token, every step again from createSecret. */
  async reattempt(secretId: string, invoke: RotationStepInvoker): Promise<RotationAttempt[]> {
    const secret = this.find(secretId);
    const token = this.pendingVersion(secret.arn);
    if (!token) throw new Error(`No rotation of ${secret.name} is in progress to reattempt`);
    return this.attempts(secret, token, invoke);
  }

  /**
   * An attempt, then as many of Secrets Manager's reattempts as it takes: with the same token, whatever the failed
   * attempt left staged (its version may already be AWSCURRENT when finishSecret failed after promoting it, and the
   * steps then have nothing to do).
   */
  private async attempts(secret: StoredSecret, token: string, invoke: RotationStepInvoker): Promise<RotationAttempt[]> {
    const made = [await this.runSteps(secret, token, invoke)];
    while (made.at(-1)?.failedAt && made.length <= AUTOMATIC_REATTEMPTS) made.push(await this.runSteps(secret, token, invoke));
    return made;
  }

  private async runSteps(secret: StoredSecret, token: string, invoke: RotationStepInvoker): Promise<RotationAttempt> {
    const steps: RotationStepName[] = [];
    const outcome = (failedAt?: RotationStepName, error?: string): RotationAttempt => ({
      token,
      steps,
      failedAt,
      error,
      event: {
        id: randomUUID(),
        time: new Date().toISOString(),
        source: 'aws.secretsmanager',
        'detail-type': 'AWS Service Event via CloudTrail',
        detail: {
          eventName: failedAt ? 'RotationFailed' : 'RotationSucceeded',
          eventSource: 'secretsmanager.amazonaws.com',
          additionalEventData: { SecretId: secret.arn },
          ...(error ? { errorMessage: error } : {}),
        },
      },
    });
    for (const Step of STEPS) {
      steps.push(Step);
      this.step = Step;
      try {
        await invoke({ Step, SecretId: secret.arn, ClientRequestToken: token });
      } catch (error) {
        return outcome(Step, `${Step}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`.slice(0, 500));
      } finally {
        this.step = undefined;
      }
    }
    // A finishSecret that returned without promoting the pending version has not rotated anything.
    if (!secret.versions.get(token)?.stages.has('AWSCURRENT')) return outcome('finishSecret', 'finishSecret: the function returned, but AWSCURRENT is not on the pending version');
    secret.lastRotated = new Date();
    return outcome();
  }
}

/** GetRandomPassword's options: the length (default 32), characters excluded, punctuation and space on request. */
function randomPassword(input: GetRandomPasswordCommandInput): string {
  const length = input.PasswordLength ?? 32;
  if (length < 1 || length > 4096) throw invalidParameter('PasswordLength must be between 1 and 4096.');
  const punctuation = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
  const alphabet = [
    input.ExcludeUppercase ? '' : 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    input.ExcludeLowercase ? '' : 'abcdefghijklmnopqrstuvwxyz',
    input.ExcludeNumbers ? '' : '0123456789',
    input.ExcludePunctuation ? '' : punctuation,
    input.IncludeSpace ? ' ' : '',
  ]
    .join('')
    .split('')
    .filter((c) => !(input.ExcludeCharacters ?? '').includes(c));
  if (alphabet.length === 0) throw invalidParameter('No characters are left to build a password from.');
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
}
