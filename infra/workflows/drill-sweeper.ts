import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { OpsFunction } from '../constructs/ops-function.js';
import { acknowledge } from '../nag/acknowledge.js';
import type { WorkflowProps } from '../constructs/workflow-props.js';

export type DrillSweeperProps = WorkflowProps;

/**
 * The daily sweeper of the restore drill: deletes drill instances (by name prefix and tag) older than the limit,
 * left by a drill that died mid-way, and reports them. One API loop, so a scheduled function, not a state machine.
 */
export class DrillSweeper extends Construct {
  public readonly function: OpsFunction;

  constructor(scope: Construct, id: string, props: DrillSweeperProps) {
    super(scope, id);
    const { config } = props;
    const at = `${config.region}:${config.account}`;
    const drillPrefix = `${config.prefix}-drill-`;

    this.function = new OpsFunction(this, 'Function', {
      config,
      functionName: 'drill-sweeper',
      description: `Deletes restore-drill instances older than ${config.recovery.drillInstanceMaxAgeHours} h and reports them`,
      vpc: props.vpc,
      securityGroups: [props.securityGroup],
      encryptionKey: props.logsKey,
      timeout: Duration.minutes(2),
      reservedConcurrentExecutions: 1,
      environment: {
        DRILL_INSTANCE_PREFIX: drillPrefix,
        MAX_AGE_HOURS: String(config.recovery.drillInstanceMaxAgeHours),
      },
    });
    // Listing instances needs db:*; deleting is limited to drill instances by name and by tag.
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [`arn:aws:rds:${at}:db:*`] }));
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['rds:DeleteDBInstance'],
        resources: [`arn:aws:rds:${at}:db:${drillPrefix}*`],
        conditions: { StringEquals: { 'rds:db-tag/financehub:purpose': 'restore-drill' } },
      }),
    );
    this.function.bindTopic(props.topic);
    if (this.function.role) {
      acknowledge(this.function.role, 'Publishing to the notification topic encrypts with its KMS key (GenerateDataKey*), as SNS grantPublish grants it.', ['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]']);
      acknowledge(this.function.role, 'Finding stale drill instances lists the instances of the account and region (DescribeDBInstances without an identifier); deletion is limited to drill-named, drill-tagged instances.', [
        `AwsSolutions-IAM5[Resource::arn:aws:rds:${at}:db:*]`,
        `AwsSolutions-IAM5[Resource::arn:aws:rds:${at}:db:${drillPrefix}*]`,
      ]);
    }

    // Its own role, so the acknowledgment below stays with this schedule.
    const scheduleRole = new iam.Role(this, 'ScheduleRole', { assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com') });
    acknowledge(scheduleRole, 'The schedule invokes the sweeper function, including its versions (<arn>:*), as grantInvoke grants it.', [
      `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.function.node.defaultChild as CfnElement)}.Arn>:*]`,
    ]);
    new scheduler.Schedule(this, 'Schedule', {
      scheduleName: `${config.prefix}-drill-sweeper`,
      description: 'Daily sweep of restore-drill instances left behind',
      schedule: scheduler.ScheduleExpression.expression(config.recovery.schedules.drillSweeper),
      target: new schedulerTargets.LambdaInvoke(this.function, { retryAttempts: 2, role: scheduleRole }),
    });
  }
}
