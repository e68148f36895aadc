import { type BackupClient, DescribeRestoreJobCommand, GetRecoveryPointRestoreMetadataCommand, ListRecoveryPointsByBackupVaultCommand, ListRestoreJobsCommand, StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { DescribeImagesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, type ECSClient, ListTasksCommand, RunTaskCommand, StopTaskCommand, type Task } from '@aws-sdk/client-ecs';
import { DeleteFileSystemCommand, DescribeFileSystemsCommand, type EFSClient, type FileSystemDescription, TagResourceCommand } from '@aws-sdk/client-efs';
import {
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  type DBInstance,
  DeleteDBInstanceCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  type RDSClient,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { GetParameterCommand, ParameterNotFound, type SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import type { EnvironmentName } from '../../contracts/environments.js';
import { type PollState, drillInstanceId, nextPoll } from '../restore-drill/drill.js';
import { parseEcrImage } from '../backup-verification/dr-checks.js';
import { classifyAwsError } from '../restore-drill/errors.js';
import { SimulationError } from './errors.js';

/** Tags every resource the simulation creates carries: teardown touches nothing without them. */
export const SIMULATION_TAG = { purpose: 'financehub:purpose', execution: 'financehub:dr-simulation-execution', environment: 'financehub:environment' } as const;
export const SIMULATION_PURPOSE = 'dr-simulation';

export interface SimulationPrices {
  readonly databaseInstanceHourUsd: number;
  readonly databaseStorageGbMonthUsd: number;
  readonly fargateVcpuHourUsd: number;
  readonly fargateGbHourUsd: number;
  readonly efsGbMonthUsd: number;
}

export interface SimulationConfig {
  readonly environment: EnvironmentName;
  readonly drRegion: string;
  readonly sourceInstanceId: string;
  /** `${prefix}-drsim-`: the only database identifiers this function restores into or deletes. */
  readonly instancePrefix: string;
  readonly instanceClass: string;
  readonly subnetGroupName: string;
  readonly vaultName: string;
  /** SSM parameter (DR region) the DR stack writes: the pilot light's ids (`DrPieces`). */
  readonly drParameter: string;
  readonly cluster: string;
  readonly taskFamily: string;
  readonly containerName: string;
  readonly containerPort: number;
  readonly taskCpu: number;
  readonly taskMemoryMiB: number;
  readonly rtoMinutes: number;
  readonly rpoMinutes: number;
  /** The stop condition: the simulation tears down once it ran this long or its estimated cost passed the bound. */
  readonly maxMinutes: number;
  readonly maxCostUsd: number;
  readonly prices: SimulationPrices;
  readonly pollInitialSeconds: number;
  readonly pollMaxSeconds: number;
  readonly healthIntervalSeconds: number;
  readonly consecutiveSuccesses: number;
  readonly healthWaitCapMinutes: number;
  readonly teardownWaitCapMinutes: number;
}

/** The DR stack's pieces whose ids CloudFormation generates, read from its SSM parameter at the start. */
export const drPiecesSchema = z.object({
  subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/)).min(1),
  databaseSecurityGroupId: z.string().regex(/^sg-[0-9a-f]+$/),
  servicesSecurityGroupId: z.string().regex(/^sg-[0-9a-f]+$/),
  restoreRoleArn: z.string().startsWith('arn:'),
  drKeyArn: z.string().startsWith('arn:'),
  agentFunctionArn: z.string().startsWith('arn:'),
});
export type DrPieces = z.infer<typeof drPiecesSchema>;

/** Fixed at the start: what will be restored, into what, and the bounds. */
export interface SimulationPlan {
  readonly executionName: string;
  readonly startedAt: string;
  readonly checkedAt: string;
  readonly requestedBy?: string;
  readonly approvedBy?: string;
  readonly instanceId: string;
  readonly automatedBackupsArn: string;
  readonly allocatedStorageGb: number;
  /** Latest restorable time of the replicated backups when the simulation started. */
  readonly latestRestorableTime: string;
  readonly recoveryPointArn: string;
  readonly recoveryPointCreatedAt: string;
  readonly recoveryPointBytes: number;
  readonly creationToken: string;
  readonly taskDefinitionArn: string;
  readonly image: string;
  readonly dr: DrPieces;
  /** When the drill lock this execution took expires (set by the plan step). */
  readonly lockExpiresAt?: string;
  /** Short form of the execution name: ECS startedBy and the EFS creation token. */
  readonly runId: string;
  readonly deadline: string;
  /** Estimated cost of one hour with everything running. */
  readonly hourlyCostUsd: number;
}

export interface RestoreProgress extends PollState {
  readonly databaseRequestedAt: string;
  /** The replicated backups' latest restorable time read at the restore request: the point restored. */
  readonly restorePoint: string;
  readonly restoreJobId: string;
  readonly databaseStatus: string;
  readonly databaseAvailableAt?: string;
  readonly endpoint?: string;
  readonly port?: number;
  readonly restoreJobStatus: string;
  readonly fileSystemId?: string;
  readonly fileSystemRestoredAt?: string;
  readonly ready: boolean;
  readonly stopReason?: string;
}

export interface BackendProgress extends PollState {
  readonly taskArn: string;
  readonly requestedAt: string;
  readonly lastStatus: string;
  readonly address?: string;
  readonly runningAt?: string;
  readonly probes: number;
  readonly consecutiveSuccesses: number;
  readonly lastProbe?: string;
  readonly healthy: boolean;
  readonly healthyAt?: string;
  readonly verification?: DatabaseVerification;
  readonly stopReason?: string;
}

/** What the DR agent found in the restored database (restore-drill/verify.ts inspectRestoredDatabase). */
export interface DatabaseVerification {
  readonly passed: boolean;
  readonly problems: readonly string[];
  readonly newestWrite?: string;
  readonly tables: readonly { readonly table: string; readonly exists: boolean; readonly rows?: number; readonly newestWrite?: string }[];
  readonly verifiedAt: string;
}

/** What the agent answers to one probe: the health endpoint's answer and, once asked, the verification SQL's findings. */
export interface AgentAnswer {
  readonly ok: boolean;
  readonly status?: number;
  readonly error?: string;
  readonly verification?: DatabaseVerification;
}

export interface AgentRequest {
  readonly action: 'probeAndVerify';
  readonly healthUrl: string;
  readonly database?: { readonly host: string; readonly port: number };
}

export interface TeardownProgress extends PollState {
  readonly gone: boolean;
  /** What is still there, in words. */
  readonly pending: readonly string[];
  /** What this execution asked AWS to remove, over all passes. */
  readonly actions: readonly string[];
  readonly goneAt?: string;
}

export interface SimulationDependencies {
  readonly ssm: SSMClient;
  readonly rds: RDSClient;
  readonly backup: BackupClient;
  readonly efs: EFSClient;
  readonly ecs: ECSClient;
  readonly ecr: ECRClient;
  readonly agent: (functionArn: string, request: AgentRequest) => Promise<AgentAnswer>;
  readonly config: SimulationConfig;
}

const hours = (fromIso: string, to: Date) => Math.max(0, (to.getTime() - Date.parse(fromIso)) / 3_600_000);

/** Estimated cost so far: everything counted as running since the start (an upper bound, the honest side). */
export function costSoFar(plan: Pick<SimulationPlan, 'startedAt' | 'hourlyCostUsd'>, now: Date): number {
  return Math.round(hours(plan.startedAt, now) * plan.hourlyCostUsd * 100) / 100;
}

/** Why the simulation must stop now, if it must: its time or its cost bound. */
export function stopReason(config: SimulationConfig, plan: SimulationPlan, now: Date): string | undefined {
  if (now.getTime() >= Date.parse(plan.deadline)) return `the time bound of ${config.maxMinutes} minutes was reached`;
  const cost = costSoFar(plan, now);
  if (cost >= config.maxCostUsd) return `the estimated cost reached $${cost.toFixed(2)} (bound $${config.maxCostUsd})`;
  return undefined;
}

function hourlyCost(config: SimulationConfig, storageGb: number, fileSystemBytes: number): number {
  const { prices } = config;
  const gb = fileSystemBytes / 1024 ** 3;
  const perMonth = 730;
  return (
    prices.databaseInstanceHourUsd +
    (storageGb * prices.databaseStorageGbMonthUsd) / perMonth +
    (config.taskCpu / 1024) * prices.fargateVcpuHourUsd +
    (config.taskMemoryMiB / 1024) * prices.fargateGbHourUsd +
    (gb * prices.efsGbMonthUsd) / perMonth
  );
}

const tags = (config: SimulationConfig, executionName: string) => [
  { Key: SIMULATION_TAG.purpose, Value: SIMULATION_PURPOSE },
  { Key: SIMULATION_TAG.execution, Value: executionName },
  { Key: SIMULATION_TAG.environment, Value: config.environment },
];

type AnyTag = { readonly Key?: string; readonly Value?: string } | { readonly key?: string; readonly value?: string };

/** A tag's value in RDS and EFS (`Key`/`Value`) or ECS (`key`/`value`) spelling. */
function tagOf(list: readonly AnyTag[] | undefined, key: string): string | undefined {
  for (const tag of list ?? []) {
    const { Key, Value, key: lower, value } = tag as { Key?: string; Value?: string; key?: string; value?: string };
    if ((Key ?? lower) === key) return Value ?? value;
  }
  return undefined;
}

async function aws<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyAwsError(error, doing);
  }
}

