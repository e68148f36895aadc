import { CloudFormationClient, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { GetAccountSettingsCommand, GetFunctionConcurrencyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetHostedZoneCommand, ListHostedZonesByNameCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { deploymentContextFrom, environmentConfig } from '../../infra/config.js';
import { type PreflightClients, planFrom, runPreflight } from '../../cli/preflight.js';

const context = deploymentContextFrom({ stagingAccount: '123456789012', productionAccount: '210987654321', hostedZoneId: 'Z05512345ABCDEFGHIJK', slackWorkspaceId: 'T01FINHUB', slackStagingCriticalChannel: 'C01STAGECRIT', slackProductionCriticalChannel: 'C01PRODCRIT', imageTag: '3f9c2e1' });
const production = environmentConfig('production', context);
const staging = environmentConfig('staging', context);
const stack = (region: string, functions: [string, number][] = []) => ({
  stackName: `FinanceHub-production-${region}`,
  region,
  requiredBootstrapVersion: 6,
  template: {
    Resources: Object.fromEntries(functions.map(([name, reserved]) => [name, { Type: 'AWS::Lambda::Function', Properties: { FunctionName: name, ReservedConcurrentExecutions: reserved } }])),
  },
});
const productionPlan = planFrom(production, '3f9c2e1', [stack('us-east-1', [['financehub-production-slack-ops', 10], ['financehub-production-notify-slack', 10]]), stack('us-west-2')]);

const sts = mockClient(STSClient);
const ssm = mockClient(SSMClient);
const cloudFormation = mockClient(CloudFormationClient);
const route53 = mockClient(Route53Client);
const ecr = mockClient(ECRClient);
const lambda = mockClient(LambdaClient);
const clients: PreflightClients = {
  sts: new STSClient({}),
  ssm: () => new SSMClient({}),
  cloudFormation: new CloudFormationClient({}),
  route53: new Route53Client({}),
  ecr: new ECRClient({}),
  lambda: new LambdaClient({}),
};

const awsError = (name: string) => Object.assign(new Error(name), { name });

/** An account where everything is in place: bootstrapped, its zone, every image, concurrency to spare. */
function readyAccount(account = '210987654321'): void {
  sts.on(GetCallerIdentityCommand).resolves({ Account: account, Arn: `arn:aws:sts::${account}:assumed-role/deployer/alice` });
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '27' } });
  route53.on(GetHostedZoneCommand).resolves({ HostedZone: { Id: '/hostedzone/Z05512345ABCDEFGHIJK', Name: 'financehub.com.', CallerReference: 'x', Config: { PrivateZone: false } } });
  route53.on(ListHostedZonesByNameCommand).resolves({ HostedZones: [] });
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: 'sha256:abc' }] });
  lambda.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 } });
  lambda.on(GetFunctionConcurrencyCommand).rejects(awsError('ResourceNotFoundException'));
}

const failures = (results: { ok: boolean; check: string; detail: string }[]) => results.filter((r) => !r.ok).map((r) => `${r.check}: ${r.detail}`);

beforeEach(() => {
  for (const mock of [sts, ssm, cloudFormation, route53, ecr, lambda]) mock.reset();
});

