import type { App } from 'aws-cdk-lib';
import { Stack } from 'aws-cdk-lib';

/**
 * Mermaid diagrams of the synthesized app, for docs/architecture.md (`npm run docs:architecture` writes them, a test
 * checks them fresh): the stacks of one environment with their main resources, and each workflow's trigger ->
 * state machine -> functions -> AWS services. Read from the templates, so the picture is what deploys.
 */

type Template = { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
type Resources = NonNullable<Template['Resources']>;

/** The resource types a reader looks for in each stack, with the name they know them by. */
const MAIN_RESOURCES: Readonly<Record<string, string>> = {
  'AWS::EC2::VPC': 'VPC',
  'AWS::EC2::Subnet': 'subnets',
  'AWS::EC2::NatGateway': 'NAT gateways',
  'AWS::EC2::SecurityGroup': 'security groups',
  'AWS::EC2::VPCEndpoint': 'VPC endpoints',
  'AWS::RDS::DBInstance': 'RDS PostgreSQL instances',
  'AWS::ElastiCache::ReplicationGroup': 'ElastiCache Redis',
  'AWS::S3::Bucket': 'S3 buckets',
  'AWS::EFS::FileSystem': 'EFS',
  'AWS::Backup::BackupPlan': 'backup plans',
  'AWS::KMS::Key': 'KMS keys',
  'AWS::SecretsManager::Secret': 'secrets',
  'AWS::ECR::Repository': 'ECR repositories',
  'AWS::ECS::Cluster': 'ECS cluster',
  'AWS::ECS::Service': 'ECS services',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'ALB',
  'AWS::CloudFront::Distribution': 'CloudFront',
  'AWS::WAFv2::WebACL': 'WAF web ACLs',
  'AWS::Route53::RecordSet': 'Route53 records',
  'AWS::CertificateManager::Certificate': 'ACM certificates',
  'AWS::SNS::Topic': 'SNS topics',
  'AWS::CloudWatch::Alarm': 'alarms',
  'AWS::CloudWatch::Dashboard': 'dashboards',
  'AWS::StepFunctions::StateMachine': 'state machines',
  'AWS::Lambda::Function': 'Lambda functions',
  'AWS::DynamoDB::Table': 'DynamoDB tables',
};

/** IAM action prefixes every function has for its plumbing (logs, traces, keys, dead letters, VPC), left out. */
const PLUMBING = new Set(['logs', 'xray', 'kms', 'sqs', 'ec2', 'lambda']);

const id = (text: string) => text.replace(/[^A-Za-z0-9]/g, '_');

function refOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof record.Ref === 'string') return record.Ref;
  if (Array.isArray(record['Fn::GetAtt'])) return String(record['Fn::GetAtt'][0]);
  return undefined;
}

/** Logical ids referenced anywhere inside a value (a state machine definition's Fn::Join). */
function referencedIds(value: unknown, found = new Set<string>()): Set<string> {
  const ref = refOf(value);
  if (ref) found.add(ref);
  if (Array.isArray(value)) for (const item of value) referencedIds(item, found);
  else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) referencedIds(item, found);
  return found;
}

const textOf = (value: unknown): string => (typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value));

function stacksOf(app: App, environment: string): Stack[] {
  return app.node.children.filter((child): child is Stack => child instanceof Stack && child.stackName.startsWith(`FinanceHub-${environment}-`));
}

/** The template as synthesized (the app's assembly is synthesized once and kept). */
function templateOf(app: App, stack: Stack): Template {
  return app.synth().getStackByName(stack.stackName).template as Template;
}

