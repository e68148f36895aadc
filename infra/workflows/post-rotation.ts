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
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { OpsFunction } from '../constructs/ops-function.js';
import { OpsLambdaStep, catchTo } from '../constructs/ops-lambda-step.js';
import { OpsStateMachine } from '../constructs/ops-state-machine.js';
import { grantSecretsKeyDecrypt, shareSecret } from '../constructs/shared-secret.js';
import { addSdkRetry } from '../constructs/step-retries.js';
import { acknowledge, acknowledgeWorkflowFindings } from '../nag/acknowledge.js';
import { type OwnerKind, ROTATION_TAGS } from '../../functions/lib/owner-secrets.js';
import { ROTATION_PROGRESS_TAG } from '../../functions/lib/rotation-contract.js';
import { INGRESS_EVENTS, type RotatedSecret } from '../../functions/lib/rotated-secrets.js';
import type { WorkflowProps } from '../constructs/workflow-props.js';

const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_, __: string, c: string) => c.toUpperCase());

export interface PostRotationProps extends WorkflowProps {
  /** The application user's secret (RDS JSON with `masterarn`), rotated every 30 days. */
  readonly applicationSecret: secretsmanager.ISecret;
  readonly masterSecret: secretsmanager.ISecret;
  /** Django's keys document ({ current, fallbacks }), rotated with SECRET_KEY_FALLBACKS. */
  readonly djangoKeysSecret: secretsmanager.ISecret;
  /** The Redis AUTH token (a plain string), rotated with its replication group. */
  readonly cacheAuthSecret: secretsmanager.ISecret;
  readonly cacheReplicationGroupId: string;
  /**
   * The third-party credentials their owners rotate (config.secrets.ownerRotated), by name; `readers` says who reads one
   * no service reads (the Slack app's, read by ops functions only): nothing restarts after its rotation.
   */
  readonly ownerRotatedSecrets: Readonly<Record<string, { readonly secret: secretsmanager.ISecret; readonly readers?: string }>>;
  /** Encrypts the secrets. */
  readonly dataKey: kms.IKey;
  /** Encrypts the ops stack's own secrets (the Slack app's). */
  readonly opsKey: kms.IKey;
  readonly cluster: ecs.ICluster;
  /** The services that read the rotated secrets when they start: restarted after each rotation. */
  readonly secretReaders: readonly ecs.IBaseService[];
}

export const POST_ROTATION_STATES = {
  validate: 'Validate input',
  reportRejected: 'Report rejected input',
  rejected: 'Input rejected',
  restart: 'Restart services that read the secret',
  startPolling: 'Start checking deployments',
  wait: 'Wait for deployments',
  check: 'Check deployments',
  steady: 'Deployments steady?',
  revokes: 'Previous value to revoke?',
  revoke: 'Revoke the previous Redis AUTH token',
  revoked: 'Revocation applied?',
  waitRevocation: 'Wait for the revocation',
  checkRevocation: 'Check the revocation',
  nothingToRevoke: 'Nothing to revoke',
  reportRevocationFailure: 'Report revocation failure',
  report: 'Report rotation finished',
  reportFailure: 'Report restart failure',
  failed: 'Restart failed',
} as const;

/**
 * The 30-day rotations (database application user and master, Redis AUTH token, Django keys) and what follows
 * them: a succeeded rotation of a secret the services read restarts them and waits for them (post-rotation
 * workflow), then, for the Redis token, revokes the previous one; a rotated master is reported at once; a failed
 * rotation is reported as critical; a daily audit names every secret of the environment older than the period.
 */
