import { Stack } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge } from '../nag/acknowledge.js';

export interface CrossRegionParameterProps {
  /** Region holding the parameter. */
  readonly region: string;
  /** Full parameter name, e.g. `/financehub-production/dr/key-arn`. */
  readonly parameterName: string;
}

/**
 * Reads one SSM parameter of another region at deploy time (GetParameter, allowed on that parameter only), for
 * values CloudFormation cannot know across regions, such as a KMS key ARN.
 */
export class CrossRegionParameter extends Construct {
  public readonly value: string;

  constructor(scope: Construct, id: string, props: CrossRegionParameterProps) {
    super(scope, id);
    const { account } = Stack.of(this);
    const call: cr.AwsSdkCall = {
      service: 'SSM',
      action: 'getParameter',
      parameters: { Name: props.parameterName },
      region: props.region,
      physicalResourceId: cr.PhysicalResourceId.of(`${props.region}:${props.parameterName}`),
    };
    const reader = new cr.AwsCustomResource(this, 'Reader', {
      onCreate: call,
      onUpdate: call,
      installLatestAwsSdk: false,
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [`arn:aws:ssm:${props.region}:${account}:parameter${props.parameterName}`] }),
    });
    this.value = reader.getResponseField('Parameter.Value');

    // CDK's singleton provider function of AwsCustomResource, at the stack's root.
    const provider = Stack.of(this).node.findChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
    const reason = 'CDK\'s AwsCustomResource provider runs only during deployments, on one GetParameter call CloudFormation retries; it needs no VPC, dead-letter queue or concurrency limit.';
    acknowledge(provider, reason, ['LambdaInsideVPC']);
    acknowledge(provider, reason, ['NIST.800.53.R5-LambdaConcurrency', 'NIST.800.53.R5-LambdaDLQ']);
    acknowledge(provider, 'The provider\'s role writes only its own logs with AWSLambdaBasicExecutionRole, which CDK attaches.', [
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    ]);
  }
}