async function describeInstance(rds: RDSClient, instanceId: string): Promise<DBInstance | undefined> {
  try {
    const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }));
    return DBInstances[0];
  } catch (error) {
    if (error instanceof DBInstanceNotFoundFault) return undefined;
    throw classifyAwsError(error, `describing ${instanceId}`);
  }
}

/** The source's automated backups replicated to the DR region (status `replicating` while the source lives). */
async function replicatedBackups(deps: SimulationDependencies) {
  const { DBInstanceAutomatedBackups = [] } = await aws('reading the replicated automated backups', () =>
    deps.rds.send(new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: deps.config.sourceInstanceId })),
  );
  return DBInstanceAutomatedBackups.find((backup) => backup.DBInstanceAutomatedBackupsArn && backup.RestoreWindow?.LatestTime);
}

async function drPieces(deps: SimulationDependencies): Promise<DrPieces> {
  const { config } = deps;
  let value: string | undefined;
  try {
    value = (await deps.ssm.send(new GetParameterCommand({ Name: config.drParameter }))).Parameter?.Value;
  } catch (error) {
    if (error instanceof ParameterNotFound) throw new SimulationError('PreconditionFailed', `The DR stack's parameter ${config.drParameter} does not exist in ${config.drRegion} (is the DR stack deployed?)`);
    throw classifyAwsError(error, `reading ${config.drParameter}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value ?? '');
  } catch {
    parsed = undefined;
  }
  const pieces = drPiecesSchema.safeParse(parsed);
  if (!pieces.success) throw new SimulationError('PreconditionFailed', `The DR stack's parameter ${config.drParameter} is malformed (${pieces.error.issues.map((i) => i.path.join('.') || 'value').join(', ')})`);
  return pieces.data;
}

function assertSimulationInstance(config: SimulationConfig, instanceId: string): void {
  if (!instanceId.startsWith(config.instancePrefix)) throw new SimulationError('InvalidInput', `Refusing to touch ${instanceId}: simulation instances are named ${config.instancePrefix}<date>`);
}

/**
 * What the simulation restores, checked before anything is created (once the drill lock is taken): replicated
 * automated backups, a completed EFS copy in the DR vault, and the DR backend's task
 * definition with its image present in the DR registry.
 */
export async function planSimulation(
  deps: SimulationDependencies,
  input: { executionName: string; startedAt: string; requestedBy?: string; approvedBy?: string },
  now: Date,
): Promise<SimulationPlan> {
  const { config } = deps;
  const dr = await drPieces(deps);
  const backups = await replicatedBackups(deps);
  if (!backups?.DBInstanceAutomatedBackupsArn || !backups.RestoreWindow?.LatestTime) {
    throw new SimulationError('PreconditionFailed', `No automated backups of ${config.sourceInstanceId} are replicated to ${config.drRegion}`);
  }
  const { RecoveryPoints = [] } = await aws('listing the EFS copies in the DR vault', () =>
    deps.backup.send(new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: config.vaultName, ByResourceType: 'EFS' })),
  );
  const copy = RecoveryPoints.filter((point) => point.Status === 'COMPLETED' && point.RecoveryPointArn && point.CreationDate).sort((a, b) => (b.CreationDate?.getTime() ?? 0) - (a.CreationDate?.getTime() ?? 0))[0];
  if (!copy?.RecoveryPointArn || !copy.CreationDate) throw new SimulationError('PreconditionFailed', `No completed EFS copy in the DR vault ${config.vaultName}`);
  const { taskDefinition } = await aws(`reading the task definition ${config.taskFamily}`, () => deps.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: config.taskFamily })));
  const container = taskDefinition?.containerDefinitions?.find((c) => c.name === config.containerName);
  const image = container?.image ? parseEcrImage(container.image) : undefined;
  if (!taskDefinition?.taskDefinitionArn || !image) throw new SimulationError('PreconditionFailed', `The DR task definition ${config.taskFamily} has no ${config.containerName} container with an ECR image`);
  try {
    const { imageDetails = [] } = await deps.ecr.send(new DescribeImagesCommand({ repositoryName: image.repositoryName, imageIds: [image.digest ? { imageDigest: image.digest } : { imageTag: image.tag ?? 'latest' }] }));
    if (imageDetails.length === 0) throw new SimulationError('PreconditionFailed', `The image ${image.uri} is not in ${config.drRegion}`);
  } catch (error) {
    if (error instanceof SimulationError) throw error;
    if (error instanceof Error && (error.name === 'ImageNotFoundException' || error.name === 'RepositoryNotFoundException')) {
      throw new SimulationError('PreconditionFailed', `The image ${image.uri} is not replicated to ${config.drRegion}`, { cause: error });
    }
    throw classifyAwsError(error, `reading the image ${image.uri}`);
  }
  const instanceId = drillInstanceId(config.instancePrefix, new Date(input.startedAt), input.executionName);
  const allocatedStorageGb = backups.AllocatedStorage ?? 0;
  const recoveryPointBytes = copy.BackupSizeInBytes ?? 0;
  return {
    executionName: input.executionName,
    startedAt: input.startedAt,
    checkedAt: now.toISOString(),
    requestedBy: input.requestedBy,
    approvedBy: input.approvedBy,
    instanceId,
    automatedBackupsArn: backups.DBInstanceAutomatedBackupsArn,
    allocatedStorageGb,
    latestRestorableTime: backups.RestoreWindow.LatestTime.toISOString(),
    recoveryPointArn: copy.RecoveryPointArn,
    recoveryPointCreatedAt: copy.CreationDate.toISOString(),
    recoveryPointBytes,
    creationToken: instanceId,
    taskDefinitionArn: taskDefinition.taskDefinitionArn,
    image: image.uri,
    dr,
    runId: instanceId.slice(config.instancePrefix.length),
    deadline: new Date(Date.parse(input.startedAt) + config.maxMinutes * 60_000).toISOString(),
    hourlyCostUsd: Math.round(hourlyCost(config, allocatedStorageGb, recoveryPointBytes) * 10_000) / 10_000,
  };
}

