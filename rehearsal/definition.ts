import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';

/**
 * Turns an `AWS::StepFunctions::StateMachine` of a synthesized CloudFormation template into plain ASL that
 * aws-local-stepfunctions runs, and says what each Task state calls, so a Lambda task can run the function's
 * real handler in-process and an AWS SDK task the same SDK v3 command.
 */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

export interface CloudFormationTemplate {
  readonly Resources?: Record<string, TemplateResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Export?: { readonly Name?: unknown } }>;
}

/** A Lambda function of this repository invoked by a Task. */
export interface LambdaTaskBinding {
  readonly kind: 'lambda';
  readonly functionLogicalId: string;
  /** Folder under `functions/` (the function's POWERTOOLS_SERVICE_NAME); undefined for a function that is not an OpsFunction. */
  readonly functionName?: string;
  /** Absolute path of `functions/<functionName>/handler.ts`. */
  readonly handlerEntry?: string;
  /** `invoke`: `arn:aws:states:::lambda:invoke` (output `{ Payload, StatusCode, ... }`); `direct`: the function ARN as Resource (output = payload). */
  readonly integration: 'invoke' | 'direct';
  /** The function's own timeout (Lambda's default 3 s when the template sets none): past it, Step Functions sees `Sandbox.Timedout`. */
  readonly timeoutSeconds: number;
}

/** A direct AWS SDK integration: `arn:aws:states:::aws-sdk:<service>:<action>`. */
export interface SdkTaskBinding {
  readonly kind: 'sdk';
  readonly service: string;
  readonly action: string;
}

/** An optimized integration other than Lambda (sns:publish, ecs:runTask.sync, ...): `arn:aws:states:::<service>:<action>`. */
export interface ServiceTaskBinding {
  readonly kind: 'service';
  readonly service: string;
  readonly action: string;
  readonly resource: string;
}

export type TaskBinding = LambdaTaskBinding | SdkTaskBinding | ServiceTaskBinding;

export interface ResolvedStateMachine {
  readonly logicalId: string;
  /** Physical name when the template sets one (`financehub-staging-restore-drill`). */
  readonly stateMachineName?: string;
  /** Placeholder ARN of the state machine itself (what `$$.StateMachine.Id` holds). */
  readonly stateMachineArn: string;
  readonly asl: StateMachineDefinition;
  /** Every Task state, nested ones (Parallel, Map) included, by state name. */
  readonly tasks: Readonly<Record<string, TaskBinding>>;
}

export interface ResolveOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '111111111111' */
  readonly account?: string;
  /** Values of `Fn::ImportValue` by export name (see `collectExports`). */
  readonly imports?: Readonly<Record<string, string>>;
}

const LAMBDA_PLACEHOLDER = /^arn:aws:lambda:[^:]+:[^:]+:function:([^:]+)$/;

/** Properties holding a resource's physical name, by resource type. */
const NAME_PROPERTIES: Record<string, string> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::ECS::Cluster': 'ClusterName',
  'AWS::ECS::Service': 'ServiceName',
  'AWS::Events::Rule': 'Name',
  'AWS::Scheduler::Schedule': 'Name',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::ElastiCache::ReplicationGroup': 'ReplicationGroupId',
  'AWS::Backup::BackupVault': 'BackupVaultName',
  'AWS::IAM::Role': 'RoleName',
};

/** 17 hex digits from a logical id: stands in for the ids AWS generates (fs-..., sg-...), the same on every run. */
function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 17);
}

class Resolver {
  readonly region: string;
  readonly account: string;

  constructor(
    private readonly template: CloudFormationTemplate,
    private readonly options: ResolveOptions,
  ) {
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '111111111111';
  }

