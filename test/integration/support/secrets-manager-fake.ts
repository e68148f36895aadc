import { randomBytes } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';

interface Version {
  secretString: string;
  stages: Set<string>;
  created: Date;
}

const notFound = (message: string) => new ResourceNotFoundException({ message, $metadata: {} });

/**
 * Secrets Manager as the rotation function sees it, kept in memory by aws-sdk-client-mock: versions with staging
 * labels that belong to one version at a time, AWSPREVIOUS following AWSCURRENT, and errors where the service
 * raises them.
 */
export class SecretsManagerFake {
  readonly secrets = new Map<string, Map<string, Version>>();
  /** Each secret's tags, as DescribeSecret and ListSecrets return them. */
  readonly tags = new Map<string, Map<string, string>>();
  readonly stub = mockClient(SecretsManagerClient);

  constructor() {
    this.stub.on(DescribeSecretCommand).callsFake(({ SecretId }: { SecretId: string }) => ({
      ARN: SecretId,
      Name: SecretId,
      RotationEnabled: true,
      VersionIdsToStages: Object.fromEntries([...this.versions(SecretId).entries()].filter(([, v]) => v.stages.size > 0).map(([id, v]) => [id, [...v.stages]])),
      Tags: [...(this.tags.get(SecretId) ?? new Map<string, string>()).entries()].map(([Key, Value]) => ({ Key, Value })),
    }));
    this.stub.on(TagResourceCommand).callsFake(({ SecretId, Tags = [] }: { SecretId: string; Tags?: { Key: string; Value: string }[] }) => {
      this.versions(SecretId);
      const tags = this.tags.get(SecretId) ?? new Map<string, string>();
      for (const { Key, Value } of Tags) tags.set(Key, Value);
      this.tags.set(SecretId, tags);
      return {};
    });
    this.stub.on(UntagResourceCommand).callsFake(({ SecretId, TagKeys = [] }: { SecretId: string; TagKeys?: string[] }) => {
      this.versions(SecretId);
      for (const key of TagKeys) this.tags.get(SecretId)?.delete(key);
      return {};
    });
    this.stub.on(GetSecretValueCommand).callsFake(({ SecretId, VersionId, VersionStage }: { SecretId: string; VersionId?: string; VersionStage?: string }) => {
      const versions = this.versions(SecretId);
      const entry = VersionId ? ([VersionId, versions.get(VersionId)] as const) : [...versions.entries()].find(([, v]) => v.stages.has(VersionStage ?? 'AWSCURRENT'));
      const [id, version] = entry ?? [];
      // A version staged by RotateSecret has no value until createSecret puts one.
      if (!id || !version || version.secretString === '' || (VersionStage && !version.stages.has(VersionStage))) {
        throw notFound(`Secrets Manager can't find the specified secret value for VersionId: ${VersionId ?? '-'} VersionStage: ${VersionStage ?? '-'}`);
      }
      return { ARN: SecretId, Name: SecretId, VersionId: id, SecretString: version.secretString, VersionStages: [...version.stages] };
    });
    this.stub.on(PutSecretValueCommand).callsFake(({ SecretId, ClientRequestToken, SecretString, VersionStages }: { SecretId: string; ClientRequestToken: string; SecretString: string; VersionStages?: string[] }) => {
      const versions = this.versions(SecretId);
      const existing = versions.get(ClientRequestToken);
      if (existing && existing.secretString !== '' && existing.secretString !== SecretString) {
        throw new InvalidParameterException({ message: 'A version with this token exists with different content', $metadata: {} });
      }
      if (existing) existing.secretString = SecretString;
      else versions.set(ClientRequestToken, { secretString: SecretString, stages: new Set(), created: new Date() });
      for (const stage of VersionStages ?? ['AWSCURRENT']) this.moveStage(SecretId, stage, ClientRequestToken);
      return { ARN: SecretId, VersionId: ClientRequestToken, VersionStages: [...versions.get(ClientRequestToken)!.stages] };
    });
    this.stub.on(UpdateSecretVersionStageCommand).callsFake(({ SecretId, VersionStage, MoveToVersionId, RemoveFromVersionId }: { SecretId: string; VersionStage: string; MoveToVersionId?: string; RemoveFromVersionId?: string }) => {
      const versions = this.versions(SecretId);
      const holder = [...versions.entries()].find(([, v]) => v.stages.has(VersionStage))?.[0];
      if (holder && holder !== RemoveFromVersionId && holder !== MoveToVersionId) {
        throw new InvalidParameterException({ message: `${VersionStage} is attached to ${holder}, not ${RemoveFromVersionId}`, $metadata: {} });
      }
      if (!MoveToVersionId || !versions.has(MoveToVersionId)) throw notFound(`No version ${MoveToVersionId}`);
      if (VersionStage === 'AWSCURRENT' && holder && holder !== MoveToVersionId) this.moveStage(SecretId, 'AWSPREVIOUS', holder);
      this.moveStage(SecretId, VersionStage, MoveToVersionId);
      return { ARN: SecretId, Name: SecretId };
    });
    this.stub.on(ListSecretVersionIdsCommand).callsFake(({ SecretId }: { SecretId: string }) => ({
      ARN: SecretId,
      Versions: [...this.versions(SecretId).entries()].map(([id, v]) => ({ VersionId: id, VersionStages: [...v.stages], CreatedDate: v.created })),
    }));
    this.stub.on(GetRandomPasswordCommand).callsFake(({ PasswordLength = 32, ExcludeCharacters = '', ExcludePunctuation = false }: { PasswordLength?: number; ExcludeCharacters?: string; ExcludePunctuation?: boolean }) => {
      const punctuation = '!#$%&*+-.:;<=>?^_~';
      const alphabet = [...`ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${punctuation}`].filter(
        (c) => !ExcludeCharacters.includes(c) && !(ExcludePunctuation && punctuation.includes(c)),
      );
      return { RandomPassword: [...randomBytes(PasswordLength)].map((b) => alphabet[b % alphabet.length]).join('') };
    });
  }