/** The stacks of one environment, their main resources, and which stack deploys after which. */
export function stacksDiagram(app: App, environment: string): string {
  const lines = ['flowchart LR'];
  const stacks = stacksOf(app, environment);
  for (const stack of stacks) {
    const counts = new Map<string, number>();
    for (const resource of Object.values(templateOf(app, stack).Resources ?? {})) {
      const label = MAIN_RESOURCES[resource.Type];
      if (label) counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    const contents = [...counts].map(([label, count]) => `${count} ${label}`).join('<br/>');
    lines.push(`  ${id(stack.stackName)}["<b>${stack.stackName}</b> (${stack.region})<br/>${contents}"]`);
  }
  for (const stack of stacks) {
    for (const dependency of stack.dependencies) lines.push(`  ${id(dependency.stackName)} --> ${id(stack.stackName)}`);
  }
  return lines.join('\n');
}

/** Each workflow of one environment: what starts it, its state machine, the functions it runs, the AWS services they call. */
export function workflowsDiagram(app: App, environment: string, prefix: string): string {
  const ops = stacksOf(app, environment).find((stack) => stack.stackName.endsWith('-Ops'));
  if (!ops) throw new Error(`No ops stack for ${environment}`);
  const resources: Resources = templateOf(app, ops).Resources ?? {};
  const entries = Object.entries(resources);
  const short = (name: unknown) => textOf(name).replace(`${prefix}-`, '');
  const functionName = (logicalId: string) => short(resources[logicalId]?.Properties?.FunctionName ?? logicalId);

  // The AWS services a role may call, by IAM action prefix.
  const servicesOfRole = new Map<string, Set<string>>();
  for (const [, resource] of entries.filter(([, r]) => r.Type === 'AWS::IAM::Policy')) {
    const statements = ((resource.Properties?.PolicyDocument as { Statement?: { Action?: unknown }[] })?.Statement ?? []);
    const services = statements.flatMap((s) => [s.Action].flat().map((action) => textOf(action).split(':')[0] ?? '')).filter((s) => s && !PLUMBING.has(s));
    for (const role of (resource.Properties?.Roles as unknown[]) ?? []) {
      const roleId = refOf(role);
      if (!roleId) continue;
      const known = servicesOfRole.get(roleId) ?? new Set<string>();
      for (const service of services) known.add(service);
      servicesOfRole.set(roleId, known);
    }
  }
  const servicesOfFunction = (logicalId: string) => [...(servicesOfRole.get(refOf(resources[logicalId]?.Properties?.Role) ?? '') ?? [])].sort();

  const lines = ['flowchart LR'];
  const machines = entries.filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine').sort(([, a], [, b]) => textOf(a.Properties?.StateMachineName).localeCompare(textOf(b.Properties?.StateMachineName)));
  for (const [machineId, machine] of machines) {
    const name = textOf(machine.Properties?.StateMachineName);
    const workflow = short(name);
    const node = id(`sm_${workflow}`);
    lines.push(`  subgraph ${id(`wf_${workflow}`)}["${workflow}"]`);
    lines.push(`    ${node}{{"${name}"}}`);
    // Triggers: schedules and rules aimed at the state machine, or at a function allowed to start it.
    const starters = entries
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([fnId]) => fnId)
      .filter((fnId) => {
        const roleId = refOf(resources[fnId]?.Properties?.Role);
        return entries.some(
          ([, p]) =>
            p.Type === 'AWS::IAM::Policy' &&
            ((p.Properties?.Roles as unknown[]) ?? []).some((r) => refOf(r) === roleId) &&
            // One statement must both start and name this machine: a role that only lists it does not start it.
            ((p.Properties?.PolicyDocument as { Statement?: { Action?: unknown; Resource?: unknown }[] })?.Statement ?? []).some(
              (statement) =>
                [statement.Action].flat().includes('states:StartExecution') &&
                (JSON.stringify(statement.Resource).includes(`stateMachine:${name}"`) || JSON.stringify(statement.Resource).includes(`"Ref":"${machineId}"`)),
            ),
        );
      });
    const triggers: string[] = [];
    for (const [, resource] of entries) {
      const targets =
        resource.Type === 'AWS::Scheduler::Schedule'
          ? [(resource.Properties?.Target as { Arn?: unknown })?.Arn]
          : resource.Type === 'AWS::Events::Rule'
            ? ((resource.Properties?.Targets as { Arn?: unknown }[]) ?? []).map((t) => t.Arn)
            : [];
      const kind = resource.Type === 'AWS::Scheduler::Schedule' ? `schedule ${textOf(resource.Properties?.ScheduleExpression)}` : `rule ${short(resource.Properties?.Name)}`;
      for (const target of targets) {
        const targetId = refOf(target);
        if (targetId === machineId) triggers.push(`${kind}`);
        else if (targetId && starters.includes(targetId)) triggers.push(`${kind} via ${functionName(targetId)}`);
      }
    }
    for (const starter of starters.filter((s) => !triggers.some((t) => t.endsWith(`via ${functionName(s)}`)))) triggers.push(`${functionName(starter)}`);
    triggers.forEach((trigger, i) => {
      lines.push(`    ${node}_t${i}(["${trigger}"]) --> ${node}`);
    });
    // Functions the definition invokes, and the AWS services each may call; direct SDK integrations too.
    const definition = machine.Properties?.DefinitionString;
    const functions = [...referencedIds(definition)].filter((ref) => resources[ref]?.Type === 'AWS::Lambda::Function').sort((a, b) => functionName(a).localeCompare(functionName(b)));
    for (const fnId of functions) {
      const fnNode = id(`${workflow}_fn_${functionName(fnId)}`);
      lines.push(`    ${node} --> ${fnNode}["λ ${functionName(fnId)}"]`);
      const services = servicesOfFunction(fnId);
      if (services.length) lines.push(`    ${fnNode} --> ${fnNode}_aws[/"${services.join(', ')}"/]`);
    }
    const direct = [...new Set([...JSON.stringify(definition).matchAll(/arn:aws:states:::(?:aws-sdk:)?([a-z0-9]+)[:.]/g)].map((m) => m[1]).filter((s) => s !== 'lambda'))].sort();
    if (direct.length) lines.push(`    ${node} --> ${node}_sdk[/"${direct.join(', ')} (direct)"/]`);
    lines.push('  end');
  }
  return lines.join('\n');
}