export class PostRotation extends Construct {
  public readonly rotationFunction: OpsFunction;
  public readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: PostRotationProps) {
    super(scope, id);
    const { config } = props;
    const common = { config, vpc: props.vpc, securityGroups: [props.securityGroup], encryptionKey: props.logsKey };
    this.rotationFunction = new OpsFunction(this, 'Rotate', {
      ...common,
      functionName: 'rotate-db-credentials',
      description: 'Secrets Manager rotation of the database credentials: alternating users for the application, single-user for the master',
      timeout: Duration.minutes(2),
      reservedConcurrentExecutions: 2,
      environment: {
        PASSWORD_LENGTH: String(config.secrets.passwordLength),
        EXCLUDE_CHARACTERS: config.secrets.passwordExcludeCharacters,
        APPLICATION_SCHEMA: config.secrets.applicationSchema,
        MASTER_SECRET_ARN: props.masterSecret.secretArn,
      },
    });
    // The master rotates single-user (its own ALTER ROLE): only ops functions log in as the master and each reads the
    // secret per connection, trying AWSPENDING and AWSPREVIOUS when AWSCURRENT is refused (functions/lib/master-credentials.ts).
    this.rotates(this.rotationFunction, props, { id: 'RotationErrors', functionName: 'rotate-db-credentials' }, [
      { id: 'Every30Days', secret: props.applicationSecret },
      { id: 'MasterEvery30Days', secret: props.masterSecret },
    ]);

    const cacheRotation = this.createCacheRotation(props, common);
    this.createDjangoKeyRotation(props, common);
    const ownerRotated = this.createOwnerRotation(props, common);

    const postRotation = new OpsFunction(this, 'PostRotation', {
      ...common,
      functionName: 'post-rotation',
      description: 'Checks the services restarted after a rotation and publishes the result',
      environment: {
        MAX_CHECKS: String(config.secrets.restartMaxChecks),
        // What an execution may restart: checked in its first state, whatever the input says.
        CLUSTER_NAME: props.cluster.clusterName,
        SERVICE_NAMES: props.secretReaders.map((s) => s.serviceName).join(','),
      },
    });
    postRotation.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ecs:DescribeServices'], resources: props.secretReaders.map((s) => s.serviceArn) }),
    );
    postRotation.bindTopic(props.topic);

    this.stateMachine = this.createStateMachine(config, postRotation, cacheRotation, props);
    acknowledgeWorkflowFindings(this.stateMachine, postRotation);
    acknowledge(this.stateMachine.role, 'Invoking the Redis rotation function (the revocation after the restart) includes its versions (<arn>:*), as the Step Functions Lambda integration grants it.', [
      `AwsSolutions-IAM5[Resource::<${Stack.of(cacheRotation).getLogicalId(cacheRotation.node.defaultChild as CfnElement)}.Arn>:*]`,
    ]);

    const rotated: RotatedSecret[] = [
      { secretArn: props.applicationSecret.secretArn, kind: 'database-app', services: props.secretReaders.map((s) => s.serviceName) },
      { secretArn: props.masterSecret.secretArn, kind: 'database-master', services: [] },
      { secretArn: props.cacheAuthSecret.secretArn, kind: 'redis-auth', services: props.secretReaders.map((s) => s.serviceName) },
      { secretArn: props.djangoKeysSecret.secretArn, kind: 'django-secret-key', services: props.secretReaders.map((s) => s.serviceName) },
      ...ownerRotated.map(({ secret, kind, readers }) =>
        readers ? { secretArn: secret.secretArn, kind, services: [], readers } : { secretArn: secret.secretArn, kind, services: props.secretReaders.map((s) => s.serviceName) },
      ),
    ];
    const mintedArns = rotated.filter((s) => !ownerRotated.some((o) => o.secret.secretArn === s.secretArn)).map((s) => s.secretArn);
    const ingress = new OpsFunction(this, 'RotationEvents', {
      ...common,
      functionName: 'rotation-events',
      description: 'Starts the post-rotation workflow once per succeeded rotation; reports failed ones',
      environment: {
        STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
        CLUSTER_NAME: props.cluster.clusterName,
        ROTATED_SECRETS: Stack.of(this).toJsonString(rotated),
      },
    });
    this.stateMachine.grantStartExecution(ingress);
    ingress.bindTopic(props.topic);
    // Reads back the version a rotation made current, for the report of a secret no service reads.
    ingress.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:DescribeSecret'], resources: rotated.map((s) => s.secretArn) }));
    // The ingress is the only one to report a failed rotation and a rotated master: its own failure must reach on-call.
    new cloudwatch.Alarm(this, 'RotationEventsErrors', {
      alarmName: `${config.prefix}-rotation-events-errors`,
      alarmDescription: 'The rotation-events ingress failed: a rotation outcome may not have been reported, or its restart not started. Runbook: docs/runbooks/post-rotation.md',
      metric: ingress.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new cwactions.SnsAction(props.topic));
    const ingressTarget = new targets.LambdaFunction(ingress, { retryAttempts: 4, maxEventAge: Duration.hours(2) });
    new events.Rule(this, 'RotationOutcome', {
      ruleName: `${config.prefix}-db-secret-rotation`,
      description: 'Succeeded, failed and abandoned rotations of the secrets the rotation functions rotate',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS Service Event via CloudTrail'],
        detail: {
          eventName: [...INGRESS_EVENTS.minted],
          additionalEventData: { SecretId: mintedArns },
        },
      },
      targets: [ingressTarget],
    });
    // An owner's rotation fails on purpose until they store the new value; rotate-owner-secret reports its own
    // refusals and the age audit its reminders, so only the success (restart and report) comes here.
    new events.Rule(this, 'OwnerRotationSucceeded', {
      ruleName: `${config.prefix}-rotate-owner-secret`,
      description: 'Succeeded rotations of the secrets their owners rotate: restart the services that read them',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS Service Event via CloudTrail'],
        detail: { eventName: [...INGRESS_EVENTS.owner], additionalEventData: { SecretId: ownerRotated.map((o) => o.secret.secretArn) } },
      },
      targets: [ingressTarget],
    });

    const audit = new OpsFunction(this, 'AgeAudit', {
      ...common,
      functionName: 'secret-age-audit',
      description: 'Daily: names every secret of the environment older than the rotation period; reminds owners of open rotation requests',
      environment: { NAME_PREFIX: config.prefix, MAX_AGE_DAYS: String(config.secrets.rotationDays), ESCALATE_AFTER_DAYS: String(config.secrets.ownerEscalateAfterDays) },
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

    if (audit.role) acknowledge(audit.role, 'ListSecrets acts on no resource and returns metadata only, never values.', ['AwsSolutions-IAM5[Resource::*]']);
    for (const fn of [ingress, audit]) {
      if (fn.role) acknowledge(fn.role, 'Publishing to the notification topic encrypts with its KMS key (GenerateDataKey*), as SNS grantPublish grants it.', ['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]']);
    }
  }

  /**
   * The Redis AUTH token: ROTATE in setSecret (old and new both valid), then the restart, then SET by the
   * post-rotation workflow. The function may change the AUTH token of this replication group only.
   */
  private createCacheRotation(props: PostRotationProps, common: { config: EnvironmentConfig; vpc: ec2.IVpc; securityGroups: ec2.ISecurityGroup[]; encryptionKey: kms.IKey }): OpsFunction {
    const { config } = props;
    const { cacheAuth } = config.secrets;
    const fn = new OpsFunction(this, 'RotateCacheAuth', {
      ...common,
      functionName: 'rotate-redis-auth',
      description: 'Secrets Manager rotation of the Redis AUTH token: ElastiCache ROTATE; the post-rotation workflow SETs after the restart',
      timeout: Duration.minutes(15),
      reservedConcurrentExecutions: 2,
      environment: {
        REPLICATION_GROUP_ID: props.cacheReplicationGroupId,
        TOKEN_LENGTH: String(cacheAuth.tokenLength),
        MAX_WAIT_SECONDS: String(cacheAuth.maxWaitSeconds),
        POLL_SECONDS: String(cacheAuth.pollSeconds),
        MAX_REVOCATION_CHECKS: String(cacheAuth.revocationMaxChecks),
      },
    });
    // ListSecretVersionIds: testSecret compares the pending version's creation with ElastiCache's last token change.
    this.rotates(fn, props, { id: 'CacheAuthRotationErrors', functionName: 'rotate-redis-auth' }, [{ id: 'CacheAuthEvery30Days', secret: props.cacheAuthSecret }], ['secretsmanager:ListSecretVersionIds']);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['elasticache:DescribeReplicationGroups', 'elasticache:ModifyReplicationGroup'],
        resources: [`arn:aws:elasticache:${config.region}:${config.account}:replicationgroup:${props.cacheReplicationGroupId}`],
      }),
    );
    return fn;
  }

  /** Django's keys: the new key current, the previous ones in SECRET_KEY_FALLBACKS until sessions made with them expire. */
  private createDjangoKeyRotation(props: PostRotationProps, common: { config: EnvironmentConfig; vpc: ec2.IVpc; securityGroups: ec2.ISecurityGroup[]; encryptionKey: kms.IKey }): OpsFunction {
    const { djangoKey } = props.config.secrets;
    const fn = new OpsFunction(this, 'RotateDjangoKey', {
      ...common,
      functionName: 'rotate-django-secret-key',
      description: 'Secrets Manager rotation of the Django SECRET_KEY: the previous key stays in SECRET_KEY_FALLBACKS until sessions expire',
      reservedConcurrentExecutions: 2,
      environment: {
        KEY_LENGTH: String(djangoKey.keyLength),
        EXCLUDE_CHARACTERS: '"\\\'`',
        SESSION_MAX_AGE_SECONDS: String(djangoKey.sessionMaxAgeDays * 86_400),
      },
    });
    this.rotates(fn, props, { id: 'DjangoKeyRotationErrors', functionName: 'rotate-django-secret-key' }, [{ id: 'DjangoKeyEvery30Days', secret: props.djangoKeysSecret }]);
    return fn;
  }

  /**
   * Third-party credentials with a person in the loop: the schedule opens a request to the owner, who stores the new
   * value as AWSPENDING; the function checks it and promotes it. It reads, stages and tags only those secrets, and
   * writes no value (the owner does): no PutSecretValue, no GetRandomPassword.
   */
  private createOwnerRotation(
    props: PostRotationProps,
    common: { config: EnvironmentConfig; vpc: ec2.IVpc; securityGroups: ec2.ISecurityGroup[]; encryptionKey: kms.IKey },
  ): { secret: secretsmanager.ISecret; kind: OwnerKind; readers?: string }[] {
    const { config } = props;
    const owned = config.secrets.ownerRotated.map((declared) => {
      const provided = props.ownerRotatedSecrets[declared.name];
      if (!provided) throw new Error(`config.secrets.ownerRotated names ${declared.name}, which neither the data stack nor the ops stack provides`);
      return { declared, ...provided };
    });
    if (owned.length === 0) return [];
    const fn = new OpsFunction(this, 'RotateOwnerSecret', {
      ...common,
      functionName: 'rotate-owner-secret',
      description: 'Secrets Manager rotation of third-party credentials: asks the owner, checks their new value, promotes it',
      reservedConcurrentExecutions: 2,
      environment: {
        OWNER_SECRETS: Stack.of(this).toJsonString(owned.map(({ declared, secret }) => ({ ...declared, secretArn: secret.secretArn }))),
      },
    });
    fn.bindTopic(props.topic);
    const arns = owned.map(({ secret }) => secret.secretArn);
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:UpdateSecretVersionStage'], resources: arns }),
    );
    // Only its own two request tags: it cannot change the owner tag or any other.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:TagResource', 'secretsmanager:UntagResource'],
        resources: arns,
        conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [ROTATION_TAGS.requestedAt, ROTATION_TAGS.requestedVersion] } },
      }),
    );
    grantSecretsKeyDecrypt(fn, props.dataKey);
    if (owned.some(({ secret }) => secret.encryptionKey === props.opsKey)) grantSecretsKeyDecrypt(fn, props.opsKey);
    for (const { declared, secret } of owned) {
      const id = `${pascal(declared.name)}Every30Days`;
      fn.addPermission(`${id}Invoke`, {
        principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
        action: 'lambda:InvokeFunction',
        sourceAccount: config.account,
        sourceArn: secret.secretArn,
      });
      // The L1 schedule: the L2 grants its function PutSecretValue and GetRandomPassword, which one that writes no
      // value must not hold. The first request comes 30 days after the deploy, not at it.
      const schedule = new secretsmanager.CfnRotationSchedule(this, id, {
        secretId: secret.secretArn,
        rotationLambdaArn: fn.functionArn,
        rotateImmediatelyOnUpdate: false,
        rotationRules: { scheduleExpression: `rate(${config.secrets.rotationDays} days)` },
      });
      // Secrets Manager checks at creation that it may invoke the function.
      schedule.node.addDependency(fn);
    }
    if (fn.role) acknowledge(fn.role, 'Publishing the rotation request to the notification topic encrypts with its KMS key (GenerateDataKey*), as SNS grantPublish grants it.', ['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]']);
    return owned.map(({ declared, secret, readers }) => ({ secret, kind: declared.kind, readers }));
  }

  /**
   * What a rotation function needs, scoped to the secrets it rotates: their versions and stages, a random value,
   * their KMS key through Secrets Manager only; a 30-day schedule per secret; an alarm on any failed step.
   */
  private rotates(fn: OpsFunction, props: PostRotationProps, alarm: { id: string; functionName: string }, rotated: { id: string; secret: secretsmanager.ISecret }[], extraActions: string[] = []): void {
    const { config } = props;
    const errors = new cloudwatch.Alarm(this, alarm.id, {
      alarmName: `${config.prefix}-${alarm.functionName}-errors`,
      alarmDescription: 'A secret rotation failed a step; AWSCURRENT still holds the value the services use. Runbook: docs/runbooks/post-rotation.md',
      metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    errors.addAlarmAction(new cwactions.SnsAction(props.topic));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage', ...extraActions],
        resources: rotated.map((r) => r.secret.secretArn),
      }),
    );
    // Only the progress tag, which the failure report reads back: no other tag of these secrets.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:TagResource'],
        resources: rotated.map((r) => r.secret.secretArn),
        conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [ROTATION_PROGRESS_TAG] } },
      }),
    );
    // GetRandomPassword acts on no resource.
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetRandomPassword'], resources: ['*'] }));
    grantSecretsKeyDecrypt(fn, props.dataKey);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey'],
        resources: [props.dataKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${config.region}.amazonaws.com` } },
      }),
    );
    this.schedules(fn, config, rotated);
    if (fn.role) acknowledge(fn.role, 'GetRandomPassword acts on no resource; the role can read and write only the secrets it rotates.', ['AwsSolutions-IAM5[Resource::*]']);
  }

  /** A 30-day schedule per secret, and Secrets Manager's permission to invoke the function for them only. */
  private schedules(fn: OpsFunction, config: EnvironmentConfig, rotated: { id: string; secret: secretsmanager.ISecret }[]): void {
    for (const { id, secret } of rotated) {
      new secretsmanager.RotationSchedule(this, id, {
        secret: shareSecret(this, `${id}Secret`, secret),
        rotationLambda: fn,
        automaticallyAfter: Duration.days(config.secrets.rotationDays),
      });
    }
    // The schedules let Secrets Manager invoke the function for any secret of any account: only this account's and only
    // for these secrets. A Lambda permission names one source ARN, so the first secret narrows the schedules' own
    // permission and each further one gets a permission of its own.
    const [first, ...others] = rotated;
    for (const child of fn.node.children) {
      if (child instanceof lambda.CfnPermission && child.principal === 'secretsmanager.amazonaws.com') {
        child.sourceAccount = config.account;
        child.sourceArn = first?.secret.secretArn;
      }
    }
    for (const { id, secret } of others) {
      fn.addPermission(`${id}Invoke`, {
        principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
        action: 'lambda:InvokeFunction',
        sourceAccount: config.account,
        sourceArn: secret.secretArn,
      });
    }
  }

  private createStateMachine(config: EnvironmentConfig, postRotation: OpsFunction, cacheRotation: OpsFunction, props: PostRotationProps): sfn.StateMachine {
    const S = POST_ROTATION_STATES;
    // Every task only reads, or publishes once more at worst: all safe to run again after a timeout (the default).
    const lambda = (id: string, payload: Record<string, unknown>, resultPath: string, lambdaFunction: OpsFunction = postRotation) =>
      new OpsLambdaStep(this, id, { lambdaFunction, payload, resultPath, transientRetry: { interval: Duration.seconds(2) } });
    const notDelivered = new sfn.Fail(this, 'Result not published', { error: 'PostRotationReportFailed' });
    /** A report step; a report that cannot be delivered fails the execution, and its alarm tells on-call. */
    const report = (id: string, payload: Record<string, unknown>) => {
      const task = lambda(id, { action: 'report', 'executionArn.$': '$$.Execution.Id', ...payload }, '$.report');
      task.addRetry(OpsLambdaStep.REPORT_RETRY);
      catchTo(task, notDelivered, '$.reportFailure');
      return task;
    };
    const validated = { 'secretId.$': '$.secretId', 'kind.$': '$.kind', 'services.$': '$.services', 'rotatedAt.$': '$.rotatedAt', 'cluster.$': '$.cluster' };

    const reportFailure = report(S.reportFailure, { ...validated, 'error.$': '$.error' });
    reportFailure.next(new sfn.Fail(this, S.failed, { error: 'PostRotationRestartFailed', cause: 'The services did not restart on the new credentials; see the published result' }));
    const restartOne = new tasks.CallAwsService(this, 'Force new deployment', {
      service: 'ecs',
      action: 'updateService',
      parameters: { 'Cluster.$': '$.cluster', 'Service.$': '$.service', ForceNewDeployment: true },
      iamResources: props.secretReaders.map((s) => s.serviceArn),
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
    const finished = report(S.report, { ...validated, 'revocation.$': '$.revocation' }).next(new sfn.Succeed(this, 'Services use the new value'));

    // Redis: the services restarted on the new token, so the previous one can go (SET); then wait until it applied.
    const reportRevocationFailure = report(S.reportRevocationFailure, { ...validated, 'error.$': '$.error', stage: 'revoke' });
    reportRevocationFailure.next(
      new sfn.Fail(this, 'Revocation failed', { error: 'PostRotationRevocationFailed', cause: 'The previous Redis AUTH token may still be valid; see the published result' }),
    );
    // SET again after a timeout is refused by ElastiCache (SET needs a ROTATE first) and read as done; the check only reads.
    const revoke = lambda(S.revoke, { action: 'revokePreviousToken', 'secretId.$': '$.secretId', 'versionId.$': '$.versionId' }, '$.revocation', cacheRotation);
    catchTo(revoke, reportRevocationFailure, '$.error');
    const checkRevocation = lambda(S.checkRevocation, { action: 'checkRevocation', 'checks.$': '$.revocation.checks' }, '$.revocation', cacheRotation);
    catchTo(checkRevocation, reportRevocationFailure, '$.error');
    const waitRevocation = new sfn.Wait(this, S.waitRevocation, { time: sfn.WaitTime.duration(Duration.seconds(config.secrets.cacheAuth.revocationCheckSeconds)) });
    const revoked = new sfn.Choice(this, S.revoked).when(sfn.Condition.stringEquals('$.revocation.state', 'applying'), waitRevocation).otherwise(finished);
    waitRevocation.next(checkRevocation).next(revoked);
    const afterRestart = new sfn.Choice(this, S.revokes)
      .when(sfn.Condition.stringEquals('$.kind', 'redis-auth'), revoke.next(revoked))
      .otherwise(new sfn.Pass(this, S.nothingToRevoke, { result: sfn.Result.fromObject({ state: 'not-applicable' }), resultPath: '$.revocation' }).next(finished));

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
      .next(new sfn.Choice(this, S.steady).when(sfn.Condition.booleanEquals('$.check.steady', true), afterRestart).otherwise(wait));

    return new OpsStateMachine(this, 'StateMachine', {
      config,
      workflow: 'post-rotation',
      definition: definition,
      timeout: Duration.hours(1),
      logsKey: props.logsKey,
    });
  }
}