/**
 * Requests both restores: the database from the replicated automated backups at their latest restorable time into
 * the DR database subnets, and the file system from the newest copied recovery point as a new encrypted file system.
 * Safe to retry: a second call finds its own instance (execution tag) and the same restore job (idempotency token).
 */
export async function startRestores(deps: SimulationDependencies, plan: SimulationPlan, now: Date): Promise<RestoreProgress> {
  const { config } = deps;
  assertSimulationInstance(config, plan.instanceId);
  const backups = await replicatedBackups(deps);
  const restorePoint = backups?.RestoreWindow?.LatestTime?.toISOString() ?? plan.latestRestorableTime;
  try {
    await deps.rds.send(
      new RestoreDBInstanceToPointInTimeCommand({
        SourceDBInstanceAutomatedBackupsArn: plan.automatedBackupsArn,
        TargetDBInstanceIdentifier: plan.instanceId,
        UseLatestRestorableTime: true,
        DBInstanceClass: config.instanceClass,
        MultiAZ: false,
        DBSubnetGroupName: config.subnetGroupName,
        VpcSecurityGroupIds: [plan.dr.databaseSecurityGroupId],
        PubliclyAccessible: false,
        DeletionProtection: false,
        AutoMinorVersionUpgrade: false,
        CopyTagsToSnapshot: false,
        Tags: tags(config, plan.executionName),
      }),
    );
  } catch (error) {
    if (!(error instanceof DBInstanceAlreadyExistsFault)) {
      const classified = classifyAwsError(error, `restoring ${plan.automatedBackupsArn} into ${plan.instanceId}`);
      if (classified.name === 'TransientError') throw classified;
      throw new SimulationError('RestoreFailed', `RDS refused the restore into ${plan.instanceId}: ${classified.name}: ${classified.message}`, { cause: error });
    }
    const existing = await describeInstance(deps.rds, plan.instanceId);
    if (!existing || tagOf(existing.TagList, SIMULATION_TAG.execution) !== plan.executionName) {
      throw new SimulationError('RestoreFailed', `${plan.instanceId} already exists and belongs to another execution; this one restored nothing into it.`, { cause: error });
    }
  }
  const { RestoreMetadata = {} } = await aws('reading the restore metadata of the EFS copy', () =>
    deps.backup.send(new GetRecoveryPointRestoreMetadataCommand({ BackupVaultName: config.vaultName, RecoveryPointArn: plan.recoveryPointArn })),
  );
  let restoreJobId: string | undefined;
  try {
    ({ RestoreJobId: restoreJobId } = await deps.backup.send(
      new StartRestoreJobCommand({
        RecoveryPointArn: plan.recoveryPointArn,
        IamRoleArn: plan.dr.restoreRoleArn,
        ResourceType: 'EFS',
        // The same token returns the same job: a retry after a lost answer starts nothing twice.
        IdempotencyToken: plan.executionName,
        Metadata: { ...RestoreMetadata, newFileSystem: 'true', Encrypted: 'true', KmsKeyId: plan.dr.drKeyArn, CreationToken: plan.creationToken, PerformanceMode: RestoreMetadata.PerformanceMode ?? 'generalPurpose' },
      }),
    ));
  } catch (error) {
    const classified = classifyAwsError(error, `restoring ${plan.recoveryPointArn}`);
    if (classified.name === 'TransientError') throw classified;
    throw new SimulationError('RestoreFailed', `AWS Backup refused the EFS restore of ${plan.recoveryPointArn}: ${classified.name}: ${classified.message}`, { cause: error });
  }
  if (!restoreJobId) throw new SimulationError('RestoreFailed', `AWS Backup started the EFS restore of ${plan.recoveryPointArn} without naming its job.`);
  return {
    ...nextPoll(undefined, config, config.rtoMinutes, 'creating', now),
    databaseRequestedAt: now.toISOString(),
    restorePoint,
    restoreJobId,
    databaseStatus: 'creating',
    restoreJobStatus: 'PENDING',
    ready: false,
  };
}

