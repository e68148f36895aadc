import {
  BackupClient,
  DescribeRestoreJobCommand,
  GetRecoveryPointRestoreMetadataCommand,
  ListRecoveryPointsByBackupVaultCommand,
  ListRestoreJobsCommand,
  ResourceNotFoundException as BackupResourceNotFound,
  type RestoreJobsListMember,
  StartRestoreJobCommand,
  type StartRestoreJobCommandInput,
} from '@aws-sdk/client-backup';
import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr';
import { ClientException, DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, RunTaskCommand, type RunTaskCommandInput, StopTaskCommand, type Task } from '@aws-sdk/client-ecs';
import { DeleteFileSystemCommand, DescribeFileSystemsCommand, EFSClient, type FileSystemDescription, FileSystemNotFound, TagResourceCommand } from '@aws-sdk/client-efs';
import { InvokeCommand, LambdaClient, ResourceNotFoundException as LambdaResourceNotFound } from '@aws-sdk/client-lambda';
import {
  DBInstanceAlreadyExistsFault,
  DBInstanceAutomatedBackupNotFoundFault,
  DBInstanceNotFoundFault,
  type DBInstance,
  DeleteDBInstanceCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  RDSClient,
  RestoreDBInstanceToPointInTimeCommand,
  type RestoreDBInstanceToPointInTimeCommandInput,
} from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { EnvironmentName } from '../../contracts/environments.js';
import type { ProbeFetch } from '../../functions/lib/health-probe.js';
import { environmentConfig } from '../../infra/config.js';
import { drRecoveryNames } from '../../infra/constructs/dr-recovery-compute.js';
import { repositoryName } from '../../infra/stacks/registry-stack.js';
import type { SimulatedAccount } from './account.js';
import type { SimulatedClock } from './clock.js';

/** What AWS answers about a simulated resource: a copy without the simulation's own bookkeeping fields. */
function answer<T extends object>(resource: T, ...bookkeeping: string[]): T {
  const copy = structuredClone(resource) as Record<string, unknown>;
  for (const key of bookkeeping) delete copy[key];
  return copy as T;
}

/** The DR agent as the simulated Lambda runs it: the real handler, built when first invoked. */
export type AgentHandler = (event: unknown) => Promise<unknown>;

export interface SimulatedDrRecoveryOptions {
  readonly environment: EnvironmentName;
  /** How far the replicated backups' latest restorable time is behind the clock. @default 6 */
  readonly replicationLagMinutes?: number;
  /** Minutes a restored database is `creating`. @default 38 */
  readonly databaseRestoreMinutes?: number;
  /** Minutes an EFS restore job runs. @default 12 */
  readonly fileSystemRestoreMinutes?: number;
  /** The EFS restore job fails this many minutes after it started (a restore failing midway). */
  readonly fileSystemRestoreFailsAfterMinutes?: number;
  /** Minutes a backend task takes from RunTask to RUNNING. @default 3 */
  readonly taskStartMinutes?: number;
  /** Minutes the backend answers 503 after it runs, before 200. Infinity: it never becomes healthy. @default 2 */
  readonly healthyAfterMinutes?: number;
  /** Minutes a deleted database is `deleting`. @default 8 */
  readonly databaseDeleteMinutes?: number;
  /** Builds the DR agent's handler (in the tests with its template environment). */
  readonly agent: () => Promise<AgentHandler>;
}

type Tag = { Key?: string; Value?: string };

interface RestoreJob {
  readonly id: string;
  readonly token: string;
  readonly recoveryPointArn: string;
  readonly createdAt: number;
  readonly creationToken: string;
  fileSystemId?: string;
}

/**
 * The DR region as the dr-simulation workflow uses it, strict as AWS: replicated automated backups that restore
 * only by their real ARN, database instances that refuse deletion while creating and exist only after their
 * restore time, an AWS Backup vault whose restore jobs take time (and cannot be cancelled) before their file system
 * exists, ECS tasks that run only from the DR family on the DR cluster, and the DR agent behind Lambda. Every state
 * is read off the rehearsal's one clock. `resourcesOf(execution)` says what is left carrying an execution's tag.
 */
