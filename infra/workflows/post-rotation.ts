import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwactions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { OpsFunction } from '../constructs/ops-function.js';
import { OpsLambdaStep, catchTo } from '../constructs/ops-lambda-step.js';
import { OpsStateMachine } from '../constructs/ops-state-machine.js';
import { grantSecretsKeyDecrypt, shareSecret } from '../constructs/shared-secret.js';
import { addLambdaRetry, addSdkRetry } from '../constructs/step-retries.js';
import { acknowledge, acknowledgeWorkflowFindings } from '../nag/acknowledge.js';

export interface PostRotationProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** The application user's secret (RDS JSON with `masterarn`), rotated every 30 days. */
  readonly applicationSecret: secretsmanager.ISecret;
  readonly masterSecret: secretsmanager.ISecret;
  /** Encrypts both secrets. */
  readonly dataKey: kms.IKey;
  readonly cluster: ecs.ICluster;
  /** The services that read the database secret: restarted after each rotation. */
  readonly databaseClients: readonly ecs.IBaseService[];
  readonly topic: sns.ITopic;
  readonly logsKey: kms.IKey;
}

export const POST_ROTATION_STATES = {
  validate: 'Validate input',
  reportRejected: 'Report rejected input',
  rejected: 'Input rejected',
  restart: 'Restart services that read the database secret',
  startPolling: 'Start checking deployments',
  wait: 'Wait for deployments',
  check: 'Check deployments',
  steady: 'Deployments steady?',
  report: 'Report rotation finished',
  reportFailure: 'Report restart failure',
  failed: 'Restart failed',
} as const;

/**
 * The 30-day rotation of the database credentials (alternating users) and what follows it: a succeeded rotation
 * restarts the services that read the secret and waits for them (post-rotation workflow); a failed one is
 * reported as critical; a daily audit names every secret of the environment older than the rotation period.
 */