  /** Stores a secret's first version as AWSCURRENT: an object as JSON, a string as it is. */
  create(secretId: string, value: object | string, versionId = 'initial'): void {
    const secretString = typeof value === 'string' ? value : JSON.stringify(value);
    this.secrets.set(secretId, new Map([[versionId, { secretString, stages: new Set(['AWSCURRENT']), created: new Date() }]]));
  }

  /** The AWSCURRENT version's string as it is stored. */
  currentString(secretId: string): string {
    return [...this.versions(secretId).values()].find((v) => v.stages.has('AWSCURRENT'))?.secretString ?? '';
  }

  stagesOf(secretId: string): Record<string, string[]> {
    return Object.fromEntries([...this.versions(secretId).entries()].map(([id, v]) => [id, [...v.stages].sort()]));
  }

  /** What RotateSecret does before calling createSecret: the new token is staged AWSPENDING, with no value yet. */
  announce(secretId: string, token: string): void {
    const versions = this.versions(secretId);
    if (!versions.has(token)) versions.set(token, { secretString: '', stages: new Set(), created: new Date() });
    this.moveStage(secretId, 'AWSPENDING', token);
  }

  /** What RotateSecret does after finishSecret succeeded. */
  finishRotation(secretId: string, token: string): void {
    this.versions(secretId).get(token)?.stages.delete('AWSPENDING');
  }

  current(secretId: string): Record<string, unknown> {
    const version = [...this.versions(secretId).values()].find((v) => v.stages.has('AWSCURRENT'));
    return JSON.parse(version?.secretString ?? '{}') as Record<string, unknown>;
  }

  private versions(secretId: string): Map<string, Version> {
    const versions = this.secrets.get(secretId);
    if (!versions) throw notFound(`Secrets Manager can't find the specified secret ${secretId}`);
    return versions;
  }

  private moveStage(secretId: string, stage: string, to: string): void {
    for (const version of this.versions(secretId).values()) version.stages.delete(stage);
    this.versions(secretId).get(to)?.stages.add(stage);
  }
}