  /** Resolves intrinsic functions to strings; anything unknown fails loudly instead of running a wrong definition. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) return this.intrinsic(first[0], first[1]);
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item)]));
  }

  private intrinsic(name: string, argument: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(String(argument));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument) ? argument.map(String) : String(argument).split('.');
        return this.getAtt(logicalId ?? '', attribute ?? '');
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).map(String).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = argument as [unknown, unknown];
        return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
      }
      case 'Fn::Split': {
        const [separator, source] = argument as [string, unknown];
        return String(this.resolve(source)).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(argument) ? (argument as [string, Record<string, unknown>]) : [String(argument), {}];
        return text.replace(/\$\{([^}!]+)\}/g, (_, expression: string) => {
          if (expression in variables) return String(this.resolve(variables[expression]));
          const [logicalId, attribute] = expression.split('.');
          return String(attribute ? this.getAtt(logicalId ?? '', attribute) : this.ref(expression));
        });
      }
      case 'Fn::ImportValue': {
        const exportName = String(this.resolve(argument));
        const imported = this.options.imports?.[exportName];
        if (imported === undefined) throw new Error(`Fn::ImportValue ${exportName}: not among the exports given (pass the other stacks' templates)`);
        return imported;
      }
      default:
        throw new Error(`Unsupported intrinsic ${name} in a state machine definition`);
    }
  }

  private ref(logicalId: string): string {
    switch (logicalId) {
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return this.account;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return 'local-stack';
      default:
        break;
    }
    const resource = this.resource(logicalId);
    const name = this.physicalName(logicalId, resource);
    // Resources whose Ref is an ARN or a generated id rather than a name.
    switch (resource.Type) {
      case 'AWS::EFS::FileSystem':
        return `fs-${shortHash(logicalId)}`;
      case 'AWS::EC2::SecurityGroup':
        return `sg-${shortHash(logicalId)}`;
      case 'AWS::SNS::Topic':
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::SecretsManager::Secret':
        return this.arn(logicalId);
      // The attachment's Ref is the ARN of the secret it attaches.
      case 'AWS::SecretsManager::SecretTargetAttachment':
        return String(this.resolve(resource.Properties?.SecretId));
      case 'AWS::SQS::Queue':
        return `https://sqs.${this.region}.amazonaws.com/${this.account}/${name}`;
      default:
        return name;
    }
  }

  private getAtt(logicalId: string, attribute: string): string {
    const resource = this.resource(logicalId);
    if (attribute === 'Arn') return this.arn(logicalId);
    if (attribute === 'GroupId' || attribute === 'FileSystemId') return this.ref(logicalId);
    if (attribute === 'Name' || attribute === 'QueueName' || attribute === 'TopicName') return this.physicalName(logicalId, resource);
    if (attribute === 'Endpoint.Address') return `${this.physicalName(logicalId, resource)}.local.${this.region}.rds.amazonaws.com`;
    if (attribute === 'Endpoint.Port') return '5432';
    return `${logicalId}.${attribute}`;
  }

  /**
   * Placeholder ARNs: realistic in shape, deterministic, and for Lambda functions keeping the logical id
   * (`arn:aws:lambda:<region>:<account>:function:<logicalId>`) so a Task maps back to the function.
   */
  arn(logicalId: string): string {
    const resource = this.resource(logicalId);
    const name = this.physicalName(logicalId, resource);
    const at = `${this.region}:${this.account}`;
    switch (resource.Type) {
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${at}:function:${logicalId}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${at}:${name}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${at}:${name}`;
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${name}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${at}:stateMachine:${name}`;
      case 'AWS::RDS::DBInstance':
        return `arn:aws:rds:${at}:db:${name}`;
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${at}:table/${name}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${at}:secret:${name}-AbCdEf`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${this.account}:role/${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${at}:log-group:${name}:*`;
      case 'AWS::EFS::FileSystem':
        return `arn:aws:elasticfilesystem:${at}:file-system/${this.ref(logicalId)}`;
      case 'AWS::Backup::BackupVault':
        return `arn:aws:backup:${at}:backup-vault:${name}`;
      default: {
        const service = resource.Type.split('::')[1]?.toLowerCase() ?? 'unknown';
        return `arn:aws:${service}:${at}:${name}`;
      }
    }
  }

  physicalName(logicalId: string, resource: TemplateResource): string {
    const property = NAME_PROPERTIES[resource.Type];
    const value = property ? resource.Properties?.[property] : undefined;
    if (typeof value === 'string') return value;
    if (value !== undefined) {
      const resolved = this.resolve(value);
      if (typeof resolved === 'string') return resolved;
    }
    return logicalId;
  }

  resource(logicalId: string): TemplateResource {
    const resource = this.template.Resources?.[logicalId];
    if (!resource) throw new Error(`Resource ${logicalId} is not in the template`);
    return resource;
  }
}

/** Resolves any template value (a Lambda's environment, a property) to plain JSON with the same placeholders. */
export function resolveTemplateValue(template: CloudFormationTemplate, value: unknown, options: ResolveOptions = {}): unknown {
  return new Resolver(template, options).resolve(value);
}

/** Every export of the given templates (`Outputs.*.Export.Name` -> resolved value), for `Fn::ImportValue`. */
export function collectExports(templates: readonly CloudFormationTemplate[], options: Omit<ResolveOptions, 'imports'> = {}): Record<string, string> {
  const exports: Record<string, string> = {};
  for (const template of templates) {
    const resolver = new Resolver(template, options);
    for (const output of Object.values(template.Outputs ?? {})) {
      if (output.Export?.Name === undefined) continue;
      exports[String(resolver.resolve(output.Export.Name))] = String(resolver.resolve(output.Value));
    }
  }
  return exports;
}

/** Logical ids of the template's state machines. */
export function listStateMachines(template: CloudFormationTemplate): string[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine')
    .map(([logicalId]) => logicalId);
}

/**
 * Finds a state machine by exact logical id, or by a part of its logical id or physical name
 * (`restore-drill`, `RestoreDrill`); more than one match is an error, so a test never runs the wrong one.
 */