const DATABASE_FAILED = new Set(['failed', 'incompatible-restore', 'incompatible-parameters', 'incompatible-network', 'storage-full', 'inaccessible-encryption-credentials', 'restore-error']);

/** One look at both restores; the file system is tagged with the execution once it exists. */
export async function checkRestores(deps: SimulationDependencies, plan: SimulationPlan, previous: RestoreProgress, now: Date): Promise<RestoreProgress> {
  const { config } = deps;
  const instance = await describeInstance(deps.rds, plan.instanceId);
  const databaseStatus = instance?.DBInstanceStatus ?? 'not-found';
  if (!instance || DATABASE_FAILED.has(databaseStatus)) throw new SimulationError('RestoreFailed', `The restored instance ${plan.instanceId} is ${databaseStatus}.`);
  const job = await aws(`reading the restore job ${previous.restoreJobId}`, () => deps.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: previous.restoreJobId })));
  const restoreJobStatus = job.Status ?? 'unknown';
  if (restoreJobStatus === 'FAILED' || restoreJobStatus === 'ABORTED') {
    throw new SimulationError('RestoreFailed', `The EFS restore job ${previous.restoreJobId} is ${restoreJobStatus}: ${job.StatusMessage ?? 'no message'}.`);
  }
  const fileSystemId = job.CreatedResourceArn?.split('/').at(-1);
  if (restoreJobStatus === 'COMPLETED' && fileSystemId && job.CreatedResourceArn && !previous.fileSystemRestoredAt) {
    await aws(`tagging ${fileSystemId}`, () => deps.efs.send(new TagResourceCommand({ ResourceId: fileSystemId, Tags: tags(config, plan.executionName) })));
  }
  const databaseAvailable = databaseStatus === 'available' && instance.Endpoint?.Address !== undefined;
  const fileSystemDone = restoreJobStatus === 'COMPLETED' && fileSystemId !== undefined;
  const ready = databaseAvailable && fileSystemDone;
  const poll = nextPoll(previous, config, config.rtoMinutes, `${databaseStatus}/${restoreJobStatus}`, now);
  const stop = ready ? undefined : stopReason(config, plan, now);
  return {
    ...poll,
    databaseRequestedAt: previous.databaseRequestedAt,
    restorePoint: previous.restorePoint,
    restoreJobId: previous.restoreJobId,
    databaseStatus,
    databaseAvailableAt: previous.databaseAvailableAt ?? (databaseAvailable ? now.toISOString() : undefined),
    endpoint: instance.Endpoint?.Address,
    port: instance.Endpoint?.Port,
    restoreJobStatus,
    fileSystemId,
    fileSystemRestoredAt: previous.fileSystemRestoredAt ?? (fileSystemDone ? now.toISOString() : undefined),
    ready,
    capReached: !ready && (poll.capReached || stop !== undefined),
    stopReason: ready ? undefined : (stop ?? (poll.capReached ? `the restores were not done within ${config.rtoMinutes} minutes` : undefined)),
  };
}

