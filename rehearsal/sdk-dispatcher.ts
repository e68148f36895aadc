import { NormalizedSchema } from '@smithy/core/schema';

/**
 * Runs a Step Functions AWS SDK integration (`arn:aws:states:::aws-sdk:<service>:<action>`) through the AWS SDK v3
 * command of the same name, so aws-sdk-client-mock (or the real AWS, from the CLI) answers it exactly as it answers
 * the Lambda code, and translates between the two worlds the way Step Functions does:
 * - parameters: Step Functions takes PascalCase names in the Java SDK v2 style (`DbInstanceIdentifier`); they are
 *   matched case-insensitively to the v3 input shape (`DBInstanceIdentifier`; `stateMachineArn` for sfn), and
 *   timestamp strings become Dates;
 * - results: keys become Java-v2 PascalCase (`DbInstances[0].DbInstanceStatus`), Dates ISO strings;
 * - errors: `<Service>.<Name>Exception` (`Rds.DbInstanceNotFoundException`, `Sfn.ExecutionAlreadyExistsException`),
 *   the message as Cause, so Retry and Catch match what AWS raises.
 */
export type SdkDispatcher = (service: string, action: string, parameters: unknown) => Promise<unknown>;

/** Step Functions service names whose v3 package is not `@aws-sdk/client-<service>`. */
const PACKAGES: Record<string, string> = {
  applicationautoscaling: '@aws-sdk/client-application-auto-scaling',
  elasticloadbalancingv2: '@aws-sdk/client-elastic-load-balancing-v2',
  secretsmanager: '@aws-sdk/client-secrets-manager',
  cloudwatchlogs: '@aws-sdk/client-cloudwatch-logs',
};

interface SdkClient {
  send(command: unknown): Promise<Record<string, unknown>>;
}

type ClientConstructor = new (config: { region: string }) => SdkClient;
type CommandConstructor = new (input: unknown) => { schema?: unknown };

interface ServiceModule {
  readonly client: ClientConstructor;
  readonly commands: Map<string, CommandConstructor>;
}

/** Error raised to the state machine: its name is what Retry/Catch `ErrorEquals` match. */
export class StatesTaskError extends Error {
  constructor(name: string, cause: string, options?: { cause?: unknown }) {
    super(cause, options);
    this.name = name;
  }
}

/** `DBInstances` -> `DbInstances`, `executions` -> `Executions`, `MultiAZ` -> `MultiAZ` (Java SDK v2 member names). */
export function javaStyleName(name: string): string {
  const acronymsFolded = name.replace(/([A-Z])([A-Z]+)(?=[A-Z][a-z])/g, (_, head: string, rest: string) => head + rest.toLowerCase());
  return acronymsFolded.charAt(0).toUpperCase() + acronymsFolded.slice(1);
}

/** Name of the States error for an SDK exception: `Rds.DbInstanceNotFoundException`. */
export function sdkErrorName(service: string, error: unknown): string {
  const raw = error instanceof Error ? error.name : 'UnknownError';
  const name = javaStyleName(raw).replace(/(Fault|Exception)?$/, 'Exception');
  return `${service.charAt(0).toUpperCase()}${service.slice(1)}.${name}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof Uint8Array);
}

/** Step Functions parameters -> v3 input, following the operation's input schema. */
export function toSdkInput(value: unknown, schema: NormalizedSchema, where = 'Parameters'): unknown {
  if (value === null || value === undefined) return value;
  if (schema.isStructSchema() && isPlainObject(value)) {
    const members = new Map<string, [string, NormalizedSchema]>();
    for (const [name, member] of schema.structIterator()) members.set(name.toLowerCase(), [name, member]);
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => {
        const member = members.get(key.toLowerCase());
        if (!member) throw new StatesTaskError('States.Runtime', `${where}.${key} is not a parameter of this API`);
        return [member[0], toSdkInput(item, member[1], `${where}.${key}`)];
      }),
    );
  }
  if (schema.isListSchema() && Array.isArray(value)) return value.map((item, index) => toSdkInput(item, schema.getValueSchema(), `${where}[${index}]`));
  if (schema.isMapSchema() && isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toSdkInput(item, schema.getValueSchema(), `${where}.${key}`)]));
  }
  if (schema.isTimestampSchema() && (typeof value === 'string' || typeof value === 'number')) return new Date(value);
  return value;
}

/** v3 output -> what Step Functions hands to the next state. */
export function toStatesOutput(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(toStatesOutput);
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key, item]) => key !== '$metadata' && item !== undefined)
        .map(([key, item]) => [javaStyleName(key), toStatesOutput(item)]),
    );
  }
  return value;
}

async function loadService(service: string): Promise<ServiceModule> {
  const packageName = PACKAGES[service] ?? `@aws-sdk/client-${service}`;
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(packageName)) as Record<string, unknown>;
  } catch (error) {
    throw new StatesTaskError('States.Runtime', `No AWS SDK v3 client for service "${service}" (${packageName} is not installed)`, { cause: error });
  }
  const clientName = Object.keys(loaded).find((key) => key.endsWith('Client') && key !== '__Client');
  if (!clientName) throw new StatesTaskError('States.Runtime', `${packageName} exports no client`);
  const commands = new Map<string, CommandConstructor>();
  for (const [key, value] of Object.entries(loaded)) {
    if (key.endsWith('Command') && typeof value === 'function') commands.set(key.slice(0, -'Command'.length).toLowerCase(), value as CommandConstructor);
  }
  return { client: loaded[clientName] as ClientConstructor, commands };
}

export interface AwsSdkDispatcherOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
}

/**
 * The dispatcher that sends each SDK task through the v3 client of its service, created once per service.
 * Mock the client classes with aws-sdk-client-mock (`mockClient(RDSClient)`) and the calls land there.
 */
export function awsSdkDispatcher(options: AwsSdkDispatcherOptions = {}): SdkDispatcher {
  const region = options.region ?? 'us-east-1';
  const services = new Map<string, Promise<ServiceModule>>();
  const clients = new Map<string, SdkClient>();
  return async (service, action, parameters) => {
    let loading = services.get(service);
    if (!loading) {
      loading = loadService(service);
      services.set(service, loading);
    }
    const module = await loading;
    const Command = module.commands.get(action.toLowerCase());
    if (!Command) throw new StatesTaskError('States.Runtime', `The ${service} client has no command for action "${action}"`);
    let client = clients.get(service);
    if (!client) {
      client = new module.client({ region });
      clients.set(service, client);
    }
    const probe = new Command({});
    const operation = probe.schema as unknown[] | undefined;
    const input = operation?.[4] ? toSdkInput(parameters ?? {}, NormalizedSchema.of(operation[4] as never)) : parameters;
    try {
      return toStatesOutput(await client.send(new Command(input)));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new StatesTaskError(sdkErrorName(service, error), message, { cause: error });
    }
  };
}
