import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { acknowledge } from './nag/acknowledge.js';
import { DEFAULT_CONTEXT, type DeploymentContext, type EnvironmentConfig, environmentConfig } from './config.js';
import { ENVIRONMENTS } from '../contracts/environments.js';
import { ComputeStack } from './stacks/compute-stack.js';
import { DataStack } from './stacks/data-stack.js';
import { DrStack } from './stacks/dr-stack.js';
import { EdgeStack } from './stacks/edge-stack.js';
import { NetworkStack } from './stacks/network-stack.js';
import { ObservabilityStack } from './stacks/observability-stack.js';
import { OpsStack } from './stacks/ops-stack.js';

export interface EnvironmentStacks {
  readonly config: EnvironmentConfig;
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly edge: EdgeStack;
  readonly compute: ComputeStack;
  readonly observability: ObservabilityStack;
  readonly ops: OpsStack;
  readonly dr: DrStack;
}

/** Reads the deployment context (`-c stagingAccount=...`); anything unset falls back to offline defaults. */
export function deploymentContext(app: App): DeploymentContext {
  const read = (key: keyof DeploymentContext): string => {
    const value: unknown = app.node.tryGetContext(key);
    return typeof value === 'string' && value.length > 0 ? value : DEFAULT_CONTEXT[key];
  };
  return {
    stagingAccount: read('stagingAccount'),
    productionAccount: read('productionAccount'),
    hostedZoneId: read('hostedZoneId'),
    domainName: read('domainName'),
    imageTag: read('imageTag'),
    githubOwner: read('githubOwner'),
    slackWorkspaceId: read('slackWorkspaceId'),
    slackStagingCriticalChannel: read('slackStagingCriticalChannel'),
    slackProductionCriticalChannel: read('slackProductionCriticalChannel'),
  };
}

/** Stack id prefix, e.g. `FinanceHub-production`. */
export function stackPrefix(config: EnvironmentConfig): string {
  return `FinanceHub-${config.name}`;
}

/** Every stack of one environment: the layers in us-east-1 and the backup replica in the DR region. */
export function buildEnvironment(app: App, config: EnvironmentConfig): EnvironmentStacks {
  const prefix = stackPrefix(config);
  const env = { account: config.account, region: config.region };
  const dr = new DrStack(app, `${prefix}-DR`, { config, env: { account: config.account, region: config.drRegion } });
  const network = new NetworkStack(app, `${prefix}-Network`, { config, env });
  const data = new DataStack(app, `${prefix}-Data`, { config, env, network, dr });
  const edge = new EdgeStack(app, `${prefix}-Edge`, { config, env, network, data });
  const compute = new ComputeStack(app, `${prefix}-Compute`, { config, env, network, data, edge });
  const observability = new ObservabilityStack(app, `${prefix}-Observability`, { config, env, network, data, edge, compute });
  const ops = new OpsStack(app, `${prefix}-Ops`, { config, env, network, data, edge, compute, observability });
  return { config, network, data, edge, compute, observability, ops, dr };
}

/** CDK feature flags this app is written for (set before any construct exists). */
export const FEATURE_FLAGS: Record<string, boolean> = {
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/aws-cloudfront:defaultSecurityPolicyTLSv1.2_2021': true,
  '@aws-cdk/aws-secretsmanager:useAttachedSecretResourcePolicyForSecretTargetAttachments': true,
  '@aws-cdk/aws-ecs:disableExplicitDeploymentControllerForCircuitBreaker': true,
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-lambda-nodejs:useLatestRuntimeVersion': true,
};

/** The whole FinanceHub app: staging and production, each with its DR stack, checked by the cdk-nag packs. */
export function buildFinanceHub(app: App): EnvironmentStacks[] {
  for (const [flag, value] of Object.entries(FEATURE_FLAGS)) app.node.setContext(flag, value);
  const context = deploymentContext(app);
  const environments = ENVIRONMENTS.map((name) => buildEnvironment(app, environmentConfig(name, context)));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new PCIDSS321Checks(app), new NIST80053R5Checks(app));
  acknowledge(
    app,
    'CDK attaches each role\'s least-privilege statements as an AWS::IAM::Policy bound to that one role; shared managed policies would widen access.',
    ['IAMNoInlinePolicy'],
  );
  return environments;
}
