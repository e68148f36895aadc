import { type CfnElement, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { WORKFLOWS } from '../../contracts/workflows.js';
import { stateMachineName } from '../../functions/lib/workflows.js';
import type { EnvironmentConfig } from '../config.js';
import { acknowledge } from '../nag/acknowledge.js';
import type { AuditTrail } from './audit-trail.js';
import type { OpsTable } from './ops-table.js';

export interface OpsCliAccessProps {
  readonly config: EnvironmentConfig;
  readonly approvalsTable: OpsTable;
  /** Encrypts the approvals table and the audit trail. */
  readonly opsKey: kms.IKey;
  readonly authorizationParameter: ssm.IStringParameter;
  readonly auditTrail: AuditTrail;
}

/**
 * What an operator's role needs for `fhops` in one environment, as a managed policy the platform team attaches: ask for
 * approval (requests only under the caller's own AWS user id, so nobody asks in another's name), start the workflows
 * that need one person, follow executions, read the audit trail (never write it). It grants no approval: only the approval
 * path writes those.
 */
export class OpsCliAccess extends Construct {
  public readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: OpsCliAccessProps) {
    super(scope, id);
    const { config } = props;
    const { account, region } = Stack.of(this);
    const machine = (workflow: (typeof WORKFLOWS)[number]) => `arn:aws:states:${region}:${account}:stateMachine:${stateMachineName(config.prefix, workflow)}`;
    const executions = WORKFLOWS.map((workflow) => `arn:aws:states:${region}:${account}:execution:${stateMachineName(config.prefix, workflow)}:*`);
    const onePerson = WORKFLOWS.filter((workflow) => !config.fourEyes.workflows.includes(workflow));
    const via = (service: string) => ({ StringEquals: { 'kms:ViaService': `${service}.${region}.amazonaws.com` } });
    const audit = props.auditTrail.bucket;
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      managedPolicyName: `${config.prefix}-ops-cli`,
      description: `${config.prefix}: what fhops needs; requests only in the caller's own name, no approvals`,
      statements: [
        new iam.PolicyStatement({
          sid: 'OwnApprovalRequests',
          actions: ['dynamodb:PutItem', 'dynamodb:GetItem'],
          resources: [props.approvalsTable.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['request#${aws:userid}#*'] } },
        }),
        new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], resources: [props.opsKey.keyArn], conditions: via('dynamodb') }),
        new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [props.authorizationParameter.parameterArn] }),
        new iam.PolicyStatement({ sid: 'AuditRead', actions: ['s3:GetObject'], resources: [audit.arnForObjects('audit/*')] }),
        new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [audit.bucketArn], conditions: { StringLike: { 's3:prefix': 'audit/*' } } }),
        new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.opsKey.keyArn], conditions: via('s3') }),
        new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: onePerson.map(machine) }),
        new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: WORKFLOWS.map(machine) }),
        new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:GetExecutionHistory'], resources: executions }),
        // ListStateMachines has no resource-level permissions.
        new iam.PolicyStatement({ actions: ['states:ListStateMachines'], resources: ['*'] }),
      ],
    });
    const bucketId = Stack.of(audit).getLogicalId(audit.node.defaultChild as CfnElement);
    acknowledge(this.policy, 'ListStateMachines has no resource-level permissions; entries of the audit trail have generated names under audit/; executions are named by whoever starts them.', [
      'AwsSolutions-IAM5[Resource::*]',
      `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/audit/*]`,
      ...executions.map((arn) => `AwsSolutions-IAM5[Resource::${arn}]`),
    ]);
  }
}