export class SimulatedDrRecovery {
  readonly instances = new Map<string, DBInstance & { readyAt: number; goneAt?: number }>();
  readonly fileSystems = new Map<string, FileSystemDescription & { goneAt?: number }>();
  readonly tasks = new Map<string, Task & { runsAt: number; stopsAt?: number }>();
  readonly jobs: RestoreJob[] = [];
  /** The health endpoint the agent probes: 200 once a running task has warmed up. */
  readonly fetch: ProbeFetch;
  private readonly region: string;
  private readonly account: string;
  readonly automatedBackupsArn: string;
  readonly recoveryPointArn: string;
  readonly parameter: Record<string, unknown>;

  constructor(
    account: SimulatedAccount,
    private readonly clock: SimulatedClock,
    private readonly options: SimulatedDrRecoveryOptions,
  ) {
    const config = environmentConfig(options.environment);
    const names = drRecoveryNames(config);
    this.region = config.drRegion;
    this.account = config.account;
    const at = `${this.region}:${this.account}`;
    this.automatedBackupsArn = `arn:aws:rds:${at}:auto-backup:ab-${config.prefix}-db-7x3k`;
    this.recoveryPointArn = `arn:aws:backup:${at}:recovery-point:copy-${config.prefix}-efs`;
    const agentArn = `arn:aws:lambda:${at}:function:${names.agentFunction}`;
    this.parameter = {
      subnetIds: ['subnet-0a1b2c3d', 'subnet-0e4f5a6b'],
      databaseSecurityGroupId: 'sg-0db00000',
      servicesSecurityGroupId: 'sg-0be00000',
      restoreRoleArn: `arn:aws:iam::${this.account}:role/${names.restoreRole}`,
      drKeyArn: `arn:aws:kms:${at}:key/11111111-2222-3333-4444-555555555555`,
      agentFunctionArn: agentArn,
    };
    const minutes = (value: number) => value * 60_000;
    const now = () => clock.now().getTime();
    const taskDefinitionArn = `arn:aws:ecs:${at}:task-definition/${names.taskFamily}:3`;
    const clusterArn = `arn:aws:ecs:${at}:cluster/${names.cluster}`;
    const image = `${this.account}.dkr.ecr.${this.region}.amazonaws.com/${repositoryName(config, 'backend')}:v42`;

    // Matched by name, so another parameter of the rehearsal (the approvers' roster) keeps its own answer.
    account.mock(SSMClient).on(GetParameterCommand, { Name: names.parameter }).callsFake(async () => ({ Parameter: { Name: names.parameter, Type: 'String', Value: JSON.stringify(this.parameter) } }));

    const rds = account.mock(RDSClient);
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).callsFake(async (input: { DBInstanceIdentifier?: string }) => ({
      DBInstanceAutomatedBackups:
        input.DBInstanceIdentifier === `${config.prefix}-db`
          ? [
              {
                DBInstanceAutomatedBackupsArn: this.automatedBackupsArn,
                DBInstanceIdentifier: `${config.prefix}-db`,
                Region: config.region,
                Status: 'replicating',
                AllocatedStorage: config.database.allocatedStorageGiB,
                Engine: 'postgres',
                RestoreWindow: { EarliestTime: new Date(now() - minutes(7 * 24 * 60)), LatestTime: new Date(now() - minutes(options.replicationLagMinutes ?? 6)) },
              },
            ]
          : [],
    }));
    rds.on(RestoreDBInstanceToPointInTimeCommand).callsFake(async (input: RestoreDBInstanceToPointInTimeCommandInput) => {
      if (input.SourceDBInstanceAutomatedBackupsArn !== this.automatedBackupsArn) {
        throw new DBInstanceAutomatedBackupNotFoundFault({ message: `No automated backup ${input.SourceDBInstanceAutomatedBackupsArn} exists in ${this.region}.`, $metadata: { httpStatusCode: 404 } });
      }
      const id = input.TargetDBInstanceIdentifier ?? '';
      if (this.live(id)) throw new DBInstanceAlreadyExistsFault({ message: 'DB instance already exists', $metadata: { httpStatusCode: 400 } });
      const created = {
        DBInstanceIdentifier: id,
        DBInstanceArn: `arn:aws:rds:${at}:db:${id}`,
        DBInstanceStatus: 'creating',
        DBInstanceClass: input.DBInstanceClass,
        Engine: 'postgres',
        MultiAZ: input.MultiAZ ?? false,
        DBSubnetGroup: { DBSubnetGroupName: input.DBSubnetGroupName },
        VpcSecurityGroups: (input.VpcSecurityGroupIds ?? []).map((VpcSecurityGroupId) => ({ VpcSecurityGroupId, Status: 'active' })),
        TagList: input.Tags ?? [],
        readyAt: now() + minutes(options.databaseRestoreMinutes ?? 38),
      };
      this.instances.set(id, created);
      return { DBInstance: this.describeInstance(created) };
    });
    rds.on(DescribeDBInstancesCommand).callsFake(async (input: { DBInstanceIdentifier?: string }) => {
      const instance = this.live(input.DBInstanceIdentifier ?? '');
      if (!instance) throw new DBInstanceNotFoundFault({ message: `DBInstance ${input.DBInstanceIdentifier} not found.`, $metadata: { httpStatusCode: 404 } });
      return { DBInstances: [this.describeInstance(instance)] };
    });
    rds.on(DeleteDBInstanceCommand).callsFake(async (input: { DBInstanceIdentifier: string }) => {
      const instance = this.live(input.DBInstanceIdentifier);
      if (!instance) throw new DBInstanceNotFoundFault({ message: `DBInstance ${input.DBInstanceIdentifier} not found.`, $metadata: { httpStatusCode: 404 } });
      const status = this.describeInstance(instance).DBInstanceStatus;
      if (status !== 'available') throw new InvalidDBInstanceStateFault({ message: `Instance ${input.DBInstanceIdentifier} is currently ${status}.`, $metadata: { httpStatusCode: 400 } });
      instance.DBInstanceStatus = 'deleting';
      instance.goneAt = now() + minutes(options.databaseDeleteMinutes ?? 8);
      return { DBInstance: this.describeInstance(instance) };
    });

