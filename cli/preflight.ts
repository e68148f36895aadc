import { CloudFormationClient, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { GetAccountSettingsCommand, GetFunctionConcurrencyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetHostedZoneCommand, ListHostedZonesByNameCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { SERVICES } from '../contracts/environments.js';
import type { EnvironmentConfig } from '../infra/config.js';
import { repositoryName } from '../infra/stacks/registry-stack.js';

/** What a deploy of one environment needs from its account, read from the synthesized app. */
export interface PreflightPlan {
  readonly environment: string;
  readonly account: string;
  /** Regions the environment's stacks deploy to; each must be bootstrapped. */
  readonly regions: readonly string[];
  readonly region: string;
  readonly requiredBootstrapVersion: number;
  /** Production imports its zone (it must exist in this account); staging's zone is created by its Dns stack. */
  readonly zone: { readonly owned: true; readonly zoneId: string; readonly zoneName: string } | { readonly owned: false; readonly zoneName: string; readonly dnsStack: string };
  readonly repositories: readonly string[];
  readonly imageTag: string;
  readonly reservedConcurrency: readonly { readonly functionName: string; readonly reserved: number }[];
}

interface TemplateLike {
  readonly Resources?: Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>;
}

export interface SynthesizedStack {
  readonly stackName: string;
  readonly region: string;
  readonly requiredBootstrapVersion: number;
  readonly template: TemplateLike;
}

/** The plan of one environment from its synthesized stacks. */
export function planFrom(config: EnvironmentConfig, imageTag: string, stacks: readonly SynthesizedStack[]): PreflightPlan {
  const reservedConcurrency = stacks
    .filter((stack) => stack.region === config.region)
    .flatMap((stack) => Object.values(stack.template.Resources ?? {}))
    .filter((resource) => resource.Type === 'AWS::Lambda::Function' && typeof resource.Properties?.ReservedConcurrentExecutions === 'number')
    .map((resource) => ({ functionName: String(resource.Properties?.FunctionName), reserved: Number(resource.Properties?.ReservedConcurrentExecutions) }));
  return {
    environment: config.name,
    account: config.account,
    region: config.region,
    regions: [...new Set(stacks.map((stack) => stack.region))].sort(),
    requiredBootstrapVersion: Math.max(0, ...stacks.map((stack) => stack.requiredBootstrapVersion)),
    zone:
      config.name === 'production'
        ? { owned: true, zoneId: config.dns.apexHostedZoneId, zoneName: config.dns.apexDomain }
        : { owned: false, zoneName: config.dns.stagingZoneName, dnsStack: `FinanceHub-${config.name}-Dns` },
    repositories: SERVICES.map((service) => repositoryName(config, service)),
    imageTag,
    reservedConcurrency,
  };
}

export interface PreflightClients {
  readonly sts: STSClient;
  readonly ssm: (region: string) => SSMClient;
  readonly cloudFormation: CloudFormationClient;
  readonly route53: Route53Client;
  readonly ecr: ECRClient;
  readonly lambda: LambdaClient;
}

export function defaultClients(region: string): PreflightClients {
  return {
    sts: new STSClient({ region }),
    ssm: (r) => new SSMClient({ region: r }),
    cloudFormation: new CloudFormationClient({ region }),
    route53: new Route53Client({ region }),
    ecr: new ECRClient({ region }),
    lambda: new LambdaClient({ region }),
  };
}

export interface CheckResult {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Lambda keeps this much of the account's concurrency unreserved; a reservation below it is refused. */
export const MINIMUM_UNRESERVED_CONCURRENCY = 100;
const BOOTSTRAP_PARAMETER = '/cdk-bootstrap/hnb659fds/version';

const errorName = (error: unknown) => (error instanceof Error ? error.name : String(error));

async function checkAccount(plan: PreflightPlan, clients: PreflightClients): Promise<CheckResult> {
  const { Account, Arn } = await clients.sts.send(new GetCallerIdentityCommand({}));
  const ok = Account === plan.account;
  return {
    check: 'account',
    ok,
    detail: ok
      ? `credentials are ${Arn} in ${plan.environment}'s account ${plan.account}`
      : `credentials are for account ${Account} (${Arn}), but ${plan.environment} deploys to ${plan.account}: use ${plan.environment}'s credentials, or correct -c ${plan.environment}Account`,
  };
}

async function checkBootstrap(plan: PreflightPlan, clients: PreflightClients, region: string): Promise<CheckResult> {
  const check = `bootstrap ${region}`;
  const bootstrap = `npx cdk bootstrap aws://${plan.account}/${region}`;
  try {
    const { Parameter } = await clients.ssm(region).send(new GetParameterCommand({ Name: BOOTSTRAP_PARAMETER }));
    const version = Number(Parameter?.Value);
    if (version >= plan.requiredBootstrapVersion) return { check, ok: true, detail: `CDK bootstrap version ${version} (needs ${plan.requiredBootstrapVersion})` };
    return { check, ok: false, detail: `CDK bootstrap version ${version} is older than the ${plan.requiredBootstrapVersion} this app needs: run ${bootstrap} again` };
  } catch (error) {
    if (errorName(error) !== 'ParameterNotFound') throw error;
    return { check, ok: false, detail: `${plan.account} is not bootstrapped in ${region}: run ${bootstrap} (README: Deploying to a real account)` };
  }
}

async function checkZone(plan: PreflightPlan, clients: PreflightClients): Promise<CheckResult> {
  const check = 'hosted zone';
  const zone = plan.zone;
  if (zone.owned) {
    try {
      const { HostedZone } = await clients.route53.send(new GetHostedZoneCommand({ Id: zone.zoneId }));
      if (HostedZone?.Name !== `${zone.zoneName}.`) {
        return { check, ok: false, detail: `${zone.zoneId} is the zone of ${HostedZone?.Name ?? '?'}, not ${zone.zoneName}: correct -c hostedZoneId or -c domainName` };
      }
      if (HostedZone.Config?.PrivateZone) return { check, ok: false, detail: `${zone.zoneId} is a private zone; ${zone.zoneName} needs its public zone` };
      return { check, ok: true, detail: `${zone.zoneName} (${zone.zoneId}) is a public zone of this account` };
    } catch (error) {
      if (errorName(error) !== 'NoSuchHostedZone') throw error;
      return { check, ok: false, detail: `${zone.zoneId} is not a hosted zone of account ${plan.account}: production must own ${zone.zoneName} (create it and point the registrar at its name servers)` };
    }
  }
  const { HostedZones = [] } = await clients.route53.send(new ListHostedZonesByNameCommand({ DNSName: zone.zoneName, MaxItems: 1 }));
  const existing = HostedZones.find((candidate) => candidate.Name === `${zone.zoneName}.`);
  if (!existing) return { check, ok: true, detail: `${zone.zoneName} does not exist yet: ${zone.dnsStack} creates it and has production delegate it` };
  const existingId = (existing.Id ?? '').replace('/hostedzone/', '');
  let managed: string | undefined;
  try {
    const { StackResources = [] } = await clients.cloudFormation.send(new DescribeStackResourcesCommand({ StackName: zone.dnsStack }));
    managed = StackResources.find((resource) => resource.ResourceType === 'AWS::Route53::HostedZone')?.PhysicalResourceId;
  } catch (error) {
    if (errorName(error) !== 'ValidationError') throw error; // the stack does not exist yet
  }
  if (managed === existingId) return { check, ok: true, detail: `${zone.zoneName} (${existingId}) is the zone ${zone.dnsStack} manages` };
  return {
    check,
    ok: false,
    detail: `${zone.zoneName} already exists in this account (${existingId}) outside ${zone.dnsStack}: delete it (aws route53 delete-hosted-zone --id ${existingId}) so the stack's zone is the only one`,
  };
}

async function checkImages(plan: PreflightPlan, clients: PreflightClients): Promise<CheckResult[]> {
  return Promise.all(
    plan.repositories.map(async (repository): Promise<CheckResult> => {
      const check = `image ${repository}:${plan.imageTag}`;
      const uri = `${plan.account}.dkr.ecr.${plan.region}.amazonaws.com/${repository}:${plan.imageTag}`;
      try {
        const { imageDetails = [] } = await clients.ecr.send(new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageTag: plan.imageTag }] }));
        const digest = imageDetails[0]?.imageDigest;
        return digest ? { check, ok: true, detail: `pushed (${digest})` } : { check, ok: false, detail: `not pushed: docker push ${uri}` };
      } catch (error) {
        if (errorName(error) === 'ImageNotFoundException') return { check, ok: false, detail: `not pushed: docker push ${uri}` };
        if (errorName(error) === 'RepositoryNotFoundException') {
          return { check, ok: false, detail: `no repository ${repository}: deploy the registry first (npx cdk deploy FinanceHub-${plan.environment}-Registry -c phase=registry ...)` };
        }
        throw error;
      }
    }),
  );
}

