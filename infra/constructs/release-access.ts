import * as iam from 'aws-cdk-lib/aws-iam';
import type { EnvironmentConfig } from '../config.js';
import { acknowledge } from '../nag/acknowledge.js';
import type { OpsFunction } from './ops-function.js';

/**
 * Reading a release from ECS and rolling a service back (functions/lib/release.ts): this environment's services, their
 * deployments and revisions, and DescribeTaskDefinition, which has no resource-level permissions; `unscoped` adds
 * other such reads (named in the acknowledgment).
 */
export function grantReleaseAccess(fn: OpsFunction, config: EnvironmentConfig, unscoped: { readonly actions: readonly string[]; readonly what: string } = { actions: [], what: '' }): void {
  const at = `${config.region}:${config.account}`;
  const cluster = config.prefix;
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['ecs:DescribeServices', 'ecs:UpdateService', 'ecs:ListServiceDeployments'], resources: [`arn:aws:ecs:${at}:service/${cluster}/${config.prefix}-*`] }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['ecs:DescribeServiceDeployments', 'ecs:DescribeServiceRevisions'],
      resources: [`arn:aws:ecs:${at}:service-deployment/${cluster}/*`, `arn:aws:ecs:${at}:service-revision/${cluster}/*`],
    }),
  );
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeTaskDefinition', ...unscoped.actions], resources: ['*'] }));
  if (fn.role) {
    const also = unscoped.actions.length > 0 ? ` and ${unscoped.actions.join(', ')} (${unscoped.what})` : '';
    acknowledge(fn.role, `DescribeTaskDefinition (reading the release)${also} have no resource-level permissions.`, ['AwsSolutions-IAM5[Resource::*]']);
    acknowledge(fn.role, 'The environment\'s services are <prefix>-frontend|backend|worker in cluster <prefix>; their deployments and revisions have ids ECS generates.', [
      `AwsSolutions-IAM5[Resource::arn:aws:ecs:${at}:service/${cluster}/${config.prefix}-*]`,
      `AwsSolutions-IAM5[Resource::arn:aws:ecs:${at}:service-deployment/${cluster}/*]`,
      `AwsSolutions-IAM5[Resource::arn:aws:ecs:${at}:service-revision/${cluster}/*]`,
    ]);
  }
}
