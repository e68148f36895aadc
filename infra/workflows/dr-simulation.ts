import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import type { ApprovalGate } from '../constructs/approval-gate.js';
import { drRecoveryNames } from '../constructs/dr-recovery-compute.js';
import { RELEASE_DRILL_LOCK, bindDrillLock, drillEnding } from '../constructs/drill-lock.js';
import { OpsFunction } from '../constructs/ops-function.js';
import { OpsLambdaStep, catchTo } from '../constructs/ops-lambda-step.js';
import { OpsStateMachine } from '../constructs/ops-state-machine.js';
import type { OpsTable } from '../constructs/ops-table.js';
import { acknowledge, acknowledgeWorkflowFindings } from '../nag/acknowledge.js';
import { repositoryName } from '../stacks/registry-stack.js';
import type { GatedWorkflowProps } from '../constructs/workflow-props.js';

export interface DrSimulationProps extends GatedWorkflowProps {
  /** Holds the environment's drill lock: one drill at a time, the simulation included. */
  readonly lockTable: OpsTable;
}

/** Names of the states, as an operator reads them in the console and the tests assert them. */
export const DR_SIMULATION_STATES = {
  plan: 'Check preconditions',
  startRestores: 'Start the restores',
  waitRestores: 'Wait for the restores',
  checkRestores: 'Check the restores',
  restoresDone: 'Restores done?',
  startBackend: 'Start the DR backend',
  waitBackend: 'Wait for the DR backend',
  checkBackend: 'Probe the DR backend',
  backendHealthy: 'DR backend healthy?',
  startTeardown: 'Start the teardown',
  tearDown: 'Tear down',
  gone: 'Everything removed?',
  waitTeardown: 'Wait for the teardown',
  teardownTooLong: 'Teardown took too long',
  releaseLock: RELEASE_DRILL_LOCK,
  report: 'Write simulation report',
  passed: 'Simulation passed?',
  succeeded: 'Simulation passed',
  skipped: 'Simulation skipped',
  failed: 'Simulation failed',
  reportNotWritten: 'Simulation result not published',
} as const;

/** The longest a simulation runs: its time bound, then the teardown's cap, then the report. */
export function simulationMaxMinutes(config: EnvironmentConfig): number {
  return config.dr.simulation.maxMinutes + config.dr.simulation.teardownWaitCapMinutes + 30;
}

/**
 * The annual DR simulation: in the DR region it restores the database from the replicated automated backups and the
 * file system from the newest copied recovery point, starts the backend there against the restored database, probes
 * `/api/health` and runs the verification SQL (through the DR agent, in the DR VPC), measures RTO and the data-loss
 * window, tears everything down on every path, and reports (JSON + HTML in the DR reports bucket, OpsResult to the
 * topic). The state machine lives here, beside the approval gate; Step Functions cannot invoke across regions, so
 * its function calls the DR region's APIs and its agent.
 */
export class DrSimulation extends Construct {
  public readonly function: OpsFunction;
  public readonly stateMachine: OpsStateMachine;
  private readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: DrSimulationProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    const simulation = config.dr.simulation;
    const names = drRecoveryNames(config);
    const backend = config.services.backend;

