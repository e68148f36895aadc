import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { acknowledge } from './nag/acknowledge.js';
import { type DeploymentContext, type EnvironmentConfig, deploymentContextFrom, environmentConfig, stackPrefix } from './config.js';
import { ENVIRONMENTS } from '../contracts/environments.js';
import { ComputeStack } from './stacks/compute-stack.js';
import { DataStack } from './stacks/data-stack.js';
import { DnsStack } from './stacks/dns-stack.js';
import { DrStack } from './stacks/dr-stack.js';
import { EdgeStack } from './stacks/edge-stack.js';
import { NetworkStack } from './stacks/network-stack.js';
import { ObservabilityStack } from './stacks/observability-stack.js';
import { OpsStack } from './stacks/ops-stack.js';
import { RegistryStack } from './stacks/registry-stack.js';

/** The stacks of one environment in the registry phase: its image repositories only. */
export interface RegistryStacks {
  readonly config: EnvironmentConfig;
  readonly registry: RegistryStack;
}

export interface EnvironmentStacks extends RegistryStacks {
  readonly dns: DnsStack;
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly edge: EdgeStack;
  readonly compute: ComputeStack;
  readonly observability: ObservabilityStack;
  readonly ops: OpsStack;
  readonly dr: DrStack;
}

const CONTEXT_KEYS = [
  'stagingAccount',
  'productionAccount',
  'hostedZoneId',
  'domainName',
  'githubOwner',
  'imageTag',
  'phase',
  'slackWorkspaceId',
  'slackStagingCriticalChannel',
  'slackProductionCriticalChannel',
] as const;

/**
 * Reads the deployment context (`-c stagingAccount=...`): none of it is the offline world; any account setting
 * makes a real deploy, which must be complete and safe (deploymentContextFrom throws naming the setting).
 */
export function deploymentContext(app: App): DeploymentContext {
  return deploymentContextFrom(Object.fromEntries(CONTEXT_KEYS.map((key) => [key, app.node.tryGetContext(key)])));
}

function registryStack(app: App, config: EnvironmentConfig): RegistryStack {
  return new RegistryStack(app, `${stackPrefix(config)}-Registry`, { config, env: { account: config.account, region: config.region } });
}

/**
 * Every stack of one environment: the layers in us-east-1 and the DR region's stack. The registry comes first
 * (images are pushed into it before Compute deploys); production's DNS stack comes before staging's, whose
 * delegation record assumes production's delegation role.
 */
function buildEnvironment(app: App, config: EnvironmentConfig, imageTag: string, parentDns?: DnsStack): EnvironmentStacks {
  const prefix = stackPrefix(config);
  const env = { account: config.account, region: config.region };
  const registry = registryStack(app, config);
  const dns = new DnsStack(app, `${prefix}-Dns`, { config, env });
  if (parentDns) dns.addStackDependency(parentDns, 'the staging zone is delegated through the production delegation role');
  const dr = new DrStack(app, `${prefix}-DR`, { config, env: { account: config.account, region: config.drRegion }, imageTag });
  dr.addStackDependency(registry, 'the recovered backend runs the image the registry replicates to the DR region');
  const network = new NetworkStack(app, `${prefix}-Network`, { config, env });
  const data = new DataStack(app, `${prefix}-Data`, { config, env, network, dr });
  const edge = new EdgeStack(app, `${prefix}-Edge`, { config, env, network, data, zone: dns.zone });
  const compute = new ComputeStack(app, `${prefix}-Compute`, { config, env, network, data, edge, registry, imageTag });
  const observability = new ObservabilityStack(app, `${prefix}-Observability`, { config, env, network, data, edge, compute });
  const ops = new OpsStack(app, `${prefix}-Ops`, { config, env, network, data, edge, compute, observability });
  return { config, registry, dns, network, data, edge, compute, observability, ops, dr };
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

function checkWithNag(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new PCIDSS321Checks(app), new NIST80053R5Checks(app));
  acknowledge(
    app,
    'CDK attaches each role\'s least-privilege statements as an AWS::IAM::Policy bound to that one role; shared managed policies would widen access.',
    ['IAMNoInlinePolicy'],
  );
}

/**
 * The registry phase of a first deploy (`-c phase=registry`): only each environment's repositories, so images can
 * be pushed before any service exists.
 */
export function buildRegistries(app: App): RegistryStacks[] {
  for (const [flag, value] of Object.entries(FEATURE_FLAGS)) app.node.setContext(flag, value);
  const context = deploymentContext(app);
  const registries = ENVIRONMENTS.map((name) => {
    const config = environmentConfig(name, context);
    return { config, registry: registryStack(app, config) };
  });
  checkWithNag(app);
  return registries;
}

/** Gives CDK each account's availability zones as context, so that no stack looks them up at synth. */
function pinAvailabilityZones(app: App, configs: readonly EnvironmentConfig[]): void {
  for (const config of configs) {
    for (const [region, zones] of Object.entries(config.availabilityZones)) {
      app.node.setContext(`availability-zones:account=${config.account}:region=${region}`, [...zones]);
    }
  }
}

/** Staging and production, each with its DR stack: [staging, production]. */
export function buildEnvironments(app: App, context: DeploymentContext): EnvironmentStacks[] {
  const { imageTag } = context;
  if (imageTag === undefined) throw new Error('imageTag: missing (only the registry phase runs without one)');
  pinAvailabilityZones(app, ENVIRONMENTS.map((name) => environmentConfig(name, context)));
  const production = buildEnvironment(app, environmentConfig('production', context), imageTag);
  const staging = buildEnvironment(app, environmentConfig('staging', context), imageTag, production.dns);
  return [staging, production];
}

/** The whole FinanceHub app: staging and production, each with its DR stack, checked by the cdk-nag packs. */
export function buildFinanceHub(app: App): EnvironmentStacks[] {
  for (const [flag, value] of Object.entries(FEATURE_FLAGS)) app.node.setContext(flag, value);
  const environments = buildEnvironments(app, deploymentContext(app));
  checkWithNag(app);
  return environments;
}