/** What "Infrastructure Architecture for FinanceHub" says, and where infra/config.ts holds the figure. */
const DOCUMENT_FIGURES: readonly (readonly [string, string])[] = [
  ['VPC CIDR', 'network.vpcCidr'],
  ['Availability zones: 2', 'network.availabilityZones'],
  ['Public subnets', 'network.publicSubnetCidrs'],
  ['Private subnets', 'network.privateSubnetCidrs'],
  ['Database subnets', 'network.databaseSubnetCidrs'],
  ['RDS PostgreSQL 15', 'database.engineMajorVersion'],
  ['RDS instance', 'database.instanceType'],
  ['RDS storage: 500 GB SSD (gp3)', 'database.allocatedStorageGiB'],
  ['RDS storage type', 'database.storageType'],
  ['Multi-AZ', 'database.multiAz'],
  ['Read replica: 1 instance', 'database.readReplicas'],
  ['Backup: 30-day retention', 'database.backupRetentionDays'],
  ['Maintenance window: Sunday 3 AM UTC', 'database.preferredMaintenanceWindow'],
  ['RDS security group: 5432 from ECS only', 'database.port'],
  ['ElastiCache Redis 7', 'cache.engineVersion'],
  ['Redis node type', 'cache.nodeType'],
  ['Redis replication: 1 replica', 'cache.replicasPerNodeGroup'],
  ['Redis security group: 6379 from ECS only', 'cache.port'],
  ['Static assets: Glacier after 90 days', 'storage.staticGlacierAfterDays'],
  ['Uploads: 10 MB per file (bytes)', 'storage.uploadMaxBytes'],
  ['Backups: retention 1 year (days)', 'storage.backupRetentionDays'],
  ['EFS throughput: 1 MB/s', 'storage.efsThroughputMiBps'],
  ['EFS: daily snapshots, 7-day retention', 'storage.efsBackupRetentionDays'],
  ['Frontend: 1 vCPU (CPU units)', 'services.frontend.cpu'],
  ['Frontend: 2 GB RAM (MiB)', 'services.frontend.memoryMiB'],
  ['Frontend: port 3000', 'services.frontend.containerPort'],
  ['Frontend: 2-10 tasks (min)', 'services.frontend.minCapacity'],
  ['Frontend: 2-10 tasks (max)', 'services.frontend.maxCapacity'],
  ['Backend: 2 vCPU (CPU units)', 'services.backend.cpu'],
  ['Backend: 4 GB RAM (MiB)', 'services.backend.memoryMiB'],
  ['Backend: port 8000', 'services.backend.containerPort'],
  ['Backend: 2-10 tasks (min)', 'services.backend.minCapacity'],
  ['Backend: 2-10 tasks (max)', 'services.backend.maxCapacity'],
  ['Worker: 1 vCPU (CPU units)', 'services.worker.cpu'],
  ['Worker: 2 GB RAM (MiB)', 'services.worker.memoryMiB'],
  ['Worker: 2-5 tasks (min)', 'services.worker.minCapacity'],
  ['Worker: 2-5 tasks (max)', 'services.worker.maxCapacity'],
  ['Target tracking: 50% CPU', 'autoscaling.targetCpuPercent'],
  ['Scale up: CPU > 70%', 'autoscaling.scaleOutCpuPercent'],
  ['Scale up: for 2 minutes', 'autoscaling.scaleOutAfterMinutes'],
  ['Scale down: CPU < 30%', 'autoscaling.scaleInCpuPercent'],
  ['Scale down: for 5 minutes', 'autoscaling.scaleInAfterMinutes'],
  ['CloudFront /static/*: cache 1 year (s)', 'edge.staticCacheSeconds'],
  ['CloudFront /*: cache 1 hour (s)', 'edge.defaultCacheSeconds'],
  ['WAF rate limit: 2000 requests / 5 minutes', 'edge.wafRateLimitPer5Minutes'],
  ['Alarm: high CPU > 80%', 'observability.alarms.cpuPercent'],
  ['Alarm: high memory > 85%', 'observability.alarms.memoryPercent'],
  ['Alarm: high error rate > 5%', 'observability.alarms.errorRatePercent'],
  ['Alarm: high latency P95 > 2 s', 'observability.alarms.p95LatencySeconds'],
  ['Log retention: 7 days production, 1 day staging', 'observability.logRetentionDays'],
  ['X-Ray sampling: 10%', 'observability.xraySamplingRate'],
  ['Secrets rotation: every 30 days', 'secrets.rotationDays'],
  ['RPO: 15 minutes', 'recovery.rpoMinutes'],
  ['RTO: 4 hours (minutes)', 'recovery.rtoMinutes'],
];