    const backup = account.mock(BackupClient);
    const vault = `${config.prefix}-dr-vault`;
    const noVault = (name: string) => new BackupResourceNotFound({ message: `Backup vault ${name} not found`, $metadata: { httpStatusCode: 400 } });
    backup.on(ListRecoveryPointsByBackupVaultCommand).callsFake(async (input: { BackupVaultName: string }) => {
      if (input.BackupVaultName !== vault) throw noVault(input.BackupVaultName);
      return {
        RecoveryPoints: [{ RecoveryPointArn: this.recoveryPointArn, BackupVaultName: vault, ResourceType: 'EFS', Status: 'COMPLETED', CreationDate: new Date(now() - minutes(7 * 60)), BackupSizeInBytes: 8 * 1024 ** 3 }],
      };
    });
    backup.on(GetRecoveryPointRestoreMetadataCommand).callsFake(async (input: { BackupVaultName: string; RecoveryPointArn: string }) => {
      if (input.BackupVaultName !== vault) throw noVault(input.BackupVaultName);
      if (input.RecoveryPointArn !== this.recoveryPointArn) throw new BackupResourceNotFound({ message: `Recovery point ${input.RecoveryPointArn} not found`, $metadata: { httpStatusCode: 400 } });
      return { RecoveryPointArn: this.recoveryPointArn, RestoreMetadata: { 'file-system-id': 'fs-0primary', Encrypted: 'true', PerformanceMode: 'generalPurpose', newFileSystem: 'true' } };
    });
    backup.on(StartRestoreJobCommand).callsFake(async (input: StartRestoreJobCommandInput) => {
      if (input.RecoveryPointArn !== this.recoveryPointArn) throw new BackupResourceNotFound({ message: `Recovery point ${input.RecoveryPointArn} not found`, $metadata: { httpStatusCode: 400 } });
      const same = this.jobs.find((job) => job.token === input.IdempotencyToken);
      if (same) return { RestoreJobId: same.id };
      const job: RestoreJob = { id: `restore-${this.jobs.length + 1}`, token: input.IdempotencyToken ?? '', recoveryPointArn: input.RecoveryPointArn ?? '', createdAt: now(), creationToken: input.Metadata?.CreationToken ?? '' };
      this.jobs.push(job);
      return { RestoreJobId: job.id };
    });
    backup.on(DescribeRestoreJobCommand).callsFake(async (input: { RestoreJobId: string }) => {
      const job = this.jobs.find((j) => j.id === input.RestoreJobId);
      if (!job) throw new BackupResourceNotFound({ message: `Restore job ${input.RestoreJobId} not found`, $metadata: { httpStatusCode: 400 } });
      return this.describeJob(job);
    });
    backup.on(ListRestoreJobsCommand).callsFake(async (input: { ByCreatedAfter?: Date }) => ({
      RestoreJobs: this.jobs.filter((job) => job.createdAt >= (input.ByCreatedAfter?.getTime() ?? 0)).map((job) => this.describeJob(job)),
    }));

