import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwactions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { SERVICES } from '../../contracts/environments.js';
import type { EnvironmentConfig } from '../config.js';
import { OpsFunction } from '../constructs/ops-function.js';
import { OpsLambdaStep, catchTo } from '../constructs/ops-lambda-step.js';
import { OpsStateMachine } from '../constructs/ops-state-machine.js';
import { acknowledge, acknowledgeWorkflowFindings } from '../nag/acknowledge.js';
import type { WorkflowProps } from '../constructs/workflow-props.js';

export interface BackupVerificationProps extends WorkflowProps {
  readonly database: rds.IDatabaseInstance;
  readonly readReplica: rds.IDatabaseInstance;
  readonly backupsBucket: s3.IBucket;
  readonly fileSystem: efs.IFileSystem;
  /** Secrets that must have an in-sync replica in the DR region. */
  readonly replicatedSecrets: readonly secretsmanager.ISecret[];
}

export const BACKUP_VERIFICATION_STATES = {
  verify: 'Verify backups',
  passed: 'All backup checks passed?',
  verified: 'Backups verified',
  checksFailed: 'Backup checks failed',
  publishFailure: 'Publish verification failure',
  couldNotRun: 'Verification could not run',
} as const;

/** CloudWatch namespace and dimensions of the per-check metrics (Powertools adds `service`, the handler `environment`). */
export function backupCheckMetric(config: EnvironmentConfig, metricName: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'FinanceHub/Ops',
    metricName,
    dimensionsMap: { service: 'backup-verification', environment: config.name },
    statistic: 'Maximum',
    period,
  });
}

/**
 * The daily backup verification: RDS backups and RPO lag, recent snapshot, replica lag, backups bucket versioning
 * and replication, EFS recovery points; in the DR region: replicated automated backups within the RPO, an EFS copy,
 * the running images and in-sync secrets. One function checks (and sends a metric per check); the state machine
 * gives it retries, a failure report, and an execution status an operator can read.
 */