export class PostRotation extends Construct {
  public readonly rotationFunction: OpsFunction;
  public readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: PostRotationProps) {
    super(scope, id);
    const { config } = props;
    const common = { config, vpc: props.vpc, securityGroups: [props.securityGroup], encryptionKey: props.logsKey };
    const appSecret = shareSecret(this, 'ApplicationSecret', props.applicationSecret);

    this.rotationFunction = new OpsFunction(this, 'Rotate', {
      ...common,
      functionName: 'rotate-db-credentials',
      description: 'Secrets Manager rotation of the database credentials: alternating users',
      timeout: Duration.minutes(2),
      reservedConcurrentExecutions: 2,
      environment: {
        PASSWORD_LENGTH: String(config.secrets.passwordLength),
        EXCLUDE_CHARACTERS: config.secrets.passwordExcludeCharacters,
        APPLICATION_SCHEMA: config.secrets.applicationSchema,
      },
    });
    this.rotationFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
        resources: [props.applicationSecret.secretArn],
      }),
    );
    this.rotationFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.masterSecret.secretArn] }));
    // GetRandomPassword acts on no resource.
    this.rotationFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetRandomPassword'], resources: ['*'] }));
    grantSecretsKeyDecrypt(this.rotationFunction, props.dataKey);
    this.rotationFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey'],
        resources: [props.dataKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${config.region}.amazonaws.com` } },
      }),
    );
    new secretsmanager.RotationSchedule(this, 'Every30Days', {
      secret: appSecret,
      rotationLambda: this.rotationFunction,
      automaticallyAfter: Duration.days(config.secrets.rotationDays),
    });
    // The schedule lets Secrets Manager invoke the function for any secret of any account; only this secret may.
    for (const child of this.rotationFunction.node.children) {
      if (child instanceof lambda.CfnPermission && child.principal === 'secretsmanager.amazonaws.com') {
        child.sourceAccount = config.account;
        child.sourceArn = appSecret.secretArn;
      }
    }

    const rotationErrors = new cloudwatch.Alarm(this, 'RotationErrors', {
      alarmName: `${config.prefix}-rotate-db-credentials-errors`,
      alarmDescription: 'The database credential rotation failed a step; AWSCURRENT still holds working credentials. Runbook: docs/runbooks/post-rotation.md',
      metric: this.rotationFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    rotationErrors.addAlarmAction(new cwactions.SnsAction(props.topic));

    const postRotation = new OpsFunction(this, 'PostRotation', {
      ...common,
      functionName: 'post-rotation',
      description: 'Checks the services restarted after a rotation and publishes the result',
      environment: {
        MAX_CHECKS: String(config.secrets.restartMaxChecks),
        // What an execution may restart: checked in its first state, whatever the input says.
        CLUSTER_NAME: props.cluster.clusterName,
        SERVICE_NAMES: props.databaseClients.map((s) => s.serviceName).join(','),
      },
    });
    postRotation.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ecs:DescribeServices'], resources: props.databaseClients.map((s) => s.serviceArn) }),
    );
    postRotation.bindTopic(props.topic);

    this.stateMachine = this.createStateMachine(config, postRotation, props);
    acknowledgeWorkflowFindings(this.stateMachine, postRotation);

    const ingress = new OpsFunction(this, 'RotationEvents', {
      ...common,
      functionName: 'rotation-events',
      description: 'Starts the post-rotation workflow once per succeeded rotation; reports failed ones',
      environment: {
        STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
        CLUSTER_NAME: props.cluster.clusterName,
        SERVICE_NAMES: props.databaseClients.map((s) => s.serviceName).join(','),
      },
    });
    this.stateMachine.grantStartExecution(ingress);
    ingress.bindTopic(props.topic);
    new events.Rule(this, 'RotationOutcome', {
      ruleName: `${config.prefix}-db-secret-rotation`,
      description: 'Succeeded, failed and abandoned rotations of the database secret',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS Service Event via CloudTrail'],
        detail: {
          eventName: ['RotationSucceeded', 'RotationFailed', 'RotationAbandoned'],
          additionalEventData: { SecretId: [props.applicationSecret.secretArn] },
        },
      },
      targets: [new targets.LambdaFunction(ingress, { retryAttempts: 4, maxEventAge: Duration.hours(2) })],
    });

    const audit = new OpsFunction(this, 'AgeAudit', {
      ...common,
      functionName: 'secret-age-audit',
      description: 'Daily: names every secret of the environment older than the rotation period',
      environment: { NAME_PREFIX: config.prefix, MAX_AGE_DAYS: String(config.secrets.rotationDays) },
    });
    // ListSecrets acts on no resource; it only returns metadata, never values.
    audit.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }));
    audit.bindTopic(props.topic);
    const schedulerRole = new iam.Role(this, 'AuditSchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': config.account } } }),
      description: 'EventBridge Scheduler: invokes the daily secret-age audit',
    });
    new scheduler.Schedule(this, 'DailyAudit', {
      scheduleName: `${config.prefix}-secret-age-audit`,
      description: 'Daily audit of secret ages',
      schedule: scheduler.ScheduleExpression.expression(config.secrets.ageAuditSchedule),
      target: new schedulerTargets.LambdaInvoke(audit, { retryAttempts: 2, role: schedulerRole }),
    });
    acknowledge(schedulerRole, 'Invoking the audit function includes its versions (<arn>:*), as the Scheduler Lambda target grants it.', [
      `AwsSolutions-IAM5[Resource::<${Stack.of(audit).getLogicalId(audit.node.defaultChild as CfnElement)}.Arn>:*]`,
    ]);

    for (const fn of [this.rotationFunction, audit]) {
      if (fn.role) acknowledge(fn.role, 'GetRandomPassword and ListSecrets act on no resource; the role can read only this environment\'s secrets.', ['AwsSolutions-IAM5[Resource::*]']);
    }
    for (const fn of [ingress, audit]) {
      if (fn.role) acknowledge(fn.role, 'Publishing to the notification topic encrypts with its KMS key (GenerateDataKey*), as SNS grantPublish grants it.', ['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]']);
    }
  }

  private createStateMachine(config: EnvironmentConfig, postRotation: OpsFunction, props: PostRotationProps): sfn.StateMachine {
    const S = POST_ROTATION_STATES;
    const lambda = (id: string, payload: Record<string, unknown>, resultPath: string) => {
      const task = new OpsLambdaStep(this, id, { lambdaFunction: postRotation, payload, resultPath, retryOnServiceExceptions: false, transientRetry: false });
      // Every task only reads, or publishes once more at worst: all safe to run again after a timeout.
      addLambdaRetry(task, { interval: Duration.seconds(2) });
      return task;
    };
    const notDelivered = new sfn.Fail(this, 'Result not published', { error: 'PostRotationReportFailed' });
    /** A report step; a report that cannot be delivered fails the execution, and its alarm tells on-call. */
    const report = (id: string, payload: Record<string, unknown>) => {
      const task = lambda(id, { action: 'report', 'executionArn.$': '$$.Execution.Id', ...payload }, '$.report');
      catchTo(task, notDelivered, '$.reportFailure');
      return task;
    };
    const validated = { 'secretId.$': '$.secretId', 'services.$': '$.services', 'rotatedAt.$': '$.rotatedAt', 'cluster.$': '$.cluster' };

    const reportFailure = report(S.reportFailure, { ...validated, 'error.$': '$.error' });
    reportFailure.next(new sfn.Fail(this, S.failed, { error: 'PostRotationRestartFailed', cause: 'The services did not restart on the new credentials; see the published result' }));
    const restartOne = new tasks.CallAwsService(this, 'Force new deployment', {
      service: 'ecs',
      action: 'updateService',
      parameters: { 'Cluster.$': '$.cluster', 'Service.$': '$.service', ForceNewDeployment: true },
      iamResources: props.databaseClients.map((s) => s.serviceArn),
      resultSelector: { 'service.$': '$.Service.ServiceName' },
    });
    // A second forced deployment of the same service is harmless.
    addSdkRetry(restartOne, { interval: Duration.seconds(5) });
    const restart = new sfn.Map(this, S.restart, {
      itemsPath: '$.services',
      itemSelector: { 'cluster.$': '$.cluster', 'service.$': '$$.Map.Item.Value' },
      resultPath: '$.restarted',
    });
    restart.itemProcessor(restartOne);
    catchTo(restart, reportFailure, '$.error');

    const check = lambda(S.check, { action: 'checkDeployments', 'cluster.$': '$.cluster', 'services.$': '$.services', 'attempts.$': '$.check.attempts' }, '$.check');
    catchTo(check, reportFailure, '$.error');
    const wait = new sfn.Wait(this, S.wait, { time: sfn.WaitTime.duration(Duration.seconds(config.secrets.restartCheckSeconds)) });
    const finished = report(S.report, validated).next(new sfn.Succeed(this, 'Services use the new credentials'));

    // The input did not validate, so none of its fields is read: nothing is restarted on this path.
    const reportRejected = report(S.reportRejected, { 'error.$': '$.error' });
    reportRejected.next(new sfn.Fail(this, S.rejected, { error: 'InvalidRotationInput', causePath: sfn.JsonPath.stringAt('$.report.summary') }));
    const validate = lambda(S.validate, { action: 'validate', input: sfn.JsonPath.objectAt('$') }, '$');
    catchTo(validate, reportRejected, '$.error');

    const definition = validate
      .next(restart)
      .next(new sfn.Pass(this, S.startPolling, { result: sfn.Result.fromObject({ attempts: 0, steady: false }), resultPath: '$.check' }))
      .next(wait)
      .next(check)
      .next(new sfn.Choice(this, S.steady).when(sfn.Condition.booleanEquals('$.check.steady', true), finished).otherwise(wait));

    return new OpsStateMachine(this, 'StateMachine', {
      config,
      workflow: 'post-rotation',
      definition: definition,
      timeout: Duration.hours(1),
      logsKey: props.logsKey,
    });
  }
}