    const efs = account.mock(EFSClient);
    const noFileSystem = (id: string) => new FileSystemNotFound({ message: `File system '${id}' does not exist.`, ErrorCode: 'FileSystemNotFound', $metadata: { httpStatusCode: 404 } });
    efs.on(DescribeFileSystemsCommand).callsFake(async (input: { CreationToken?: string }) => {
      this.settleJobs();
      return { FileSystems: [...this.fileSystems.values()].filter((fs) => this.liveFileSystem(fs) && (!input.CreationToken || fs.CreationToken === input.CreationToken)).map((fs) => this.describeFileSystem(fs)) };
    });
    efs.on(TagResourceCommand).callsFake(async (input: { ResourceId: string; Tags: Tag[] }) => {
      this.settleJobs();
      const fs = this.fileSystems.get(input.ResourceId);
      if (!fs || !this.liveFileSystem(fs)) throw noFileSystem(input.ResourceId);
      fs.Tags = [...(fs.Tags ?? []).filter((tag) => !input.Tags.some((t) => t.Key === tag.Key)), ...input.Tags] as FileSystemDescription['Tags'];
      return {};
    });
    efs.on(DeleteFileSystemCommand).callsFake(async (input: { FileSystemId: string }) => {
      this.settleJobs();
      const fs = this.fileSystems.get(input.FileSystemId);
      if (!fs || !this.liveFileSystem(fs)) throw noFileSystem(input.FileSystemId);
      fs.LifeCycleState = 'deleting';
      fs.goneAt = now() + minutes(1);
      return {};
    });

    const ecs = account.mock(ECSClient);
    ecs.on(DescribeTaskDefinitionCommand).callsFake(async (input: { taskDefinition: string }) => {
      if (input.taskDefinition !== names.taskFamily && input.taskDefinition !== taskDefinitionArn) throw new ClientException({ message: 'Unable to describe task definition.', $metadata: { httpStatusCode: 400 } });
      return { taskDefinition: { taskDefinitionArn, family: names.taskFamily, containerDefinitions: [{ name: names.containerName, image }] } };
    });
    ecs.on(RunTaskCommand).callsFake(async (input: RunTaskCommandInput) => {
      if (input.cluster !== names.cluster && input.cluster !== clusterArn) throw Object.assign(new ClientException({ message: 'Cluster not found.', $metadata: { httpStatusCode: 400 } }), { name: 'ClusterNotFoundException' });
      if (input.taskDefinition !== taskDefinitionArn) throw new ClientException({ message: `TaskDefinition ${input.taskDefinition} not found.`, $metadata: { httpStatusCode: 400 } });
      const subnets = input.networkConfiguration?.awsvpcConfiguration?.subnets ?? [];
      if (subnets.length === 0 || subnets.some((s) => !(this.parameter.subnetIds as string[]).includes(s))) throw new ClientException({ message: 'subnets not in the DR VPC', $metadata: { httpStatusCode: 400 } });
      const same = [...this.tasks.values()].find((task) => task.startedBy === input.startedBy && input.clientToken && (task as { clientToken?: string }).clientToken === input.clientToken);
      if (same) return { tasks: [this.describeTask(same)], failures: [] };
      const id = `${names.cluster}/${(this.tasks.size + 1).toString(16).padStart(32, '0')}`;
      const task = {
        taskArn: `arn:aws:ecs:${at}:task/${id}`,
        clusterArn,
        taskDefinitionArn,
        startedBy: input.startedBy,
        clientToken: input.clientToken,
        desiredStatus: 'RUNNING',
        lastStatus: 'PROVISIONING',
        tags: input.tags,
        overrides: input.overrides,
        attachments: [{ type: 'ElasticNetworkInterface', details: [{ name: 'privateIPv4Address', value: `10.1.10.${20 + this.tasks.size}` }] }],
        runsAt: now() + minutes(options.taskStartMinutes ?? 3),
      };
      this.tasks.set(task.taskArn, task);
      return { tasks: [this.describeTask(task)], failures: [] };
    });
    ecs.on(ListTasksCommand).callsFake(async (input: { cluster?: string; startedBy?: string; desiredStatus?: string }) => ({
      taskArns: [...this.tasks.values()].filter((task) => task.startedBy === input.startedBy && this.describeTask(task).desiredStatus === (input.desiredStatus ?? 'RUNNING')).map((task) => task.taskArn ?? ''),
    }));
    ecs.on(DescribeTasksCommand).callsFake(async (input: { tasks: string[] }) => ({
      tasks: input.tasks.flatMap((arn) => {
        const task = this.tasks.get(arn);
        return task ? [this.describeTask(task)] : [];
      }),
      failures: input.tasks.filter((arn) => !this.tasks.has(arn)).map((arn) => ({ arn, reason: 'MISSING' })),
    }));
    ecs.on(StopTaskCommand).callsFake(async (input: { task: string }) => {
      const task = this.tasks.get(input.task);
      if (!task) throw new ClientException({ message: 'The referenced task was not found.', $metadata: { httpStatusCode: 400 } });
      if (task.desiredStatus !== 'STOPPED') {
        task.desiredStatus = 'STOPPED';
        task.stopsAt = now() + minutes(1);
      }
      return { task: this.describeTask(task) };
    });