describe('fhops preflight', () => {
  it('plans both regions, the three repositories and every reserved concurrency of the environment', () => {
    // Assess
    expect(productionPlan).toMatchObject({
      account: '210987654321',
      regions: ['us-east-1', 'us-west-2'],
      requiredBootstrapVersion: 6,
      zone: { owned: true, zoneId: 'Z05512345ABCDEFGHIJK', zoneName: 'financehub.com' },
      repositories: ['financehub-production/frontend', 'financehub-production/backend', 'financehub-production/worker'],
      reservedConcurrency: [
        { functionName: 'financehub-production-slack-ops', reserved: 10 },
        { functionName: 'financehub-production-notify-slack', reserved: 10 },
      ],
    });
  });

  it('passes every check in an account that is ready', async () => {
    // Prepare
    readyAccount();

    // Act
    const results = await runPreflight(productionPlan, clients);

    // Assess
    expect(failures(results)).toEqual([]);
    expect(results.map((r) => r.check)).toEqual([
      'account',
      'bootstrap us-east-1',
      'bootstrap us-west-2',
      'hosted zone',
      'image financehub-production/frontend:3f9c2e1',
      'image financehub-production/backend:3f9c2e1',
      'image financehub-production/worker:3f9c2e1',
      'lambda concurrency',
    ]);
    expect(ecr.commandCalls(DescribeImagesCommand).map((call) => call.args[0].input)).toContainEqual({ repositoryName: 'financehub-production/backend', imageIds: [{ imageTag: '3f9c2e1' }] });
  });

  it('stops at once when the credentials are for the other account', async () => {
    // Prepare
    readyAccount('123456789012');

    // Act
    const results = await runPreflight(productionPlan, clients);

    // Assess
    expect(failures(results)).toEqual([
      'account: credentials are for account 123456789012 (arn:aws:sts::123456789012:assumed-role/deployer/alice), but production deploys to 210987654321: use production\'s credentials, or correct -c productionAccount',
    ]);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
  });

  it('says how to bootstrap a region that is not bootstrapped', async () => {
    // Prepare
    readyAccount();
    ssm.on(GetParameterCommand).rejects(awsError('ParameterNotFound'));

    // Act
    const results = await runPreflight(productionPlan, clients);

    // Assess
    expect(failures(results)).toEqual([
      'bootstrap us-east-1: 210987654321 is not bootstrapped in us-east-1: run npx cdk bootstrap aws://210987654321/us-east-1 (README: Deploying to a real account)',
      'bootstrap us-west-2: 210987654321 is not bootstrapped in us-west-2: run npx cdk bootstrap aws://210987654321/us-west-2 (README: Deploying to a real account)',
    ]);
  });

  it('refuses a hosted zone id that is not a zone of this account', async () => {
    // Prepare
    readyAccount();
    route53.on(GetHostedZoneCommand).rejects(awsError('NoSuchHostedZone'));

    // Act
    const results = await runPreflight(productionPlan, clients);

    // Assess
    expect(failures(results)).toEqual([expect.stringContaining('hosted zone: Z05512345ABCDEFGHIJK is not a hosted zone of account 210987654321')]);
  });

  it('refuses a staging zone created outside the staging Dns stack', async () => {
    // Prepare
    readyAccount('123456789012');
    route53.on(ListHostedZonesByNameCommand).resolves({ HostedZones: [{ Id: '/hostedzone/ZSTRAY', Name: 'staging.financehub.com.', CallerReference: 'x' }] });
    cloudFormation.on(DescribeStackResourcesCommand).rejects(awsError('ValidationError'));
    const stagingPlan = planFrom(staging, '3f9c2e1', [stack('us-east-1')]);

    // Act
    const results = await runPreflight(stagingPlan, clients);

    // Assess
    expect(failures(results)).toEqual([
      'hosted zone: staging.financehub.com already exists in this account (ZSTRAY) outside FinanceHub-staging-Dns: delete it (aws route53 delete-hosted-zone --id ZSTRAY) so the stack\'s zone is the only one',
    ]);
  });

  it('names the image to push and the registry to deploy first', async () => {
    // Prepare
    readyAccount();
    ecr.on(DescribeImagesCommand, { repositoryName: 'financehub-production/worker' }).rejects(awsError('ImageNotFoundException'));
    ecr.on(DescribeImagesCommand, { repositoryName: 'financehub-production/frontend' }).rejects(awsError('RepositoryNotFoundException'));

    // Act
    const results = await runPreflight(productionPlan, clients);

    // Assess
    expect(failures(results)).toEqual([
      'image financehub-production/frontend:3f9c2e1: no repository financehub-production/frontend: deploy the registry first (npx cdk deploy FinanceHub-production-Registry -c phase=registry ...)',
      'image financehub-production/worker:3f9c2e1: not pushed: docker push 210987654321.dkr.ecr.us-east-1.amazonaws.com/financehub-production/worker:3f9c2e1',
    ]);
  });

  it('refuses reserved concurrency a new account’s quota cannot hold, with the quota to ask for', async () => {
    // Prepare
    readyAccount();
    lambda.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 } });

    // Act
    const results = await runPreflight(productionPlan, clients);

    // Assess
    expect(failures(results)).toEqual([
      'lambda concurrency: account limit 10, unreserved 10; the ops functions reserve 20 (20 not yet reserved): only -10 would stay unreserved and Lambda refuses less than 100. Ask Service Quotas for "Concurrent executions" (L-B99A9384) of at least 120 in us-east-1',
    ]);
  });

  it('counts a function’s reservation once when it is already deployed', async () => {
    // Prepare
    readyAccount();
    lambda.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 110 } });
    lambda.on(GetFunctionConcurrencyCommand).resolves({ ReservedConcurrentExecutions: 10 });

    // Act
    const results = await runPreflight(productionPlan, clients);

    // Assess
    expect(results.at(-1)).toEqual({
      check: 'lambda concurrency',
      ok: true,
      detail: 'account limit 1000, unreserved 110; the ops functions reserve 20 (0 not yet reserved): 110 stay unreserved',
    });
  });
});