async function checkConcurrency(plan: PreflightPlan, clients: PreflightClients): Promise<CheckResult> {
  const { AccountLimit } = await clients.lambda.send(new GetAccountSettingsCommand({}));
  const limit = AccountLimit?.ConcurrentExecutions ?? 0;
  const unreserved = AccountLimit?.UnreservedConcurrentExecutions ?? 0;
  let added = 0;
  for (const { functionName, reserved } of plan.reservedConcurrency) {
    let existing = 0;
    try {
      existing = (await clients.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName }))).ReservedConcurrentExecutions ?? 0;
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error;
    }
    added += Math.max(0, reserved - existing);
  }
  const left = unreserved - added;
  const total = plan.reservedConcurrency.reduce((sum, f) => sum + f.reserved, 0);
  const numbers = `account limit ${limit}, unreserved ${unreserved}; the ops functions reserve ${total} (${added} not yet reserved)`;
  if (left >= MINIMUM_UNRESERVED_CONCURRENCY) return { check: 'lambda concurrency', ok: true, detail: `${numbers}: ${left} stay unreserved` };
  return {
    check: 'lambda concurrency',
    ok: false,
    detail: `${numbers}: only ${left} would stay unreserved and Lambda refuses less than ${MINIMUM_UNRESERVED_CONCURRENCY}. Ask Service Quotas for "Concurrent executions" (L-B99A9384) of at least ${limit - left + MINIMUM_UNRESERVED_CONCURRENCY} in ${plan.region}`,
  };
}

/** Every check of a deploy of one environment, read from AWS with the caller's credentials; nothing is changed. */
export async function runPreflight(plan: PreflightPlan, clients: PreflightClients): Promise<CheckResult[]> {
  const account = await checkAccount(plan, clients);
  if (!account.ok) return [account];
  const results = [account];
  for (const region of plan.regions) results.push(await checkBootstrap(plan, clients, region));
  results.push(await checkZone(plan, clients));
  results.push(...(await checkImages(plan, clients)));
  results.push(await checkConcurrency(plan, clients));
  return results;
}