async function simulationTasks(deps: SimulationDependencies, plan: SimulationPlan): Promise<Task[]> {
  const { config } = deps;
  const arns: string[] = [];
  for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
    const { taskArns = [] } = await aws('listing the simulation tasks', () => deps.ecs.send(new ListTasksCommand({ cluster: config.cluster, startedBy: plan.runId, desiredStatus })));
    arns.push(...taskArns);
  }
  if (arns.length === 0) return [];
  const { tasks = [] } = await aws('describing the simulation tasks', () => deps.ecs.send(new DescribeTasksCommand({ cluster: config.cluster, tasks: arns, include: ['TAGS'] })));
  return tasks.filter((task) => tagOf(task.tags, SIMULATION_TAG.execution) === plan.executionName);
}

/**
 * Starts one backend task (desired count 1) in the DR private subnets from the DR task definition (the replicated
 * image) against the restored database. A retry finds the task it started (startedBy and the execution tag).
 */
export async function startBackend(deps: SimulationDependencies, plan: SimulationPlan, restores: RestoreProgress, now: Date): Promise<BackendProgress> {
  const { config } = deps;
  if (!restores.ready || !restores.endpoint) throw new SimulationError('BackendFailed', `The restored database ${plan.instanceId} has no endpoint; no backend was started.`);
  const existing = (await simulationTasks(deps, plan)).find((task) => task.desiredStatus === 'RUNNING');
  let taskArn = existing?.taskArn;
  if (!taskArn) {
    const { tasks = [], failures = [] } = await aws('starting the DR backend task', () =>
      deps.ecs.send(
        new RunTaskCommand({
          cluster: config.cluster,
          taskDefinition: plan.taskDefinitionArn,
          count: 1,
          launchType: 'FARGATE',
          startedBy: plan.runId,
          clientToken: plan.executionName.slice(0, 64),
          networkConfiguration: { awsvpcConfiguration: { subnets: [...plan.dr.subnetIds], securityGroups: [plan.dr.servicesSecurityGroupId], assignPublicIp: 'DISABLED' } },
          overrides: {
            containerOverrides: [
              {
                name: config.containerName,
                environment: [
                  { name: 'DATABASE_HOST', value: restores.endpoint },
                  { name: 'DATABASE_PORT', value: String(restores.port ?? 5432) },
                ],
              },
            ],
          },
          tags: tags(config, plan.executionName).map((tag) => ({ key: tag.Key, value: tag.Value })),
        }),
      ),
    );
    taskArn = tasks[0]?.taskArn;
    if (!taskArn) throw new SimulationError('BackendFailed', `ECS started no backend task: ${failures.map((f) => `${f.reason ?? 'unknown'} ${f.detail ?? ''}`.trim()).join('; ') || 'no reason given'}.`);
  }
  return {
    ...nextPoll(undefined, config, config.healthWaitCapMinutes, 'PROVISIONING', now),
    taskArn,
    requestedAt: now.toISOString(),
    lastStatus: 'PROVISIONING',
    probes: 0,
    consecutiveSuccesses: 0,
    healthy: false,
  };
}