    account.mock(ECRClient).on(DescribeImagesCommand).callsFake(async (input: { repositoryName: string; imageIds?: { imageTag?: string }[] }) => {
      if (input.repositoryName !== repositoryName(config, 'backend') || input.imageIds?.[0]?.imageTag !== 'v42') {
        throw new ImageNotFoundException({ message: `The image with imageId {imageTag:'${input.imageIds?.[0]?.imageTag ?? ''}'} does not exist within the repository`, $metadata: { httpStatusCode: 400 } });
      }
      return { imageDetails: [{ repositoryName: input.repositoryName, imageDigest: 'sha256:42', imageTags: ['v42'] }] };
    });

    let agent: AgentHandler | undefined;
    account.mock(LambdaClient).on(InvokeCommand).callsFake(async (input: { FunctionName: string; Payload?: Uint8Array }) => {
      if (input.FunctionName !== agentArn) throw new LambdaResourceNotFound({ message: `Function not found: ${input.FunctionName}`, $metadata: { httpStatusCode: 404 } });
      agent ??= await options.agent();
      const event: unknown = JSON.parse(new TextDecoder().decode(input.Payload ?? new Uint8Array()));
      try {
        const answer = await agent(event);
        return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(answer ?? null)) };
      } catch (error) {
        const errorType = error instanceof Error ? error.name : 'Error';
        const errorMessage = error instanceof Error ? error.message : String(error);
        return { StatusCode: 200, FunctionError: 'Unhandled', Payload: new TextEncoder().encode(JSON.stringify({ errorType, errorMessage })) };
      }
    });
    // The agent reads the master secret's replica in the DR region.
    account.mock(SecretsManagerClient).on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ engine: 'postgres', host: `${config.prefix}-db.sim.us-east-1.rds.amazonaws.com`, port: 5432, username: 'financehub_admin', password: 'rehearsal-only', dbname: 'financehub', ssl: false }),
    });
    account.mock(S3Client).on(PutObjectCommand).resolves({});

    this.fetch = async (url) => {
      const host = new URL(url).hostname;
      const task = [...this.tasks.values()].find((t) => t.attachments?.[0]?.details?.[0]?.value === host);
      const described = task && this.describeTask(task);
      if (!described || described.lastStatus !== 'RUNNING') throw Object.assign(new Error(`connect ECONNREFUSED ${host}:8000`), { name: 'TypeError' });
      const warm = (task?.runsAt ?? 0) + minutes(options.healthyAfterMinutes ?? 2);
      return { status: now() >= warm ? 200 : 503 };
    };
  }

  /** Everything still there that carries the execution's tag: what the teardown must leave empty. */
  resourcesOf(executionName: string): string[] {
    this.settleJobs();
    const tagged = (list: readonly { Key?: string; key?: string; Value?: string; value?: string }[] | undefined) =>
      (list ?? []).some((tag) => (tag.Key ?? tag.key) === 'financehub:dr-simulation-execution' && (tag.Value ?? tag.value) === executionName);
    return [
      ...[...this.instances.values()].filter((i) => this.live(i.DBInstanceIdentifier ?? '') && tagged(i.TagList)).map((i) => `db ${i.DBInstanceIdentifier}`),
      ...[...this.fileSystems.values()].filter((fs) => this.liveFileSystem(fs) && (tagged(fs.Tags) || this.jobs.some((j) => j.fileSystemId === fs.FileSystemId))).map((fs) => `file system ${fs.FileSystemId}`),
      ...[...this.tasks.values()].filter((t) => this.describeTask(t).lastStatus !== 'STOPPED' && tagged(t.tags)).map((t) => `task ${t.taskArn}`),
      ...this.jobs.filter((job) => ['PENDING', 'RUNNING'].includes(this.describeJob(job).Status ?? '')).map((job) => `restore job ${job.id}`),
    ];
  }

  private live(id: string) {
    const instance = this.instances.get(id);
    if (!instance) return undefined;
    if (instance.goneAt !== undefined && this.clock.now().getTime() >= instance.goneAt) {
      this.instances.delete(id);
      return undefined;
    }
    return instance;
  }

  private describeInstance(instance: DBInstance & { readyAt: number }): DBInstance {
    if (instance.DBInstanceStatus === 'creating' && this.clock.now().getTime() >= instance.readyAt) {
      instance.DBInstanceStatus = 'available';
      instance.Endpoint = { Address: `${instance.DBInstanceIdentifier}.sim.${this.region}.rds.amazonaws.com`, Port: 5432 };
    }
    return answer(instance, 'readyAt', 'goneAt');
  }

  private describeJob(job: RestoreJob): RestoreJobsListMember {
    const elapsed = this.clock.now().getTime() - job.createdAt;
    const failAfter = this.options.fileSystemRestoreFailsAfterMinutes;
    const base = { RestoreJobId: job.id, RecoveryPointArn: job.recoveryPointArn, CreationDate: new Date(job.createdAt), ResourceType: 'EFS' };
    if (failAfter !== undefined && elapsed >= failAfter * 60_000) return { ...base, Status: 'FAILED', StatusMessage: 'Restore failed: the file system could not be created (simulated).' };
    if (elapsed < (this.options.fileSystemRestoreMinutes ?? 12) * 60_000) return { ...base, Status: elapsed < 60_000 ? 'PENDING' : 'RUNNING' };
    this.complete(job);
    return { ...base, Status: 'COMPLETED', CreatedResourceArn: `arn:aws:elasticfilesystem:${this.region}:${this.account}:file-system/${job.fileSystemId ?? ''}`, CompletionDate: new Date(job.createdAt + (this.options.fileSystemRestoreMinutes ?? 12) * 60_000) };
  }

  /** A completed job's file system exists from then on (untagged: AWS Backup copies no tags unless asked). */
  private complete(job: RestoreJob): void {
    if (job.fileSystemId) return;
    job.fileSystemId = `fs-0${job.id.replace(/\D/g, '').padStart(7, '0')}`;
    this.fileSystems.set(job.fileSystemId, { FileSystemId: job.fileSystemId, CreationToken: job.creationToken, LifeCycleState: 'available', Tags: [], OwnerId: this.account, CreationTime: this.clock.now(), NumberOfMountTargets: 0, PerformanceMode: 'generalPurpose', SizeInBytes: { Value: 8 * 1024 ** 3 } });
  }

  private settleJobs(): void {
    for (const job of this.jobs) this.describeJob(job);
  }

  private liveFileSystem(fs: FileSystemDescription & { goneAt?: number }): boolean {
    if (fs.goneAt !== undefined && this.clock.now().getTime() >= fs.goneAt) {
      this.fileSystems.delete(fs.FileSystemId ?? '');
      return false;
    }
    return true;
  }

  private describeFileSystem(fs: FileSystemDescription): FileSystemDescription {
    return answer(fs, 'goneAt');
  }

  private describeTask(task: Task & { runsAt: number; stopsAt?: number }): Task {
    const at = this.clock.now().getTime();
    if (task.stopsAt !== undefined && at >= task.stopsAt) task.lastStatus = 'STOPPED';
    else if (task.desiredStatus === 'STOPPED') task.lastStatus = 'DEPROVISIONING';
    else if (at >= task.runsAt) task.lastStatus = 'RUNNING';
    else if (at >= task.runsAt - 60_000) task.lastStatus = 'PENDING';
    return answer(task, 'runsAt', 'stopsAt', 'clientToken');
  }
}
