import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type { Construct } from 'constructs';
import { SERVICES, type ServiceName } from '../../contracts/environments.js';
import type { EnvironmentConfig } from '../config.js';

export interface RegistryStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/** The repository of service `name` in one environment: the name CI pushes to and the DR region receives. */
export function repositoryName(config: EnvironmentConfig, name: ServiceName): string {
  return `${config.registry.repositoryPrefix}/${name}`;
}

/**
 * The environment's image repositories, in a stack of their own that deploys before the services: images are
 * pushed here between the two deploys. Every image replicates to the DR region (the account's registry
 * replication configuration, one per account and region).
 */
export class RegistryStack extends Stack {
  public readonly repositories: Record<ServiceName, ecr.Repository>;

  constructor(scope: Construct, id: string, props: RegistryStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.repositories = Object.fromEntries(
      SERVICES.map((name) => {
        const repository = new ecr.Repository(this, `${name}Repository`, {
          repositoryName: repositoryName(config, name),
          imageScanOnPush: true,
          imageTagMutability: ecr.TagMutability.IMMUTABLE,
          // The AWS managed key: ECR replicates such repositories to the DR region without a key there.
          encryption: ecr.RepositoryEncryption.KMS,
          lifecycleRules: [{ description: `keep the last ${config.registry.maxImageCount} images`, maxImageCount: config.registry.maxImageCount }],
          // Kept when the stack is deleted (the images are releases); removed when its first create fails, so a retry can take the name.
          removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        });
        new CfnOutput(this, `${name}RepositoryUri`, { description: `docker push target of the ${name} images`, value: repository.repositoryUri });
        return [name, repository];
      }),
    ) as Record<ServiceName, ecr.Repository>;

    new ecr.CfnReplicationConfiguration(this, 'Replication', {
      replicationConfiguration: {
        rules: [
          {
            destinations: [{ region: config.drRegion, registryId: config.account }],
            repositoryFilters: [{ filter: `${config.registry.repositoryPrefix}/`, filterType: 'PREFIX_MATCH' }],
          },
        ],
      },
    });
  }
}