export function findStateMachine(template: CloudFormationTemplate, idOrNamePart: string, options: ResolveOptions = {}): string | undefined {
  const ids = listStateMachines(template);
  if (ids.includes(idOrNamePart)) return idOrNamePart;
  const resolver = new Resolver(template, options);
  const wanted = idOrNamePart.toLowerCase();
  const matches = ids.filter((id) => {
    const resource = resolver.resource(id);
    const name = resolver.physicalName(id, resource);
    return id.toLowerCase().includes(wanted) || (name !== id && name.toLowerCase().includes(wanted));
  });
  if (matches.length > 1) throw new Error(`"${idOrNamePart}" matches several state machines: ${matches.join(', ')}`);
  return matches[0];
}

type AslState = Record<string, unknown>;

function forEachState(states: Record<string, AslState>, visit: (name: string, state: AslState) => void): void {
  for (const [name, state] of Object.entries(states)) {
    visit(name, state);
    const branches = (state.Branches as { States: Record<string, AslState> }[] | undefined) ?? [];
    const processor = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, AslState> } | undefined;
    for (const nested of [...branches, ...(processor ? [processor] : [])]) forEachState(nested.States, visit);
  }
}

function bindTask(template: CloudFormationTemplate, stateName: string, state: AslState): TaskBinding {
  const resource = String(state.Resource);
  const lambdaFunction = (arn: string, integration: LambdaTaskBinding['integration']): LambdaTaskBinding => {
    const match = LAMBDA_PLACEHOLDER.exec(arn.replace(/:\$LATEST$|:[0-9]+$/, ''));
    const logicalId = match?.[1];
    const fn = logicalId ? template.Resources?.[logicalId] : undefined;
    if (!logicalId || fn?.Type !== 'AWS::Lambda::Function') {
      throw new Error(`Task "${stateName}" invokes ${arn}, which is not a Lambda function of this template`);
    }
    const variables = ((fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
    const functionName = typeof variables.POWERTOOLS_SERVICE_NAME === 'string' ? variables.POWERTOOLS_SERVICE_NAME : undefined;
    return {
      kind: 'lambda',
      functionLogicalId: logicalId,
      functionName,
      handlerEntry: functionName ? path.join(repositoryRoot, 'functions', functionName, 'handler.ts') : undefined,
      integration,
      timeoutSeconds: typeof fn.Properties?.Timeout === 'number' ? fn.Properties.Timeout : 3,
    };
  };

  if (resource.startsWith('arn:aws:lambda:')) return lambdaFunction(resource, 'direct');
  const integration = /^arn:aws:states:::([^:]+):([^:]+)(?::(.+))?$/.exec(resource);
  if (!integration) throw new Error(`Task "${stateName}" has a Resource this executor cannot run: ${resource}`);
  const [, service = '', action = '', sdkAction] = integration;
  if (service === 'lambda' && action === 'invoke') {
    const parameters = (state.Parameters ?? {}) as Record<string, unknown>;
    if (typeof parameters.FunctionName !== 'string') {
      throw new Error(`Task "${stateName}" invokes a Lambda chosen at run time; only fixed functions run locally`);
    }
    return lambdaFunction(parameters.FunctionName, 'invoke');
  }
  if (service === 'aws-sdk') return { kind: 'sdk', service: action, action: sdkAction ?? '' };
  return { kind: 'service', service, action: sdkAction ? `${action}:${sdkAction}` : action, resource };
}

/** Resolves one state machine of a template to plain ASL plus what each of its Task states calls. */
export function resolveStateMachine(template: CloudFormationTemplate, idOrNamePart: string, options: ResolveOptions = {}): ResolvedStateMachine {
  const logicalId = findStateMachine(template, idOrNamePart, options);
  if (!logicalId) throw new Error(`No state machine matching "${idOrNamePart}"; found: ${listStateMachines(template).join(', ') || 'none'}`);
  const resolver = new Resolver(template, options);
  const resource = resolver.resource(logicalId);
  const properties = resource.Properties ?? {};
  const definitionString = resolver.resolve(properties.DefinitionString ?? JSON.stringify(properties.Definition ?? {}));
  let text = String(definitionString);
  const substitutions = (properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(substitutions)) text = text.split(`\${${key}}`).join(String(resolver.resolve(value)));
  const asl = JSON.parse(text) as StateMachineDefinition;

  const tasks: Record<string, TaskBinding> = {};
  forEachState(asl.States as unknown as Record<string, AslState>, (name, state) => {
    if (state.Type === 'Task') tasks[name] = bindTask(template, name, state);
  });
  const stateMachineName = typeof properties.StateMachineName === 'string' ? properties.StateMachineName : undefined;
  return { logicalId, stateMachineName, stateMachineArn: resolver.arn(logicalId), asl, tasks };
}