const privateAddress = (task: Task) => task.attachments?.flatMap((attachment) => attachment.details ?? []).find((detail) => detail.name === 'privateIPv4Address')?.value;

/**
 * One look at the backend: while ECS starts it, wait; once it runs, the DR agent probes `/api/health` in the DR
 * network and (once) runs the verification SQL on the restored database. Healthy after N successes in a row.
 */
export async function checkBackend(deps: SimulationDependencies, plan: SimulationPlan, restores: RestoreProgress, previous: BackendProgress, now: Date): Promise<BackendProgress> {
  const { config } = deps;
  const { tasks = [] } = await aws(`describing ${previous.taskArn}`, () => deps.ecs.send(new DescribeTasksCommand({ cluster: config.cluster, tasks: [previous.taskArn] })));
  const task = tasks[0];
  const lastStatus = task?.lastStatus ?? 'MISSING';
  if (!task || lastStatus === 'STOPPED' || lastStatus === 'DEPROVISIONING' || lastStatus === 'STOPPING') {
    throw new SimulationError('BackendFailed', `The DR backend task ${previous.taskArn} is ${lastStatus}${task?.stoppedReason ? `: ${task.stoppedReason}` : ''}.`);
  }
  const address = privateAddress(task);
  const base = { taskArn: previous.taskArn, requestedAt: previous.requestedAt, lastStatus, address };
  if (lastStatus !== 'RUNNING' || !address) {
    const poll = nextPoll(previous, config, config.healthWaitCapMinutes, lastStatus, now);
    const stop = stopReason(config, plan, now);
    return {
      ...previous,
      ...poll,
      ...base,
      capReached: poll.capReached || stop !== undefined,
      stopReason: stop ?? (poll.capReached ? `the backend task was not running within ${config.healthWaitCapMinutes} minutes` : undefined),
    };
  }
  const answer = await deps.agent(plan.dr.agentFunctionArn, {
    action: 'probeAndVerify',
    healthUrl: `http://${address}:${config.containerPort}/api/health`,
    database: previous.verification || !restores.endpoint ? undefined : { host: restores.endpoint, port: restores.port ?? 5432 },
  });
  const consecutiveSuccesses = answer.ok ? previous.consecutiveSuccesses + 1 : 0;
  const verification = previous.verification ?? answer.verification;
  const healthy = consecutiveSuccesses >= config.consecutiveSuccesses;
  const runningAt = previous.runningAt ?? now.toISOString();
  const waited = (now.getTime() - Date.parse(runningAt)) / 1000;
  const stop = healthy ? undefined : stopReason(config, plan, now);
  const capReached = !healthy && (waited >= config.healthWaitCapMinutes * 60 || stop !== undefined);
  return {
    ...nextPoll(previous, config, config.healthWaitCapMinutes, lastStatus, now),
    ...base,
    runningAt,
    probes: previous.probes + 1,
    consecutiveSuccesses,
    lastProbe: answer.ok ? `HTTP ${answer.status ?? 200}` : answer.status !== undefined ? `HTTP ${answer.status}` : (answer.error ?? 'no answer'),
    healthy,
    healthyAt: healthy ? now.toISOString() : undefined,
    verification,
    nextWaitSeconds: config.healthIntervalSeconds,
    capReached,
    stopReason: capReached ? (stop ?? `/api/health did not answer ${config.consecutiveSuccesses} times in a row within ${config.healthWaitCapMinutes} minutes of the task running`) : undefined,
  };
}