    this.function = new OpsFunction(this, 'Function', {
      config,
      functionName: 'dr-simulation',
      description: 'DR simulation steps in the DR region: preconditions, restores, backend, probes through the DR agent, teardown, report',
      vpc: props.vpc,
      securityGroups: [props.securityGroup],
      encryptionKey: props.logsKey,
      timeout: Duration.minutes(6),
      memorySize: 512,
      environment: {
        DR_REGION: config.drRegion,
        SOURCE_INSTANCE_ID: `${config.prefix}-db`,
        INSTANCE_PREFIX: `${config.prefix}-drsim-`,
        INSTANCE_CLASS: config.database.instanceType,
        DB_SUBNET_GROUP: `${config.prefix}-dr-database`,
        DR_VAULT_NAME: `${config.prefix}-dr-vault`,
        DR_PARAMETER: names.parameter,
        DR_CLUSTER: names.cluster,
        TASK_FAMILY: names.taskFamily,
        CONTAINER_NAME: names.containerName,
        CONTAINER_PORT: String(backend.containerPort ?? 8000),
        TASK_CPU: String(backend.cpu),
        TASK_MEMORY_MIB: String(backend.memoryMiB),
        REPORTS_BUCKET: `${config.prefix}-dr-reports-${config.account}`,
        RTO_MINUTES: String(config.recovery.rtoMinutes),
        RPO_MINUTES: String(config.recovery.rpoMinutes),
        MAX_MINUTES: String(simulation.maxMinutes),
        MAX_COST_USD: String(simulation.maxCostUsd),
        PRICE_DB_INSTANCE_HOUR: String(simulation.prices.databaseInstanceHourUsd),
        PRICE_DB_STORAGE_GB_MONTH: String(simulation.prices.databaseStorageGbMonthUsd),
        PRICE_FARGATE_VCPU_HOUR: String(simulation.prices.fargateVcpuHourUsd),
        PRICE_FARGATE_GB_HOUR: String(simulation.prices.fargateGbHourUsd),
        PRICE_EFS_GB_MONTH: String(simulation.prices.efsGbMonthUsd),
        POLL_INITIAL_SECONDS: String(simulation.pollInitialSeconds),
        POLL_MAX_SECONDS: String(simulation.pollMaxSeconds),
        HEALTH_INTERVAL_SECONDS: String(config.healthProbe.intervalSeconds),
        HEALTH_CONSECUTIVE_SUCCESSES: String(config.healthProbe.consecutiveSuccesses),
        HEALTH_WAIT_CAP_MINUTES: String(config.healthProbe.waitCapMinutes),
        TEARDOWN_WAIT_CAP_MINUTES: String(simulation.teardownWaitCapMinutes),
      },
    });
    this.grant(props);
    const timeout = Duration.minutes(simulationMaxMinutes(config));
    // The lock lives as long as the simulation can: it never outlives the execution that took it.
    bindDrillLock(this.function, props.lockTable, timeout);

    this.stateMachine = new OpsStateMachine(this, 'StateMachine', {
      config,
      workflow: 'dr-simulation',
      definition: this.definition(props.approvalGate),
      timeout,
      logsKey: props.logsKey,
    });