export class BackupVerification extends Construct {
  public readonly function: OpsFunction;
  public readonly stateMachine: OpsStateMachine;
  public readonly rpoAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: BackupVerificationProps) {
    super(scope, id);
    const { config } = props;
    const replicaBucket = `${config.prefix}-backups-replica-${config.account}`;

    this.function = new OpsFunction(this, 'Function', {
      config,
      functionName: 'backup-verification',
      description: 'Checks RDS backups and RPO lag, snapshots, replica lag, backup bucket versioning and replication, EFS recovery points, and the DR region\'s copies',
      vpc: props.vpc,
      securityGroups: [props.securityGroup],
      encryptionKey: props.logsKey,
      timeout: Duration.minutes(1),
      environment: {
        DR_REGION: config.drRegion,
        DB_INSTANCE_ID: props.database.instanceIdentifier,
        REPLICA_INSTANCE_ID: props.readReplica.instanceIdentifier,
        BACKUPS_BUCKET: props.backupsBucket.bucketName,
        REPLICA_BUCKET: replicaBucket,
        FILE_SYSTEM_ARN: props.fileSystem.fileSystemArn,
        RPO_MINUTES: String(config.recovery.rpoMinutes),
        RETENTION_DAYS: String(config.database.backupRetentionDays),
        SNAPSHOT_MAX_AGE_HOURS: String(config.recovery.snapshotMaxAgeHours),
        REPLICA_LAG_MAX_SECONDS: String(config.recovery.replicaLagMaxSeconds),
        EFS_MAX_AGE_HOURS: String(config.recovery.efsRecoveryPointMaxAgeHours),
        EFS_RETENTION_DAYS: String(config.storage.efsBackupRetentionDays),
        DR_VAULT_NAME: `${config.prefix}-dr-vault`,
        CLUSTER_NAME: config.prefix,
        SERVICE_NAMES: SERVICES.map((name) => `${config.prefix}-${name}`).join(','),
        SECRET_IDS: props.replicatedSecrets.map((secret) => secret.secretArn).join(','),
      },
    });
    this.grant(props, replicaBucket);

    this.stateMachine = new OpsStateMachine(this, 'StateMachine', {
      config,
      workflow: 'backup-verification',
      definition: this.definition(config, props.topic),
      timeout: Duration.minutes(30),
      logsKey: props.logsKey,
    });
    props.topic.grantPublish(this.stateMachine);

    this.stateMachine.schedule(config.recovery.schedules.backupVerification, 'Daily backup verification');

    // One datapoint a day: the alarm holds for the day a breach was measured.
    this.rpoAlarm = new cloudwatch.Alarm(this, 'RpoLagAlarm', {
      alarmName: `${config.prefix}-backup-rpo-lag`,
      alarmDescription: `The database's latest restorable time lags more than the ${config.recovery.rpoMinutes}-minute RPO. Runbook: docs/runbooks/backup-verification.md`,
      metric: backupCheckMetric(config, 'RpoLagSeconds', Duration.days(1)),
      threshold: config.recovery.rpoMinutes * 60,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.rpoAlarm.addAlarmAction(new cwactions.SnsAction(props.topic));
    acknowledgeWorkflowFindings(this.stateMachine, this.function, true);
  }

  private grant(props: BackupVerificationProps, replicaBucket: string): void {
    const { config } = props;
    const at = `${config.region}:${config.account}`;
    const fn = this.function;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBInstances', 'rds:DescribeDBSnapshots'],
        resources: [
          // Named by the data stack's convention (not its tokens), so the policy needs no cross-stack import.
          `arn:aws:rds:${at}:db:${config.prefix}-db`,
          `arn:aws:rds:${at}:db:${config.prefix}-db-replica`,
          // Automated snapshots are named rds:<instance>-<date>.
          `arn:aws:rds:${at}:snapshot:rds:${config.prefix}-db-*`,
        ],
      }),
    );
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetBucketVersioning', 's3:GetReplicationConfiguration'], resources: [props.backupsBucket.bucketArn] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [`arn:aws:s3:::${replicaBucket}`] }));
    // None of these has resource-level permissions that name the file system's recovery points ahead of time.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:GetMetricStatistics', 'backup:ListRecoveryPointsByResource', 'backup:DescribeRecoveryPoint', 'ecs:DescribeTaskDefinition'],
        resources: ['*'],
      }),
    );
    const dr = `${config.drRegion}:${config.account}`;
    // Replicated automated backups get a generated id in the DR region (auto-backup:ab-...).
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['rds:DescribeDBInstanceAutomatedBackups'], resources: [`arn:aws:rds:${dr}:auto-backup:*`] }));
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['backup:ListRecoveryPointsByBackupVault'], resources: [`arn:aws:backup:${dr}:backup-vault:${config.prefix}-dr-vault`] }),
    );
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeServices'], resources: [`arn:aws:ecs:${at}:service/${config.prefix}/${config.prefix}-*`] }));
    const repositories = [`arn:aws:ecr:${at}:repository/${config.prefix}/*`, `arn:aws:ecr:${dr}:repository/${config.prefix}/*`];
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecr:DescribeImages'], resources: repositories }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:DescribeSecret'], resources: props.replicatedSecrets.map((secret) => secret.secretArn) }));
    fn.bindTopic(props.topic);
    if (fn.role) {
      acknowledge(fn.role, 'cloudwatch:GetMetricStatistics, ecs:DescribeTaskDefinition and the AWS Backup recovery-point reads cannot be scoped to resources known at deploy time; all only read.', [
        'AwsSolutions-IAM5[Resource::*]',
      ]);
      acknowledge(fn.role, 'Automated snapshots of the database are named rds:<instance>-<date>; the pattern names only them.', [
        `AwsSolutions-IAM5[Resource::arn:aws:rds:${at}:snapshot:rds:${config.prefix}-db-*]`,
      ]);
      acknowledge(fn.role, 'Replicated automated backups get a generated id in the DR region; the environment\'s services and image repositories share its prefix. All only read.', [
        `AwsSolutions-IAM5[Resource::arn:aws:rds:${dr}:auto-backup:*]`,
        `AwsSolutions-IAM5[Resource::arn:aws:ecs:${at}:service/${config.prefix}/${config.prefix}-*]`,
        ...repositories.map((arn) => `AwsSolutions-IAM5[Resource::${arn}]`),
      ]);
    }
  }

  private definition(config: EnvironmentConfig, topic: sns.ITopic): sfn.IChainable {
    const S = BACKUP_VERIFICATION_STATES;
    // The checks only read; a rerun after a crash or a throttle costs one more message at most.
    const verify = new OpsLambdaStep(this, S.verify, {
      lambdaFunction: this.function,
      payload: { executionName: sfn.JsonPath.stringAt('$$.Execution.Name') },
      resultPath: '$.verification',
      transientRetry: { errors: ['States.TaskFailed'], interval: Duration.seconds(30), maxAttempts: 2 },
    });

    const publishFailure = new tasks.SnsPublish(this, S.publishFailure, {
      topic,
      subject: `backup-verification failed in ${config.name}`,
      message: sfn.TaskInput.fromObject({
        kind: 'OpsResult',
        workflow: 'backup-verification',
        environment: config.name,
        outcome: 'failed',
        severity: 'critical',
        summary: sfn.JsonPath.format('Backup verification could not run: {}', sfn.JsonPath.stringAt('$.failure.Cause')),
        startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        finishedAt: sfn.JsonPath.stringAt('$$.State.EnteredTime'),
        durationSeconds: 0,
        measurements: [],
        actionsTaken: ['Nothing was checked or changed'],
        howToUndo: 'Nothing to undo. Read the function logs, then start the workflow again: fhops start backup-verification. Runbook: docs/runbooks/backup-verification.md',
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    publishFailure.addRetry({ errors: ['States.TaskFailed'], interval: Duration.seconds(5), maxAttempts: 3, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
    const couldNotRun = new sfn.Fail(this, S.couldNotRun, { error: 'VerificationCouldNotRun', causePath: sfn.JsonPath.stringAt('$.failure.Cause') });
    catchTo(publishFailure, couldNotRun, '$.publishFailure');
    publishFailure.next(couldNotRun);
    catchTo(verify, publishFailure, '$.failure');

    return verify.next(
      new sfn.Choice(this, S.passed)
        .when(sfn.Condition.booleanEquals('$.verification.passed', true), new sfn.Succeed(this, S.verified))
        .otherwise(new sfn.Fail(this, S.checksFailed, { error: 'BackupChecksFailed', causePath: sfn.JsonPath.stringAt('$.verification.summary') })),
    );
  }
}
