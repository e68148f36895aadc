import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { WorkflowName } from '../../contracts/workflows.js';
import { stateMachineArn, stateMachineName } from '../../functions/lib/workflows.js';
import type { EnvironmentConfig } from '../config.js';
import { acknowledge } from '../nag/acknowledge.js';
import type { AuditTrail } from './audit-trail.js';
import { OpsFunction } from './ops-function.js';
import { OpsLambdaStep } from './ops-lambda-step.js';
import type { OpsTable } from './ops-table.js';

export interface ApprovalGateProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Where a refusal is published, naming who tried. */
  readonly topic: sns.ITopic;
  /** The approvals table the approval path writes (`approval#<id>`). */
  readonly approvalsTable: OpsTable;
  /** The roster, read again at every execution. */
  readonly authorizationParameter: ssm.IStringParameter;
  readonly auditTrail: AuditTrail;
  /** Encrypts log groups and dead-letter queues. */
  readonly logsKey: kms.IKey;
}

/** Names of the gate's states, as an operator reads them in the console. */
export const APPROVAL_GATE_STATES = {
  verify: 'Verify approval',
  refused: 'Approval refused',
  unverified: 'Approval not verified',
} as const;

/**
 * Four eyes, enforced by the workflows themselves: one verify-approval function per environment, and the first state
 * every workflow that needs two people puts before anything else (`gate.firstState(this, 'failover-drill')`).
 * Without a valid approval the execution ends there: `ApprovalRefused`, nothing changed, a result naming who tried.
 */
export class ApprovalGate extends Construct {
  public readonly function: OpsFunction;
  private readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: ApprovalGateProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    const automatedStarters = config.fourEyes.automatedStarters.map((workflow) => stateMachineArn(config.region, config.account, config.prefix, workflow));
    this.function = new OpsFunction(this, 'Function', {
      config,
      functionName: 'verify-approval',
      description: 'First state of the workflows that need two people: verifies and uses the recorded approval, or refuses',
      vpc: props.vpc,
      securityGroups: [props.securityGroup],
      encryptionKey: props.logsKey,
      environment: {
        AUTHORIZATION_PARAMETER: props.authorizationParameter.parameterName,
        AUTOMATED_STARTERS: automatedStarters.join(','),
        AUDIT_BUCKET: props.auditTrail.bucket.bucketName,
      },
    });
    const fn = this.function;
    // It reads a decision and marks it used; it never creates one.
    fn.bindTable(props.approvalsTable, { access: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] });
    fn.bindTopic(props.topic);
    props.authorizationParameter.grantRead(fn);
    props.auditTrail.grantAppend(fn);
    if (fn.role) {
      acknowledge(fn.role, 'Publishing a refusal to the KMS-encrypted topic needs data keys of its one key, as the topic\'s grantPublish grants them.', [
        'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      ]);
    }
    if (automatedStarters.length > 0) {
      const { account, region } = Stack.of(this);
      const executions = config.fourEyes.automatedStarters.map((workflow) => `arn:aws:states:${region}:${account}:execution:${stateMachineName(config.prefix, workflow)}:*`);
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:GetExecutionHistory'], resources: executions }));
      if (fn.role) {
        for (const arn of executions) {
          acknowledge(fn.role, 'The history of any execution of the automated starter: it proves which executions that workflow started.', [`AwsSolutions-IAM5[Resource::${arn}]`]);
        }
      }
    }
  }

  /** True when the config makes this workflow verify an approval in this environment. */
  guards(workflow: WorkflowName): boolean {
    return this.config.fourEyes.workflows.includes(workflow);
  }

  /**
   * The first state of a workflow that needs two people: the verified approval goes to `$.approval`; a refusal ends
   * the execution (the function has published who tried). Retried on transient errors only.
   */
  firstState(scope: Construct, workflow: WorkflowName): sfn.TaskStateBase {
    const S = APPROVAL_GATE_STATES;
    const verify = new OpsLambdaStep(scope, S.verify, {
      lambdaFunction: this.function,
      payload: {
        workflow,
        input: sfn.JsonPath.objectAt('$$.Execution.Input'),
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
      },
      resultPath: '$.approval',
      // An execution waiting on its approval check has changed nothing yet; shorter waits than the default.
      transientRetry: { interval: Duration.seconds(2) },
    });
    const functionId = Stack.of(this.function).getLogicalId(this.function.node.defaultChild as CfnElement);
    acknowledge(scope, 'The workflow invokes the verify-approval function, including its versions (<arn>:*), as LambdaInvoke grants it.', [
      `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
    ]);
    verify.addCatch(new sfn.Fail(scope, S.refused, { error: 'ApprovalRefused', causePath: sfn.JsonPath.stringAt('$.refusal.Cause') }), {
      errors: ['ApprovalRefused'],
      resultPath: '$.refusal',
    });
    verify.addCatch(new sfn.Fail(scope, S.unverified, { error: 'ApprovalNotVerified', causePath: sfn.JsonPath.stringAt('$.refusal.Cause') }), {
      errors: ['States.ALL'],
      resultPath: '$.refusal',
    });
    return verify;
  }
}
