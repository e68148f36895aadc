import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { RELEASE_DRILL_LOCK, bindDrillLock, drillEnding } from '../constructs/drill-lock.js';
import { OpsFunction } from '../constructs/ops-function.js';
import type { OpsTable } from '../constructs/ops-table.js';
import { OpsLambdaStep, catchTo } from '../constructs/ops-lambda-step.js';
import { OpsStateMachine } from '../constructs/ops-state-machine.js';
import { acknowledge, acknowledgeWorkflowFindings } from '../nag/acknowledge.js';

export interface RestoreDrillProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  /** The ops functions' group: the one the drill instance admits on 5432. */
  readonly opsSecurityGroup: ec2.ISecurityGroup;
  /** Given to the temporary instance: 5432 from the ops functions only. */
  readonly drillSecurityGroup: ec2.ISecurityGroup;
  readonly database: rds.IDatabaseInstance;
  readonly readReplica: rds.IDatabaseInstance;
  /** Master credentials: the restored instance keeps the source's master user. */
  readonly masterSecret: secretsmanager.ISecret;
  /** Where the drill reports go (under `drills/`). */
  readonly reportsBucket: s3.IBucket;
  /** The data key: encrypts the source (a restore needs grants on it) and the backups bucket. */
  readonly dataKey: kms.IKey;
  readonly topic: sns.ITopic;
  /** Encrypts log groups and dead-letter queues. */
  readonly logsKey: kms.IKey;
  /** Holds the environment's drill lock: one drill at a time. */
  readonly lockTable: OpsTable;
}

/** Longer than the longest path (restore cap + deletion retries + deletion cap); the sweeper catches the rest. */
const TIMEOUT = Duration.hours(12);

/** Polling: first wait, longest wait (the wait grows by half each time in between). */
const POLL_INITIAL_SECONDS = 60;
const POLL_MAX_SECONDS = 300;
/** How long RDS gets to finish deleting before the drill reports an orphan. */
const DELETE_WAIT_CAP_MINUTES = 60;

/** Names of the states, as an operator reads them in the console and the tests assert them. */
export const RESTORE_DRILL_STATES = {
  preconditions: 'Check preconditions',
  startRestore: 'Start restore',
  waitRestore: 'Wait for restored instance',
  checkRestore: 'Check restored instance',
  restoreAvailable: 'Restored instance available?',
  restoreTooLong: 'Restore took too long',
  verify: 'Verify restored data',
  delete: 'Delete drill instance',
  gone: 'Drill instance gone?',
  waitDeletion: 'Wait for deletion',
  confirmDeletion: 'Confirm drill instance deleted',
  deletionTooLong: 'Deletion took too long',
  releaseLock: RELEASE_DRILL_LOCK,
  report: 'Write drill report',
  passed: 'Drill passed?',
  succeeded: 'Drill passed',
  skipped: 'Drill skipped',
  failed: 'Drill failed',
  reportNotWritten: 'Drill result not published',
} as const;

/**
 * The monthly restore drill: restores the latest restorable time of the database into a temporary instance,
 * verifies it with SQL, measures RTO and the data-loss window, always deletes the instance, and reports (OpsResult
 * to the topic, JSON + HTML under `drills/` in the backups bucket). Started by its schedule or by hand.
 */
export class RestoreDrill extends Construct {
  public readonly function: OpsFunction;
  public readonly stateMachine: OpsStateMachine;
  private readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: RestoreDrillProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    const drillPrefix = `${config.prefix}-drill-`;

