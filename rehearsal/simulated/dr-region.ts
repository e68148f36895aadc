import { ListRecoveryPointsByBackupVaultCommand, BackupClient } from '@aws-sdk/client-backup';
import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeDBInstanceAutomatedBackupsCommand, RDSClient } from '@aws-sdk/client-rds';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SimulatedAccount } from './account.js';
import { SimulatedEcs } from './ecs.js';
import { SERVICES } from '../../contracts/environments.js';

export interface SimulatedDrCopiesOptions {
  /** Environment prefix, e.g. `financehub-staging`. */
  readonly prefix: string;
  readonly accountId: string;
  readonly primaryRegion: string;
  readonly drRegion: string;
  /** How far the replicated backups' latest restorable time is behind now. @default 6 */
  readonly replicationLagMinutes?: number;
  /** Age of the newest EFS copy in the DR vault. @default 2 */
  readonly efsCopyAgeHours?: number;
  /** Image tag the services run. @default v42 */
  readonly imageTag?: string;
  /** The running image tags were never replicated. @default false */
  readonly imagesMissing?: boolean;
}

/**
 * The DR region as the recovery checks read it: replicated automated backups, the EFS copies in the DR vault, the
 * running services' images in both regions' ECR (answered by the client's region) and the secrets' replica status.
 */
export function simulateDrCopies(account: SimulatedAccount, options: SimulatedDrCopiesOptions): void {
  const { prefix, accountId, drRegion } = options;
  const now = Date.now();
  const tag = options.imageTag ?? 'v42';
  account.mock(RDSClient).on(DescribeDBInstanceAutomatedBackupsCommand).callsFake((input: { DBInstanceAutomatedBackupsArn?: string }) => ({
    DBInstanceAutomatedBackups: [
      {
        DBInstanceAutomatedBackupsArn: input.DBInstanceAutomatedBackupsArn,
        DBInstanceIdentifier: `${prefix}-db`,
        Region: options.primaryRegion,
        Status: 'replicating',
        RestoreWindow: { EarliestTime: new Date(now - 7 * 86_400_000), LatestTime: new Date(now - (options.replicationLagMinutes ?? 6) * 60_000) },
      },
    ],
  }));
  account.mock(BackupClient).on(ListRecoveryPointsByBackupVaultCommand).resolves({
    RecoveryPoints: [
      {
        RecoveryPointArn: `arn:aws:backup:${drRegion}:${accountId}:recovery-point:copy-newest`,
        BackupVaultName: `${prefix}-dr-vault`,
        Status: 'COMPLETED',
        CreationDate: new Date(now - (options.efsCopyAgeHours ?? 2) * 3_600_000),
        Lifecycle: { DeleteAfterDays: 7 },
      },
    ],
  });
  // The environment's cluster and services: a service the checks name that does not exist is a MISSING failure.
  new SimulatedEcs(account, { region: options.primaryRegion, accountId, clusters: { [prefix]: SERVICES.map((service) => ({ name: `${prefix}-${service}` })) } });
  account.mock(ECSClient).on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
    const service = /task-definition\/(.+):\d+$/.exec(input.taskDefinition)?.[1]?.replace(`${prefix}-`, '') ?? 'backend';
    return { taskDefinition: { containerDefinitions: [{ image: `${accountId}.dkr.ecr.${options.primaryRegion}.amazonaws.com/${prefix}/${service}:${tag}` }] } };
  });
  account.mock(ECRClient).on(DescribeImagesCommand).callsFake(async (input: { repositoryName: string }, getClient) => {
    // A client built without a region is the function's own (Lambda sets AWS_REGION): the primary region.
    const region = await getClient().config.region().catch(() => options.primaryRegion);
    if (region === drRegion && options.imagesMissing) throw new ImageNotFoundException({ message: `The image with imageId {imageTag:'${tag}'} does not exist within the repository`, $metadata: {} });
    return { imageDetails: [{ repositoryName: input.repositoryName, imageDigest: `sha256:${Buffer.from(`${input.repositoryName}:${tag}`).toString('hex').slice(0, 64)}`, imageTags: [tag] }] };
  });
  account.mock(SecretsManagerClient).on(DescribeSecretCommand).callsFake((input: { SecretId: string }) => ({
    ARN: input.SecretId,
    ReplicationStatus: [{ Region: drRegion, Status: 'InSync', StatusMessage: 'Replication succeeded' }],
  }));
}