/**
 * The simulation's file system, as found by its creation token, and any restore job of its recovery point still
 * running (found by listing when the answer naming the job was lost): restore jobs cannot be cancelled, so the
 * teardown waits for the file system to exist and then deletes it.
 */
async function ownFileSystem(deps: SimulationDependencies, plan: SimulationPlan): Promise<{ fileSystem?: FileSystemDescription; jobsRunning: string[] }> {
  const { RestoreJobs = [] } = await aws('listing the EFS restore jobs', () =>
    deps.backup.send(new ListRestoreJobsCommand({ ByCreatedAfter: new Date(plan.startedAt), ByResourceType: 'EFS' })),
  );
  const jobsRunning = RestoreJobs.filter((job) => job.RecoveryPointArn === plan.recoveryPointArn && (job.Status === 'PENDING' || job.Status === 'RUNNING')).map(
    (job) => `EFS restore job ${job.RestoreJobId ?? 'unknown'} still ${job.Status ?? 'running'} (restore jobs cannot be cancelled; the file system is deleted once it exists)`,
  );
  const { FileSystems = [] } = await aws('finding the restored file system', () => deps.efs.send(new DescribeFileSystemsCommand({ CreationToken: plan.creationToken })));
  return { fileSystem: FileSystems[0], jobsRunning };
}