function valueAt(config: object, path: string): unknown {
  const value = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);
  if (value === undefined) throw new Error(`infra/config.ts has no ${path}`);
  return value;
}

const cell = (value: unknown) => `\`${Array.isArray(value) ? value.join(', ') : String(value)}\``;

/** Each figure the code takes from the document, with its value in each environment, read from infra/config.ts. */
export function figuresTable(staging: object, production: object): string {
  return [
    '| Infrastructure Architecture for FinanceHub | `infra/config.ts` | staging | production |',
    '|---|---|---|---|',
    ...DOCUMENT_FIGURES.map(([said, path]) => `| ${said} | \`${path}\` | ${cell(valueAt(staging, path))} | ${cell(valueAt(production, path))} |`),
  ].join('\n');
}

const BEGIN = '<!-- generated by npm run docs:architecture: do not edit by hand -->';
const END = '<!-- end of generated diagrams -->';

/** The generated part of docs/architecture.md: the document's figures, the stacks, the workflows. */
export function renderDiagrams(app: App, environment: string, prefix: string, figures: string): string {
  return [
    BEGIN,
    '',
    '### Figures taken from the document',
    '',
    figures,
    '',
    `### Stacks of ${environment} (production has the same shape) and their main resources; an arrow points to the stack that deploys after`,
    '',
    '```mermaid',
    stacksDiagram(app, environment),
    '```',
    '',
    `### Workflows: trigger -> state machine -> functions -> the AWS services they may call (from their IAM policies)`,
    '',
    '```mermaid',
    workflowsDiagram(app, environment, prefix),
    '```',
    '',
    END,
  ].join('\n');
}

/** The page with its generated part replaced (or appended when it has none yet). */
export function withDiagrams(page: string, diagrams: string): string {
  const start = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (start === -1 || end === -1) return `${page.trimEnd()}\n\n## Figures and diagrams\n\n${diagrams}\n`;
  return `${page.slice(0, start)}${diagrams}${page.slice(end + END.length)}`;
}