    if (simulation.schedule) this.stateMachine.schedule(simulation.schedule, 'Annual disaster recovery simulation in the DR region', { environment: config.name });
    this.acknowledgeFindings();
  }

  /** Everything in the DR region, by the DR stack's names; created resources only by the simulation's prefix and tag. */
  private grant(props: DrSimulationProps): void {
    const { config } = props;
    const names = drRecoveryNames(config);
    const at = `${config.drRegion}:${config.account}`;
    const instances = `arn:aws:rds:${at}:db:${config.prefix}-drsim-*`;
    const purpose = { 'aws:ResourceTag/financehub:purpose': 'dr-simulation' };
    const drKeys = `arn:aws:kms:${at}:key/*`;
    const drKeyAlias = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': `alias/${config.prefix}-dr` } };
    const fn = this.function;
    const allow = (actions: string[], resources: string[], conditions?: Record<string, unknown>) => fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources, conditions }));

    allow(['ssm:GetParameter'], [`arn:aws:ssm:${at}:parameter${names.parameter}`]);
    allow(['rds:DescribeDBInstanceAutomatedBackups'], [`arn:aws:rds:${at}:auto-backup:*`]);
    allow(['rds:DescribeDBInstances'], [instances]);
    allow(['rds:RestoreDBInstanceToPointInTime', 'rds:AddTagsToResource'], [instances, `arn:aws:rds:${at}:auto-backup:*`, `arn:aws:rds:${at}:subgrp:${config.prefix}-dr-database`, `arn:aws:rds:${at}:pg:*`, `arn:aws:rds:${at}:og:*`]);
    allow(['rds:DeleteDBInstance'], [instances], { StringEquals: { 'rds:db-tag/financehub:purpose': 'dr-simulation' } });
    // The restore re-encrypts with the DR key (RDS and AWS Backup create grants on it), the report is encrypted with it.
    allow(['kms:CreateGrant', 'kms:DescribeKey'], [drKeys], { ...drKeyAlias, Bool: { 'kms:GrantIsForAWSResource': 'true' } });
    allow(['kms:GenerateDataKey'], [drKeys], { ...drKeyAlias, StringEquals: { 'kms:ViaService': `s3.${config.drRegion}.amazonaws.com` } });

    const vault = `arn:aws:backup:${at}:backup-vault:${config.prefix}-dr-vault`;
    allow(['backup:ListRecoveryPointsByBackupVault', 'backup:GetRecoveryPointRestoreMetadata'], [vault, `arn:aws:backup:${at}:recovery-point:*`]);
    allow(['backup:StartRestoreJob'], [`arn:aws:backup:${at}:recovery-point:*`]);
    allow(['backup:DescribeRestoreJob', 'backup:ListRestoreJobs'], ['*']);
    allow(['iam:PassRole'], [`arn:aws:iam::${config.account}:role/${names.restoreRole}`], { StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' } });

    const fileSystems = `arn:aws:elasticfilesystem:${at}:file-system/*`;
    allow(['elasticfilesystem:DescribeFileSystems'], [fileSystems]);
    // Tags only file systems the restore created without tags yet, and deletes only what carries the tag.
    allow(['elasticfilesystem:TagResource'], [fileSystems]);
    allow(['elasticfilesystem:DeleteFileSystem'], [fileSystems], { StringEquals: purpose });

    const cluster = `arn:aws:ecs:${at}:cluster/${names.cluster}`;
    allow(['ecs:DescribeTaskDefinition'], ['*']);
    allow(['ecs:RunTask'], [`arn:aws:ecs:${at}:task-definition/${names.taskFamily}:*`], { ArnEquals: { 'ecs:cluster': cluster } });
    allow(['ecs:TagResource'], [`arn:aws:ecs:${at}:task/${names.cluster}/*`], { StringEquals: { 'ecs:CreateAction': 'RunTask' } });
    allow(['ecs:ListTasks'], [`arn:aws:ecs:${at}:container-instance/${names.cluster}/*`], { ArnEquals: { 'ecs:cluster': cluster } });
    allow(['ecs:DescribeTasks', 'ecs:StopTask'], [`arn:aws:ecs:${at}:task/${names.cluster}/*`], { ArnEquals: { 'ecs:cluster': cluster } });
    allow(['iam:PassRole'], [`arn:aws:iam::${config.account}:role/${names.taskExecutionRole}`, `arn:aws:iam::${config.account}:role/${names.taskRole}`], {
      StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
    });
    allow(['ecr:DescribeImages'], [`arn:aws:ecr:${at}:repository/${repositoryName(config, 'backend')}`]);
    allow(['lambda:InvokeFunction'], [`arn:aws:lambda:${at}:function:${names.agentFunction}`]);
    allow(['s3:PutObject'], [`arn:aws:s3:::${config.prefix}-dr-reports-${config.account}/drills/dr-simulation/*`]);
    fn.bindTopic(props.topic);
  }

  private definition(approvalGate: ApprovalGate | undefined): sfn.IChainable {
    const S = DR_SIMULATION_STATES;
    const simulation = this.config.dr.simulation;
    const step = (stateName: string, payload: Record<string, unknown>, resultPath: string) => new OpsLambdaStep(this, stateName, { lambdaFunction: this.function, payload, resultPath });
    const plan = sfn.JsonPath.objectAt('$.plan');

    // Every path releases the drill lock before it reports.
    const release = drillEnding(this, this.function, S, 'DrSimulation');

    // Teardown: reached on success and from every failure once a restore may have been requested; repeated until
    // the read-back finds nothing of the execution, bounded.
    const tearDown = step(S.tearDown, { action: 'tearDown', plan, previous: sfn.JsonPath.objectAt('$.teardown') }, '$.teardown');
    const firstTearDown = step(S.startTeardown, { action: 'tearDown', plan }, '$.teardown');
    catchTo([tearDown, firstTearDown], release, '$.teardownFailure');
    const waitTeardown = new sfn.Wait(this, S.waitTeardown, { time: sfn.WaitTime.secondsPath('$.teardown.nextWaitSeconds') });
    const teardownTooLong = new sfn.Pass(this, S.teardownTooLong, {
      result: sfn.Result.fromObject({ Error: 'TeardownWaitCapReached', Cause: `Resources of the simulation were still there after ${simulation.teardownWaitCapMinutes} minutes.` }),
      resultPath: '$.teardownFailure',
    }).next(release);
    const gone = new sfn.Choice(this, S.gone)
      .when(sfn.Condition.booleanEquals('$.teardown.gone', true), release)
      .when(sfn.Condition.booleanEquals('$.teardown.capReached', true), teardownTooLong)
      .otherwise(waitTeardown);
    waitTeardown.next(tearDown);
    tearDown.next(gone);
    firstTearDown.next(gone);

    // Phase 2: the backend in the DR network, probed until healthy (N in a row) or stopped by a bound.
    const startBackend = step(S.startBackend, { action: 'startBackend', plan, restores: sfn.JsonPath.objectAt('$.restores') }, '$.backend');
    const checkBackend = step(S.checkBackend, { action: 'checkBackend', plan, restores: sfn.JsonPath.objectAt('$.restores'), previous: sfn.JsonPath.objectAt('$.backend') }, '$.backend');
    const waitBackend = new sfn.Wait(this, S.waitBackend, { time: sfn.WaitTime.secondsPath('$.backend.nextWaitSeconds') });
    startBackend.next(waitBackend);
    waitBackend.next(checkBackend);
    checkBackend.next(
      new sfn.Choice(this, S.backendHealthy)
        .when(sfn.Condition.booleanEquals('$.backend.healthy', true), firstTearDown)
        .when(sfn.Condition.booleanEquals('$.backend.capReached', true), firstTearDown)
        .otherwise(waitBackend),
    );

    // Phase 1: both restores, waited for until done or stopped by a bound.
    const startRestores = step(S.startRestores, { action: 'startRestores', plan }, '$.restores');
    const checkRestores = step(S.checkRestores, { action: 'checkRestores', plan, previous: sfn.JsonPath.objectAt('$.restores') }, '$.restores');
    const waitRestores = new sfn.Wait(this, S.waitRestores, { time: sfn.WaitTime.secondsPath('$.restores.nextWaitSeconds') });
    startRestores.next(waitRestores);
    waitRestores.next(checkRestores);
    checkRestores.next(
      new sfn.Choice(this, S.restoresDone)
        .when(sfn.Condition.booleanEquals('$.restores.ready', true), startBackend)
        .when(sfn.Condition.booleanEquals('$.restores.capReached', true), firstTearDown)
        .otherwise(waitRestores),
    );
    for (const afterRestoreRequested of [startRestores, checkRestores, startBackend, checkBackend]) catchTo(afterRestoreRequested, firstTearDown, '$.failure');

    const planStep = step(
      S.plan,
      {
        action: 'plan',
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        options: sfn.JsonPath.objectAt('$$.Execution.Input'),
      },
      '$.plan',
    );
    // A plan that failed may have taken the lock (a timeout after the write): the release runs either way.
    catchTo(planStep, release, '$.failure');
    const chain = planStep.next(startRestores);
    return approvalGate?.guards('dr-simulation') ? approvalGate.firstState(this, 'dr-simulation').next(chain) : chain;
  }

  private acknowledgeFindings(): void {
    const { prefix, drRegion, account } = this.config;
    const names = drRecoveryNames(this.config);
    acknowledgeWorkflowFindings(this.stateMachine, this.function);
    const role = this.function.role;
    if (!role) return;
    const at = `${drRegion}:${account}`;
    const found = (reason: string, resources: string[]) => acknowledge(role, reason, resources.map((resource) => `AwsSolutions-IAM5[Resource::${resource}]`));
    found('The simulation creates, reads and deletes only its own instances, named <prefix>-drsim-<date>-<execution>; deletion also needs its purpose tag.', [`arn:aws:rds:${at}:db:${prefix}-drsim-*`]);
    found('A restore from replicated backups names them by a generated id, and needs the parameter and option groups whose generated names are unknown here.', [
      `arn:aws:rds:${at}:auto-backup:*`,
      `arn:aws:rds:${at}:pg:*`,
      `arn:aws:rds:${at}:og:*`,
    ]);
    found('The DR key has a generated id: the statements match it by its alias (kms:ResourceAliases), in the DR region only.', [`arn:aws:kms:${at}:key/*`]);
    found('Recovery points of the DR vault are named by generated ids; the restore jobs have no resource-level permissions.', [`arn:aws:backup:${at}:recovery-point:*`, '*']);
    found('A restored file system has a generated id: it is found by its creation token, tagged once, and deleted only with the simulation\'s tag.', [`arn:aws:elasticfilesystem:${at}:file-system/*`]);
    found('Tasks have generated ids: only tasks of the DR cluster, started from the DR backend family, are run, described and stopped.', [
      `arn:aws:ecs:${at}:task-definition/${names.taskFamily}:*`,
      `arn:aws:ecs:${at}:task/${names.cluster}/*`,
      `arn:aws:ecs:${at}:container-instance/${names.cluster}/*`,
    ]);
    found('Each report is a new object under drills/dr-simulation/ of the DR reports bucket.', [`arn:aws:s3:::${prefix}-dr-reports-${account}/drills/dr-simulation/*`]);
  }
}
