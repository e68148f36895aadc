import { Duration } from 'aws-cdk-lib';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { SERVICES, type ServiceName } from '../../contracts/environments.js';
import type { EnvironmentConfig } from '../config.js';
import { acknowledge } from '../nag/acknowledge.js';

/** GitHub's OIDC issuer, without the scheme as IAM condition keys name it. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

/** What one service's deploy role may touch: its image repository, its ECS service and the roles its tasks run as. */
export interface DeployableService {
  readonly repository: ecr.IRepository;
  /** The roles the service's task definition names (task role, execution role): a new revision passes them to ECS. */
  readonly taskRoles: readonly iam.IRole[];
}

export interface GitHubDeployRolesProps {
  readonly config: EnvironmentConfig;
  readonly services: Readonly<Record<ServiceName, DeployableService>>;
}

/** Role names the workflows in `.github/workflows/` assume, per environment. */
export const githubRoleNames = {
  cdkDeploy: (prefix: string) => `${prefix}-github-cdk-deploy`,
  cdkDiff: (prefix: string) => `${prefix}-github-cdk-diff`,
  serviceDeploy: (prefix: string, service: ServiceName) => `${prefix}-github-deploy-${service}`,
  imagePromotion: (prefix: string, service: ServiceName) => `${prefix}-github-promote-${service}`,
};

/** The OIDC subject of a job in `owner/repository`: in a GitHub environment, or on a pull request. */
export function githubSubject(config: EnvironmentConfig, repository: string, context: { environment: string } | 'pull_request'): string {
  const where = context === 'pull_request' ? 'pull_request' : `environment:${context.environment}`;
  return `repo:${config.github.owner}/${repository}:${where}`;
}

/**
 * GitHub Actions' way into one environment's account, with no stored keys and no administrator: the account's IAM OIDC
 * provider for GitHub, and one role per job kind, each trusting exactly one OIDC subject (repository and GitHub
 * environment, or pull request) with the STS audience:
 * - per service, a deploy role for its application repository's job in this GitHub environment: push that service's
 *   image, register a task definition revision passing only that service's task roles, update only that service, and
 *   read its smoke-test verdict;
 * - per service, where config names a promotion environment (staging, for production's jobs), a pull-only role on that
 *   service's repository, so production copies the image staging tested;
 * - the infrastructure deploy of this repository's environment job: may only assume the CDK bootstrap roles;
 * - the pull-request diff of this repository: may only assume the CDK bootstrap lookup roles (read-only).
 */
export class GitHubDeployRoles extends Construct {
  public readonly provider: iam.OidcProviderNative;
  public readonly serviceDeployRoles: Record<ServiceName, iam.Role>;
  public readonly imagePromotionRoles: Partial<Record<ServiceName, iam.Role>>;
  public readonly cdkDeployRole: iam.Role;
  public readonly cdkDiffRole: iam.Role;
  private readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: GitHubDeployRolesProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    this.provider = new iam.OidcProviderNative(this, 'Provider', {
      url: `https://${GITHUB_OIDC_HOST}`,
      clientIds: ['sts.amazonaws.com'],
    });

    const github = config.github;
    const deployEnvironment = { environment: github.deployEnvironment };
    this.serviceDeployRoles = Object.fromEntries(
      SERVICES.map((service) => [service, this.serviceDeployRole(service, props.services[service], githubSubject(config, github.applicationRepositories[service], deployEnvironment))]),
    ) as Record<ServiceName, iam.Role>;

    this.imagePromotionRoles = {};
    const promotion = github.promotionEnvironment;
    if (promotion) {
      for (const service of SERVICES) {
        this.imagePromotionRoles[service] = this.imagePromotionRole(service, props.services[service].repository, githubSubject(config, github.applicationRepositories[service], { environment: promotion }));
      }
    }

