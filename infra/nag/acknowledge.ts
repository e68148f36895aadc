import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import type { OpsFunction } from '../constructs/ops-function.js';

export type NagPack = 'AwsSolutions' | 'NIST.800.53.R5' | 'PCI.DSS.321';

/**
 * Acknowledges cdk-nag findings on a construct (and everything below it), one reason for several rule ids.
 * A rule id without a pack prefix is expanded to the named packs, e.g. `S3BucketReplicationEnabled` to the NIST
 * and PCI rules of that name.
 */
export function acknowledge(scope: IConstruct, reason: string, ruleIds: readonly string[], packs: readonly NagPack[] = ['NIST.800.53.R5', 'PCI.DSS.321']): void {
  const ids = ruleIds.flatMap((id) => (/^(AwsSolutions|NIST\.800\.53\.R5|PCI\.DSS\.321)-/.test(id) ? [id] : packs.map((pack) => `${pack}-${id}`)));
  Validations.of(scope).acknowledge(...ids.map((id) => ({ id, reason })));
}

/**
 * The findings of a workflow made of a state machine invoking an ops function that publishes to the encrypted topic
 * (and, with `stateMachinePublishes`, a state machine that publishes too).
 */
export function acknowledgeWorkflowFindings(stateMachine: sfn.StateMachine, fn: OpsFunction, stateMachinePublishes = false): void {
  acknowledge(stateMachine.role, 'X-Ray trace writes and CloudWatch Logs delivery management (tracing and logging of the state machine) have no resource-level permissions.', [
    'AwsSolutions-IAM5[Resource::*]',
  ]);
  acknowledge(stateMachine.role, 'Invoking the workflow\'s own function includes its versions (<arn>:*), as the Step Functions Lambda integration grants it.', [
    `AwsSolutions-IAM5[Resource::<${Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*]`,
  ]);
  for (const role of stateMachinePublishes ? [stateMachine.role, fn.role] : [fn.role]) {
    if (role) acknowledge(role, 'Publishing to the notification topic encrypts with its KMS key (GenerateDataKey*), as SNS grantPublish grants it.', ['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]']);
  }
}