    this.function = new OpsFunction(this, 'Function', {
      config,
      functionName: 'restore-drill',
      description: 'Restore drill steps: preconditions, restore, status, verification SQL, deletion, report',
      vpc: props.vpc,
      securityGroups: [props.opsSecurityGroup],
      encryptionKey: props.logsKey,
      // Counting rows of the critical tables on two databases can take minutes.
      timeout: Duration.minutes(5),
      memorySize: 512,
      environment: {
        SOURCE_INSTANCE_ID: props.database.instanceIdentifier,
        REPLICA_INSTANCE_ID: props.readReplica.instanceIdentifier,
        DRILL_INSTANCE_PREFIX: drillPrefix,
        DRILL_SECURITY_GROUP_ID: props.drillSecurityGroup.securityGroupId,
        MASTER_SECRET_ARN: props.masterSecret.secretArn,
        DATABASE_NAME: config.database.databaseName,
        REPORTS_BUCKET: props.reportsBucket.bucketName,
        RTO_MINUTES: String(config.recovery.rtoMinutes),
        RPO_MINUTES: String(config.recovery.rpoMinutes),
        CRITICAL_TABLES: config.recovery.drillCriticalTables.join(','),
        ROW_COUNT_TOLERANCE_PERCENT: String(config.recovery.drillRowCountTolerancePercent),
        DRILL_SCHEMA: 'public',
        POLL_INITIAL_SECONDS: String(POLL_INITIAL_SECONDS),
        POLL_MAX_SECONDS: String(POLL_MAX_SECONDS),
        // Not available within the RTO means the drill failed anyway.
        RESTORE_WAIT_CAP_MINUTES: String(config.recovery.rtoMinutes),
        DELETE_WAIT_CAP_MINUTES: String(DELETE_WAIT_CAP_MINUTES),
      },
    });
    this.grant(props, drillPrefix);
    // The lock lives as long as the drill can: it never outlives the execution that took it.
    bindDrillLock(this.function, props.lockTable, TIMEOUT);

    this.stateMachine = new OpsStateMachine(this, 'StateMachine', {
      config,
      workflow: 'restore-drill',
      definition: this.definition(),
      timeout: TIMEOUT,
      logsKey: props.logsKey,
    });