    this.cdkDeployRole = this.role('CdkDeploy', githubRoleNames.cdkDeploy(config.prefix), githubSubject(config, github.opsRepository, deployEnvironment), 'cdk deploy of this environment');
    this.cdkDeployRole.addToPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole', 'sts:TagSession'], resources: this.bootstrapRoles(['deploy', 'file-publishing', 'image-publishing', 'lookup']) }));
    this.cdkDiffRole = this.role('CdkDiff', githubRoleNames.cdkDiff(config.prefix), githubSubject(config, github.opsRepository, 'pull_request'), 'cdk diff of pull requests (read-only)');
    this.cdkDiffRole.addToPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole', 'sts:TagSession'], resources: this.bootstrapRoles(['lookup']) }));
  }

  /** A role only the one OIDC subject may assume, for at most the configured session length. */
  private role(id: string, roleName: string, subject: string, purpose: string): iam.Role {
    return new iam.Role(this, id, {
      roleName,
      description: `${this.config.prefix}: GitHub Actions ${purpose}, trusted by ${subject}`,
      maxSessionDuration: Duration.hours(this.config.github.sessionHours),
      assumedBy: new iam.OpenIdConnectPrincipal(this.provider, {
        StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com', [`${GITHUB_OIDC_HOST}:sub`]: subject },
      }),
    });
  }

  private serviceDeployRole(service: ServiceName, deployable: DeployableService, subject: string): iam.Role {
    const { config } = this;
    const at = `${config.region}:${config.account}`;
    const family = `${config.prefix}-${service}`;
    const role = this.role(`${service}Deploy`, githubRoleNames.serviceDeploy(config.prefix, service), subject, `deploy of ${service}`);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage', 'ecr:BatchGetImage', 'ecr:DescribeImages'],
        resources: [deployable.repository.repositoryArn],
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecs:RegisterTaskDefinition', 'ecs:DescribeTaskDefinition'], resources: ['*'] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:TagResource'],
        resources: [`arn:aws:ecs:${at}:task-definition/${family}:*`],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: deployable.taskRoles.map((taskRole) => taskRole.roleArn),
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeServices', 'ecs:UpdateService'], resources: [`arn:aws:ecs:${at}:service/${config.prefix}/${family}`] }));
    // The smoke test names its executions `<service>-<deployment id>`: this role reads its own service's verdicts only.
    const verdicts = `arn:aws:states:${at}:execution:${config.prefix}-smoke-test:${service}-*`;
    role.addToPolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [verdicts] }));
    acknowledge(role, 'ECR GetAuthorizationToken, RegisterTaskDefinition and DescribeTaskDefinition have no resource-level permissions; registering is harmless without the PassRole and UpdateService this role holds only for its service.', [
      'AwsSolutions-IAM5[Resource::*]',
    ]);
    acknowledge(role, 'Every revision of the service\'s own task definition family may be tagged, and only while it is being registered.', [
      `AwsSolutions-IAM5[Resource::arn:aws:ecs:${at}:task-definition/${family}:*]`,
    ]);
    acknowledge(role, 'The smoke-test verdicts of this service\'s deployments, named by their deployment ids.', [`AwsSolutions-IAM5[Resource::${verdicts}]`]);
    return role;
  }

  private imagePromotionRole(service: ServiceName, repository: ecr.IRepository, subject: string): iam.Role {
    const { config } = this;
    const role = this.role(`${service}Promotion`, githubRoleNames.imagePromotion(config.prefix, service), subject, `image promotion of ${service} (pull only)`);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability', 'ecr:DescribeImages'], resources: [repository.repositoryArn] }));
    acknowledge(role, 'ECR GetAuthorizationToken has no resource-level permissions.', ['AwsSolutions-IAM5[Resource::*]']);
    return role;
  }

  /** The CDK bootstrap roles of this account in its primary and DR regions. */
  private bootstrapRoles(kinds: readonly string[]): string[] {
    const { config } = this;
    const qualifier = config.github.cdkBootstrapQualifier;
    return [config.region, config.drRegion].flatMap((region) => kinds.map((kind) => `arn:aws:iam::${config.account}:role/cdk-${qualifier}-${kind}-role-${config.account}-${region}`));
  }
}
