import { resolveTemplateValue } from '../../../rehearsal/definition.js';
import { synthesizeApp } from '../support/synth.js';
import { deployedStacks, existingZones } from './deployment.js';
import {
  type DeployedStack,
  type Finding,
  NEWER_THAN_SCHEMAS,
  type Resource,
  checkDeployOrder,
  checkHostedZones,
  checkPhysicalNames,
  checkReferences,
  checkRegistrySchemas,
  checkRetryableCreate,
  checkStateMachines,
  schemaProperties,
  unreadablePatterns,
} from './rules.js';

const { app, production } = synthesizeApp();
const stacks = deployedStacks(app.synth().stacks);
const zones = existingZones(production.config);

describe('deploy readiness of every synthesized stack', () => {
  it('synthesizes both environments with their registry, DNS and DR stacks', () => {
    // Assess
    expect(stacks.map((stack) => stack.name.replace(/^FinanceHub-(staging|production)-/, '')).sort()).toEqual(
      ['Compute', 'DR', 'Data', 'Dns', 'Edge', 'Network', 'Observability', 'Ops', 'Registry'].flatMap((layer) => [layer, layer]).sort(),
    );
  });

  it('has every resource valid against its CloudFormation registry schema', () => {
    // Assess
    expect(checkRegistrySchemas(stacks)).toEqual([]);
  });

  it('has every state machine valid Amazon States Language', () => {
    // Assess
    expect(checkStateMachines(stacks)).toEqual([]);
  });

  it('keeps every physical name within its service’s limits and unique where it must be', () => {
    // Assess
    expect(checkPhysicalNames(stacks)).toEqual([]);
  });

  it('deploys every image repository before the service that runs its explicitly tagged image', () => {
    // Assess
    expect(checkDeployOrder(stacks)).toEqual([]);
  });

  it('writes records and certificate validations only into zones the writing account owns', () => {
    // Assess
    expect(checkHostedZones(stacks, zones)).toEqual([]);
  });

  it('references only exports of earlier stacks in the same account and region, and resources that exist', () => {
    // Assess
    expect(checkReferences(stacks)).toEqual([]);
  });

  it('lets a failed first create be retried: nothing with a fixed name is retained on rollback', () => {
    // Assess
    expect(checkRetryableCreate(stacks)).toEqual([]);
  });
});

/** A deep copy of the stacks, so a planted fault never reaches the real templates. */
function copy(): DeployedStack[] {
  return structuredClone(stacks);
}

function stackNamed(copied: DeployedStack[], name: string): DeployedStack {
  const found = copied.find((stack) => stack.name === name);
  if (!found) throw new Error(`no stack ${name}`);
  return found;
}

function resourceOf(stack: DeployedStack, type: string, where: (resource: Resource) => boolean = () => true): [string, Resource] {
  const found = Object.entries(stack.template.Resources).find(([, resource]) => resource.Type === type && where(resource));
  if (!found) throw new Error(`no ${type} in ${stack.name}`);
  return found;
}

const messages = (findings: Finding[]) => findings.map((finding) => `${finding.stack}/${finding.resource}: ${finding.message}`);