/**
 * One pass of the teardown, whatever the simulation reached: stops its backend task, deletes its database instance
 * and its file system (each only when tagged with this execution, or created with its token), and reads back what
 * is still there. Repeated until nothing is left; a database still being created refuses deletion and is retried.
 */
export async function tearDown(deps: SimulationDependencies, plan: SimulationPlan, previous: TeardownProgress | undefined, now: Date): Promise<TeardownProgress> {
  const { config } = deps;
  assertSimulationInstance(config, plan.instanceId);
  const pending: string[] = [];
  const actions: string[] = [...(previous?.actions ?? [])];
  const act = (text: string) => {
    if (!actions.includes(text)) actions.push(text);
  };

  for (const task of await simulationTasks(deps, plan)) {
    if (task.lastStatus === 'STOPPED') continue;
    if (task.desiredStatus !== 'STOPPED') {
      await aws(`stopping ${task.taskArn}`, () => deps.ecs.send(new StopTaskCommand({ cluster: config.cluster, task: task.taskArn, reason: `DR simulation ${plan.executionName} teardown` })));
      act(`stopped the DR backend task ${task.taskArn}`);
    }
    pending.push(`backend task ${task.taskArn} ${task.lastStatus ?? 'stopping'}`);
  }

  const instance = await describeInstance(deps.rds, plan.instanceId);
  if (instance) {
    if (tagOf(instance.TagList, SIMULATION_TAG.execution) !== plan.executionName) {
      throw new SimulationError('CleanupFailed', `${plan.instanceId} is not tagged ${SIMULATION_TAG.execution}=${plan.executionName}; not deleting it.`);
    }
    if (instance.DBInstanceStatus !== 'deleting') {
      try {
        await deps.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: plan.instanceId, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }));
        act(`deleted the restored instance ${plan.instanceId} (no final snapshot)`);
      } catch (error) {
        if (!(error instanceof DBInstanceNotFoundFault)) {
          // Still being created or modified: RDS refuses the deletion for now; the next pass asks again.
          if (!(error instanceof InvalidDBInstanceStateFault)) throw classifyAwsError(error, `deleting ${plan.instanceId}`);
        }
      }
    }
    pending.push(`database ${plan.instanceId} ${instance.DBInstanceStatus ?? 'unknown'}`);
  }

  const { fileSystem, jobsRunning } = await ownFileSystem(deps, plan);
  pending.push(...jobsRunning);
  if (fileSystem?.FileSystemId) {
    const owned = fileSystem.CreationToken === plan.creationToken || tagOf(fileSystem.Tags, SIMULATION_TAG.execution) === plan.executionName;
    if (!owned) throw new SimulationError('CleanupFailed', `${fileSystem.FileSystemId} was not created by ${plan.executionName}; not deleting it.`);
    if (fileSystem.LifeCycleState === 'available') {
      await aws(`deleting ${fileSystem.FileSystemId}`, () => deps.efs.send(new DeleteFileSystemCommand({ FileSystemId: fileSystem.FileSystemId })));
      act(`deleted the restored file system ${fileSystem.FileSystemId}`);
    }
    if (fileSystem.LifeCycleState !== 'deleted') pending.push(`file system ${fileSystem.FileSystemId} ${fileSystem.LifeCycleState ?? 'unknown'}`);
  }

  const poll = nextPoll(previous, config, config.teardownWaitCapMinutes, pending.length ? 'pending' : 'gone', now);
  const gone = pending.length === 0;
  return { ...poll, gone, pending, actions, goneAt: gone ? now.toISOString() : undefined, capReached: !gone && poll.capReached };
}

/** Commands an operator runs for what the teardown could not remove. */
export function manualTeardownCommands(config: Pick<SimulationConfig, 'drRegion' | 'cluster'>, plan: Pick<SimulationPlan, 'instanceId' | 'creationToken' | 'runId'>): string[] {
  const region = `--region ${config.drRegion}`;
  return [
    `aws ecs list-tasks --cluster ${config.cluster} --started-by ${plan.runId} ${region}  # then aws ecs stop-task for each`,
    `aws rds delete-db-instance --db-instance-identifier ${plan.instanceId} --skip-final-snapshot --delete-automated-backups ${region}`,
    `aws efs describe-file-systems --creation-token ${plan.creationToken} ${region}  # then aws efs delete-file-system --file-system-id <id>`,
  ];
}

