import type { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import type { EnvironmentConfig } from '../../../infra/config.js';
import type { DeployedStack, ExistingZone, Template } from './rules.js';

/** The synthesized stacks as a deploy sees them: account, region, the stacks each waits for, the template. */
export function deployedStacks(artifacts: readonly CloudFormationStackArtifact[]): DeployedStack[] {
  const names = new Set(artifacts.map((artifact) => artifact.id));
  return artifacts.map((artifact) => ({
    name: artifact.stackName,
    account: artifact.environment.account,
    region: artifact.environment.region,
    dependsOn: artifact.dependencies.map((dependency) => dependency.id).filter((id) => names.has(id)),
    template: artifact.template as Template,
  }));
}

/** Zones that exist before the deploy: production's apex zone, imported by id. */
export function existingZones(production: EnvironmentConfig): ExistingZone[] {
  return [{ zoneId: production.dns.apexHostedZoneId, zoneName: production.dns.apexDomain, account: production.dns.productionAccount }];
}