describe('the readiness rules catch a fault planted in a copy of a template', () => {
  it('catches a property the registry schema does not have (a typo of StorageType)', () => {
    // Prepare
    const copied = copy();
    const data = stackNamed(copied, 'FinanceHub-staging-Data');
    const [id, database] = resourceOf(data, 'AWS::RDS::DBInstance');
    database.Properties = { ...database.Properties, StorageTyp: 'gp3' };

    // Act
    const findings = checkRegistrySchemas(copied);

    // Assess
    expect(messages(findings)).toEqual([`FinanceHub-staging-Data/${id}: AWS::RDS::DBInstance /: unknown property StorageTyp`]);
  });

  it('catches a property of the wrong type (a listener port that is a list)', () => {
    // Prepare
    const copied = copy();
    const edge = stackNamed(copied, 'FinanceHub-production-Edge');
    const [id, listener] = resourceOf(edge, 'AWS::ElasticLoadBalancingV2::Listener');
    listener.Properties = { ...listener.Properties, Port: [443] };

    // Act
    const findings = checkRegistrySchemas(copied);

    // Assess
    expect(messages(findings)).toContain(`FinanceHub-production-Edge/${id}: AWS::ElasticLoadBalancingV2::Listener /Port: must be integer`);
  });

  it('catches a state machine that starts at a state it does not have', () => {
    // Prepare
    const copied = copy();
    const ops = stackNamed(copied, 'FinanceHub-production-Ops');
    const [id, machine] = resourceOf(ops, 'AWS::StepFunctions::StateMachine');
    const original = stacks.find((stack) => stack.name === ops.name)?.template;
    const definition = JSON.parse(String(resolveTemplateValue(original as never, machine.Properties?.DefinitionString, { account: ops.account, region: ops.region, imports: new Proxy({}, { get: () => 'imported' }) })));
    machine.Properties = { ...machine.Properties, DefinitionString: JSON.stringify({ ...definition, StartAt: 'No such state' }) };

    // Act
    const findings = checkStateMachines(copied);

    // Assess
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ stack: ops.name, resource: id });
    expect(findings[0]?.message).toContain('MISSING_TRANSITION_TARGET');
  });

  it('catches a target group name over the 32 characters ELB allows', () => {
    // Prepare
    const copied = copy();
    const edge = stackNamed(copied, 'FinanceHub-staging-Edge');
    const [id, group] = resourceOf(edge, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    group.Properties = { ...group.Properties, Name: 'financehub-staging-frontend-targets' };

    // Act
    const findings = checkPhysicalNames(copied);

    // Assess
    expect(messages(findings)).toEqual([
      `FinanceHub-staging-Edge/${id}: AWS::ElasticLoadBalancingV2::TargetGroup Name "financehub-staging-frontend-targets" is 35 characters; the limit is 32`,
    ]);
  });

  it('catches names that collide when both environments deploy into one account', () => {
    // Prepare
    const copied = copy().map((stack) => (stack.name.includes('-staging-') ? { ...stack, account: production.config.account } : stack));

    // Act
    const findings = checkPhysicalNames(copied);

    // Assess
    expect(messages(findings)).toEqual(expect.arrayContaining([expect.stringContaining('AWS::Logs::LogGroup LogGroupName "/ecs/frontend" is also created by')]));
  });

  it('catches a service stack that does not wait for its repositories', () => {
    // Prepare
    const copied = copy();
    // Compute reaches the registry through Data and DR too: every path is cut.
    const cut = ['FinanceHub-production-Compute', 'FinanceHub-production-DR'];
    const planted = copied.map((stack) => (cut.includes(stack.name) ? { ...stack, dependsOn: stack.dependsOn.filter((name) => name !== 'FinanceHub-production-Registry') } : stack));

    // Act
    const findings = checkDeployOrder(planted);

    // Assess: the three services and the DR region's recovered backend.
    expect(findings.map((finding) => finding.stack).sort()).toEqual(['FinanceHub-production-Compute', 'FinanceHub-production-Compute', 'FinanceHub-production-Compute', 'FinanceHub-production-DR']);
    expect(findings[0]?.message).toContain('does not depend on FinanceHub-production-Registry');
  });

  it('catches a service that runs the moving tag latest', () => {
    // Prepare
    const copied = copy();
    const compute = stackNamed(copied, 'FinanceHub-staging-Compute');
    const [id, task] = resourceOf(compute, 'AWS::ECS::TaskDefinition');
    const containers = task.Properties?.ContainerDefinitions as { Image: unknown }[];
    containers[0]!.Image = JSON.parse(JSON.stringify(containers[0]!.Image).replace(':offline', ':latest'));

    // Act
    const findings = checkDeployOrder(copied);

    // Assess
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ stack: compute.name, resource: expect.stringContaining(id) });
    expect(findings[0]?.message).toContain('the moving tag latest');
  });

  it('catches a staging record written into production’s zone', () => {
    // Prepare
    const copied = copy();
    const edge = stackNamed(copied, 'FinanceHub-staging-Edge');
    const [id, record] = resourceOf(edge, 'AWS::Route53::RecordSet');
    record.Properties = { ...record.Properties, HostedZoneId: production.config.dns.apexHostedZoneId };

    // Act
    const findings = checkHostedZones(copied, zones);

    // Assess
    expect(messages(findings)).toEqual([
      `FinanceHub-staging-Edge/${id}: ${String(record.Properties.Name)} is written from account 111111111111 into financehub.com, which account 222222222222 owns`,
    ]);
  });

  it('catches an import from another account’s stack', () => {
    // Prepare
    const copied = copy();
    const exportName = Object.values(stackNamed(copied, 'FinanceHub-production-Network').template.Outputs ?? {}).find((output) => output.Export)?.Export?.Name;
    const ops = stackNamed(copied, 'FinanceHub-staging-Ops');
    const [id, lambda] = resourceOf(ops, 'AWS::Lambda::Function');
    lambda.Properties = { ...lambda.Properties, Description: { 'Fn::ImportValue': exportName } };

    // Act
    const findings = checkReferences(copied);

    // Assess
    expect(messages(findings)).toEqual([
      `FinanceHub-staging-Ops/${id}: imports ${String(exportName)} from FinanceHub-production-Network in 222222222222/us-east-1: exports reach only their own account and region (111111111111/us-east-1)`,
    ]);
  });

  it('catches a named bucket retained when its first create rolls back', () => {
    // Prepare
    const copied = copy();
    const data = stackNamed(copied, 'FinanceHub-production-Data');
    const [id, bucket] = resourceOf(data, 'AWS::S3::Bucket');
    bucket.DeletionPolicy = 'Retain';

    // Act
    const findings = checkRetryableCreate(copied);

    // Assess
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ stack: data.name, resource: id, rule: 'retryable-create' });
  });
});

describe('the schema snapshot the rules read', () => {
  it.each(Object.entries(NEWER_THAN_SCHEMAS))('still lacks the newer properties of %s that the rules accept', (type, properties) => {
    // Assess
    for (const property of properties) expect(schemaProperties(type)).not.toContain(property);
  });

  it('reads every registry pattern of the checked types but the ones no engine can read', () => {
    // Assess
    expect([...unreadablePatterns].sort()).toEqual(['^[\\/]+([^~]*(~[01])*)*{1,512}$', '^[a-zA-Z0-9-]+{1,255}$']);
  });
});