    this.stateMachine.schedule(config.recovery.schedules.restoreDrill, 'Monthly restore drill');
    this.acknowledgeFindings();
  }

  private grant(props: RestoreDrillProps, drillPrefix: string): void {
    const { config } = props;
    const at = `${config.region}:${config.account}`;
    const drillInstances = `arn:aws:rds:${at}:db:${drillPrefix}*`;
    // Named by the data stack's convention (not its tokens), so the policy needs no cross-stack import.
    const source = `arn:aws:rds:${at}:db:${config.prefix}-db`;
    const replica = `arn:aws:rds:${at}:db:${config.prefix}-db-replica`;
    const fn = this.function;
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [source, replica, drillInstances] }));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['rds:RestoreDBInstanceToPointInTime', 'rds:AddTagsToResource'],
        resources: [source, drillInstances, `arn:aws:rds:${at}:subgrp:*`, `arn:aws:rds:${at}:pg:*`, `arn:aws:rds:${at}:og:*`],
      }),
    );
    // Deletes only instances that are drill instances by name AND by tag.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['rds:DeleteDBInstance'],
        resources: [drillInstances],
        conditions: { StringEquals: { 'rds:db-tag/financehub:purpose': 'restore-drill' } },
      }),
    );
    // Restoring an encrypted instance creates a grant on its key for RDS.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant', 'kms:DescribeKey'],
        resources: [props.dataKey.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );
    // Identity policies only (no grant on the secret, bucket or key): their stack must not depend on this one.
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [props.masterSecret.secretArn] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [`arn:aws:s3:::${config.prefix}-backups-${config.account}/drills/*`] }));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.dataKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': [`secretsmanager.${config.region}.amazonaws.com`, `s3.${config.region}.amazonaws.com`] } },
      }),
    );
    fn.bindTopic(props.topic);
  }

  private definition(): sfn.IChainable {
    const S = RESTORE_DRILL_STATES;
    const step = (stateName: string, payload: Record<string, unknown>, resultPath: string) =>
      new OpsLambdaStep(this, stateName, { lambdaFunction: this.function, payload, resultPath });

    // Every path releases the drill lock before it reports.
    const release = drillEnding(this, this.function, S, 'Drill');

    // Cleanup: reached on success and from every failure after the restore was requested.
    const drillInstance = sfn.JsonPath.stringAt('$.drill.instanceId');
    const deleteInstance = step(S.delete, { action: 'deleteInstance', instanceId: drillInstance, executionName: sfn.JsonPath.stringAt('$$.Execution.Name') }, '$.deletion');
    // RDS refuses to delete an instance still being created: asked again for about 45 minutes (60 s doubling, at most
    // 15 min apart), then the report names the orphan and the command that deletes it.
    deleteInstance.addRetry({ errors: ['InstanceNotDeletableYet'], interval: Duration.seconds(60), maxAttempts: 6, backoffRate: 2, maxDelay: Duration.minutes(15), jitterStrategy: sfn.JitterType.FULL });
    const confirm = step(S.confirmDeletion, { action: 'confirmDeletion', instanceId: drillInstance, previous: sfn.JsonPath.objectAt('$.deletion') }, '$.deletion');
    catchTo([deleteInstance, confirm], release, '$.cleanupFailure');
    const deletionTooLong = new sfn.Pass(this, S.deletionTooLong, {
      result: sfn.Result.fromObject({ Error: 'DeletionWaitCapReached', Cause: `The drill instance was still not deleted after ${DELETE_WAIT_CAP_MINUTES} minutes.` }),
      resultPath: '$.cleanupFailure',
    }).next(release);
    const waitDeletion = new sfn.Wait(this, S.waitDeletion, { time: sfn.WaitTime.secondsPath('$.deletion.nextWaitSeconds') });
    const gone = new sfn.Choice(this, S.gone)
      .when(sfn.Condition.booleanEquals('$.deletion.gone', true), release)
      .when(sfn.Condition.booleanEquals('$.deletion.capReached', true), deletionTooLong)
      .otherwise(waitDeletion);
    waitDeletion.next(confirm);
    confirm.next(gone);
    deleteInstance.next(gone);

    const verify = step(S.verify, { action: 'verifyRestore', plan: sfn.JsonPath.objectAt('$.drill'), restored: sfn.JsonPath.objectAt('$.restored') }, '$.verification');
    const startRestore = step(S.startRestore, { action: 'startRestore', plan: sfn.JsonPath.objectAt('$.drill') }, '$.restored');
    const checkRestore = step(S.checkRestore, { action: 'checkRestore', plan: sfn.JsonPath.objectAt('$.drill'), previous: sfn.JsonPath.objectAt('$.restored') }, '$.restored');
    for (const afterRestoreRequested of [startRestore, checkRestore, verify]) {
      catchTo(afterRestoreRequested, deleteInstance, '$.failure');
    }
    const waitRestore = new sfn.Wait(this, S.waitRestore, { time: sfn.WaitTime.secondsPath('$.restored.nextWaitSeconds') });
    const restoreTooLong = new sfn.Pass(this, S.restoreTooLong, {
      result: sfn.Result.fromObject({ Error: 'RestoreWaitCapReached', Cause: `The restored instance was not available within ${this.config.recovery.rtoMinutes} minutes.` }),
      resultPath: '$.failure',
    }).next(deleteInstance);
    startRestore.next(waitRestore);
    waitRestore.next(checkRestore);
    checkRestore.next(
      new sfn.Choice(this, S.restoreAvailable)
        .when(sfn.Condition.booleanEquals('$.restored.available', true), verify)
        .when(sfn.Condition.booleanEquals('$.restored.capReached', true), restoreTooLong)
        .otherwise(waitRestore),
    );
    verify.next(deleteInstance);

    const preconditions = step(
      S.preconditions,
      {
        action: 'checkPreconditions',
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        options: sfn.JsonPath.objectAt('$'),
      },
      '$.drill',
    );
    catchTo(preconditions, release, '$.failure');
    return preconditions.next(startRestore);
  }

  private acknowledgeFindings(): void {
    const { prefix, region, account } = this.config;
    acknowledgeWorkflowFindings(this.stateMachine, this.function);
    const role = this.function.role;
    if (role) {
      acknowledge(role, 'Drill reports are written under drills/ of the backups bucket, one object per report.', [
        `AwsSolutions-IAM5[Resource::arn:aws:s3:::${prefix}-backups-${account}/drills/*]`,
      ]);
      acknowledge(
        role,
        'A restore needs the source DB subnet group, parameter group and option group, whose CDK-generated names are unknown here; the target is limited to drill instances by name.',
        [
          `AwsSolutions-IAM5[Resource::arn:aws:rds:${region}:${account}:subgrp:*]`,
          `AwsSolutions-IAM5[Resource::arn:aws:rds:${region}:${account}:pg:*]`,
          `AwsSolutions-IAM5[Resource::arn:aws:rds:${region}:${account}:og:*]`,
          `AwsSolutions-IAM5[Resource::arn:aws:rds:${region}:${account}:db:${prefix}-drill-*]`,
        ],
      );
    }
  }
}
