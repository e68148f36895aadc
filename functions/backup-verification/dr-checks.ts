import { paginateListRecoveryPointsByBackupVault } from '@aws-sdk/client-backup';
import { DescribeImagesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { DescribeDBInstanceAutomatedBackupsCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { Check } from './checks.js';

const hours = (ms: number) => Math.round((ms / 3_600_000) * 10) / 10;

/** The DR region holds a point-in-time copy of the database no older than the RPO. */
export const drBackupReplicationLag: Check = async ({ rds, drRds }, config, now) => {
  const base = { name: 'DrBackupReplicationLagSeconds', unit: 'seconds', target: config.rpoMinutes * 60 };
  const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: config.databaseInstanceId }));
  const arn = DBInstances[0]?.DBInstanceAutomatedBackupsReplications?.map((r) => r.DBInstanceAutomatedBackupsArn).find((a) => a?.includes(`:${config.dr.region}:`));
  if (!arn) return { ...base, passed: false, value: -1, detail: `automated backups of ${config.databaseInstanceId} are not replicated to ${config.dr.region}` };
  const { DBInstanceAutomatedBackups = [] } = await drRds.send(new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceAutomatedBackupsArn: arn }));
  const replicated = DBInstanceAutomatedBackups[0];
  const latest = replicated?.RestoreWindow?.LatestTime;
  if (!latest) {
    return { ...base, passed: false, value: -1, detail: `replicated backups in ${config.dr.region} have no restorable time yet (status ${replicated?.Status ?? 'missing'})` };
  }
  const lagSeconds = Math.max(0, Math.round((now.getTime() - latest.getTime()) / 1000));
  return {
    ...base,
    passed: lagSeconds <= base.target,
    value: lagSeconds,
    detail: `latest restorable time in ${config.dr.region} ${latest.toISOString()} is ${Math.round(lagSeconds / 60)} min behind (status ${replicated?.Status ?? 'unknown'})`,
  };
};

/** The newest EFS recovery point copied into the DR vault is recent and kept as long as in the primary region. */
export const drEfsCopy: Check = async ({ drBackup }, config, now) => {
  const points = [];
  for await (const page of paginateListRecoveryPointsByBackupVault({ client: drBackup }, { BackupVaultName: config.dr.vaultName, ByResourceArn: config.fileSystemArn })) {
    points.push(...(page.RecoveryPoints ?? []));
  }
  const newest = points
    .filter((p) => p.Status === 'COMPLETED' && p.CreationDate)
    .sort((a, b) => b.CreationDate!.getTime() - a.CreationDate!.getTime())[0];
  const age = newest ? hours(now.getTime() - newest.CreationDate!.getTime()) : Number.POSITIVE_INFINITY;
  const keptDays = newest?.Lifecycle?.DeleteAfterDays;
  return {
    name: 'DrEfsCopyAgeHours',
    passed: age <= config.efsMaxAgeHours && keptDays === config.efsRetentionDays,
    value: Number.isFinite(age) ? age : -1,
    unit: 'hours',
    target: config.efsMaxAgeHours,
    detail: newest
      ? `newest EFS copy in ${config.dr.vaultName} is ${age} h old, kept ${keptDays === undefined ? 'without expiry' : `${keptDays} days`} (expected ${config.efsRetentionDays})`
      : `no completed EFS copy in ${config.dr.vaultName} (${config.dr.region})`,
  };
};

interface EcrImage {
  readonly repositoryName: string;
  readonly tag?: string;
  readonly digest?: string;
  readonly uri: string;
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>` or `...@sha256:<digest>`; undefined for other registries. */
export function parseEcrImage(uri: string): EcrImage | undefined {
  const match = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/([^:@]+)(?::([^@]+))?(?:@(sha256:[a-f0-9]+))?$/.exec(uri);
  if (!match?.[1]) return undefined;
  return { repositoryName: match[1], tag: match[2], digest: match[3], uri };
}

async function imageDigest(ecr: ECRClient, image: EcrImage): Promise<string | undefined> {
  try {
    const { imageDetails = [] } = await ecr.send(
      new DescribeImagesCommand({ repositoryName: image.repositoryName, imageIds: [image.digest ? { imageDigest: image.digest } : { imageTag: image.tag ?? 'latest' }] }),
    );
    return imageDetails[0]?.imageDigest;
  } catch (error) {
    if (error instanceof Error && (error.name === 'ImageNotFoundException' || error.name === 'RepositoryNotFoundException')) return undefined;
    throw error;
  }
}

/** Every ECR image the running services use exists in the DR region with the same digest. */
export const drImagesReplicated: Check = async ({ ecs, ecr, drEcr }, config) => {
  const base = { name: 'DrImagesMissing', unit: 'count', target: 0 };
  const { services = [] } = await ecs.send(new DescribeServicesCommand({ cluster: config.dr.clusterName, services: [...config.dr.serviceNames] }));
  const images = new Map<string, EcrImage>();
  for (const service of services) {
    if (!service.taskDefinition) continue;
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }));
    for (const container of taskDefinition?.containerDefinitions ?? []) {
      const image = container.image ? parseEcrImage(container.image) : undefined;
      if (image) images.set(image.uri, image);
    }
  }
  if (images.size === 0) return { ...base, passed: false, value: -1, detail: `no ECR image found in the task definitions of ${config.dr.serviceNames.join(', ')}` };
  const missing: string[] = [];
  for (const image of images.values()) {
    const primary = await imageDigest(ecr, image);
    const replica = await imageDigest(drEcr, image);
    if (!replica) missing.push(`${image.repositoryName}:${image.tag ?? image.digest} is not in ${config.dr.region}`);
    else if (primary && primary !== replica) missing.push(`${image.repositoryName}:${image.tag} differs in ${config.dr.region} (${replica} vs ${primary})`);
  }
  return {
    ...base,
    passed: missing.length === 0,
    value: missing.length,
    detail: missing.length ? missing.join('; ') : `all ${images.size} running images are replicated to ${config.dr.region}`,
  };
};

/** Every application secret has an in-sync replica in the DR region. */
export const drSecretsInSync: Check = async ({ secrets }, config) => {
  const problems: string[] = [];
  for (const secretId of config.dr.secretIds) {
    const { ReplicationStatus = [] } = await secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
    const replica = ReplicationStatus.find((r) => r.Region === config.dr.region);
    if (!replica) problems.push(`${secretId} has no replica in ${config.dr.region}`);
    else if (replica.Status !== 'InSync') problems.push(`${secretId} replica is ${replica.Status ?? 'unknown'}${replica.StatusMessage ? ` (${replica.StatusMessage})` : ''}`);
  }
  return {
    name: 'DrSecretsOutOfSync',
    passed: config.dr.secretIds.length > 0 && problems.length === 0,
    value: problems.length,
    unit: 'count',
    target: 0,
    detail: problems.length ? problems.join('; ') : `all ${config.dr.secretIds.length} secrets are in sync in ${config.dr.region}`,
  };
};

export const DR_CHECKS: readonly { readonly name: string; readonly run: Check }[] = [
  { name: 'DrBackupReplicationLagSeconds', run: drBackupReplicationLag },
  { name: 'DrEfsCopyAgeHours', run: drEfsCopy },
  { name: 'DrImagesMissing', run: drImagesReplicated },
  { name: 'DrSecretsOutOfSync', run: drSecretsInSync },
];
