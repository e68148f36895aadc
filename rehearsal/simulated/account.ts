import {
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  type DBInstance,
  DeleteDBInstanceCommand,
  type DeleteDBInstanceCommandInput,
  DescribeDBInstancesCommand,
  type DescribeDBInstancesCommandInput,
  InvalidDBInstanceStateFault,
  RDSClient,
  RestoreDBInstanceToPointInTimeCommand,
  type RestoreDBInstanceToPointInTimeCommandInput,
} from '@aws-sdk/client-rds';
import type { Client, MetadataBearer } from '@smithy/types';
import type { ProbeFetch } from '../../functions/lib/health-probe.js';
import { type OpsResult, opsResultSchema } from '../../contracts/ops-result.js';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';

/**
 * A simulated AWS account for rehearsals (`fhops --local`) and workflow tests: every SDK v3 client class it mocks
 * answers from a script instead of AWS, in this process, for Lambda code and SDK tasks alike, and every call is
 * recorded in order across services.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a stub works for any client's input/output types
type AnyStub = AwsStub<any, any, any>;
type ClientClass = { prototype: Client<object, MetadataBearer, unknown>; name: string };

export interface RecordedCall {
  /** Client class name without `Client`: `RDS`, `SFN`, `S3`. */
  readonly service: string;
  /** Command name without `Command`: `DescribeDBInstances`. */
  readonly command: string;
  readonly input: unknown;
  /** The simulated AWS refused it (the script threw): nothing was done. */
  readonly refused?: boolean;
}

/** Sits between a caller and the simulated account: `send` forwards the call; not calling it means AWS never saw it. */
export type CallInterceptor = (call: RecordedCall, send: () => Promise<unknown>) => Promise<unknown>;

type Send = (this: unknown, command: unknown, ...rest: unknown[]) => Promise<unknown>;

export class SimulatedAccount {
  private readonly stubs = new Map<ClientClass, AnyStub>();
  private readonly refusedInputs = new WeakSet<object>();
  private interceptor?: CallInterceptor;
  private readonly stubbedSends = new Map<ClientClass, Send>();

  /** The stub of a client class (created on first use): script it with `.on(Command).resolves(...)`. */
  mock<TInput extends object, TOutput extends MetadataBearer, TConfiguration>(clientClass: { prototype: Client<TInput, TOutput, TConfiguration>; name: string }): AwsStub<TInput, TOutput, TConfiguration> {
    const key = clientClass as unknown as ClientClass;
    let stub = this.stubs.get(key);
    if (!stub) {
      stub = mockClient(clientClass) as AnyStub;
      this.stubs.set(key, stub);
      if (this.interceptor) this.wrap(key);
    }
    return stub as AwsStub<TInput, TOutput, TConfiguration>;
  }

  /**
   * Puts `interceptor` in front of every client of the account, mocked now or later: the fault harness decides there
   * whether a call reaches the simulated AWS and what the caller sees. Without one, calls go straight through again.
   */
  intercept(interceptor?: CallInterceptor): void {
    this.interceptor = interceptor;
    for (const clientClass of this.stubs.keys()) this.wrap(clientClass);
  }

  private wrap(clientClass: ClientClass): void {
    if (this.stubbedSends.has(clientClass)) return;
    const prototype = clientClass.prototype as unknown as { send: Send };
    const stubbed = prototype.send;
    this.stubbedSends.set(clientClass, stubbed);
    const service = clientClass.name.replace(/Client$/, '');
    const intercepting = () => this.interceptor;
    prototype.send = function (this: unknown, command: unknown, ...rest: unknown[]) {
      const described = command as { constructor: { name: string }; input: unknown };
      const call = { service, command: described.constructor.name.replace(/Command$/, ''), input: described.input };
      const send = () => stubbed.call(this, command, ...rest);
      const interceptor = intercepting();
      return interceptor ? interceptor(call, send) : send();
    };
  }

  /** Marks a call's input as refused by the script (it answers with an error): the call log says nothing was done. */
  refuse(input: object): void {
    this.refusedInputs.add(input);
  }

  /** Every call that reached the simulated account, in the order made, whatever the service. */
  calls(): RecordedCall[] {
    return [...this.stubs.entries()]
      .flatMap(([clientClass, stub]) =>
        stub.calls().map((call) => {
          const command = call.args[0] as { constructor: { name: string }; input: unknown };
          return {
            call,
            recorded: { service: clientClass.name.replace(/Client$/, ''), command: command.constructor.name.replace(/Command$/, ''), input: command.input, ...(this.refusedInputs.has(command.input as object) ? { refused: true } : {}) },
          };
        }),
      )
      .sort((a, b) => (a.call.calledBefore(b.call) ? -1 : 1))
      .map(({ recorded }) => recorded);
  }

  /** `RDS:DescribeDBInstances`, one line per call: what a rehearsal prints. */
  callLog(): string[] {
    return this.calls().map((call) => `${call.service}:${call.command} ${JSON.stringify(call.input)}`);
  }

  /** Forgets the script and the recorded calls, keeping the mocks (and an interceptor) in place. */
  reset(): void {
    for (const stub of this.stubs.values()) stub.reset();
    // aws-sdk-client-mock's reset puts a new stub on each client's send, replacing the interceptor's wrapper.
    this.stubbedSends.clear();
    if (this.interceptor) for (const clientClass of this.stubs.keys()) this.wrap(clientClass);
  }

  /** Gives the real clients back. */
  restore(): void {
    for (const [clientClass, send] of this.stubbedSends) (clientClass.prototype as unknown as { send: Send }).send = send;
    this.stubbedSends.clear();
    this.interceptor = undefined;
    for (const stub of this.stubs.values()) stub.restore();
    this.stubs.clear();
  }
}

/** The results the workflows published to the notification topic, in order: what on-call reads in Slack. */
export function publishedResults(account: SimulatedAccount): OpsResult[] {
  return account
    .calls()
    .filter((call) => call.service === 'SNS' && call.command === 'Publish' && !call.refused)
    .map((call) => opsResultSchema.parse(JSON.parse((call.input as { Message?: string }).Message ?? '{}')));
}

/** An object a workflow wrote to S3 in the simulated account (a drill's JSON and HTML report). */
export interface WrittenObject {
  readonly bucket: string;
  readonly key: string;
  readonly contentType?: string;
  readonly body: string;
}

/** What the workflows wrote to S3, in order: the drill reports, kept so a rehearsal can hand them over. */
export function writtenObjects(account: SimulatedAccount): WrittenObject[] {
  return account
    .calls()
    .filter((call) => call.service === 'S3' && call.command === 'PutObject')
    .map((call) => {
      const input = call.input as { Bucket?: string; Key?: string; ContentType?: string; Body?: unknown };
      return { bucket: input.Bucket ?? '', key: input.Key ?? '', contentType: input.ContentType, body: typeof input.Body === 'string' ? input.Body : String(input.Body ?? '') };
    });
}

/** The application's health endpoint: answers the status codes in turn, the last one repeating; `onProbe` runs at each probe. */
export function scriptedHealthEndpoint(codes: readonly number[], onProbe: () => void = () => undefined): ProbeFetch {
  const left = [...codes];
  return async () => {
    onProbe();
    return { status: left.length > 1 ? (left.shift() ?? 200) : (left[0] ?? 200) };
  };
}

/** An RDS instance description with the fields the ops workflows read; override what a scenario needs. */
export function rdsInstance(identifier: string, overrides: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: identifier,
    DBInstanceArn: `arn:aws:rds:us-east-1:111111111111:db:${identifier}`,
    DBInstanceStatus: 'available',
    DBInstanceClass: 'db.t3.large',
    Engine: 'postgres',
    EngineVersion: '15.8',
    MultiAZ: true,
    BackupRetentionPeriod: 30,
    DBSubnetGroup: { DBSubnetGroupName: `${identifier}-subnets` },
    Endpoint: { Address: `${identifier}.abc123.us-east-1.rds.amazonaws.com`, Port: 5432 },
    LatestRestorableTime: new Date(Date.now() - 5 * 60_000),
    // Automated backups replicated to the DR region, as the data stack configures them.
    DBInstanceAutomatedBackupsReplications: [{ DBInstanceAutomatedBackupsArn: `arn:aws:rds:us-west-2:111111111111:auto-backup:ab-${identifier}` }],
    TagList: [],
    ...overrides,
  };
}

export interface SimulatedRdsOptions {
  /** Instances that exist from the start (the source, its replica). */
  readonly instances: readonly DBInstance[];
  /** Status checks a restored instance answers `creating` before it is `available`. @default 2 */
  readonly restorePolls?: number;
  /** A restored instance never becomes available (a stuck restore). */
  readonly restoreNeverCompletes?: boolean;
  /** RestoreDBInstanceToPointInTime rejects with this. */
  readonly restoreError?: Error;
  /** Status checks a deleted instance answers `deleting` before it is gone. @default 1 */
  readonly deletePolls?: number;
  /** DeleteDBInstance rejects with this. */
  readonly deleteError?: Error;
}

/**
 * States in which RDS refuses DeleteDBInstance with InvalidDBInstanceState ("The specified DB instance is not in the
 * available state", DeleteDBInstance's API reference): an instance still being created, or already being deleted,
 * modified, rebooted or backed up.
 */
const NOT_DELETABLE = new Set(['creating', 'deleting', 'modifying', 'rebooting', 'backing-up', 'renaming', 'upgrading', 'starting', 'stopping']);

/**
 * RDS as a small state machine of instances: a restore creates one that becomes available after a few status
 * checks, a delete makes it disappear after a few more, unknown identifiers are DBInstanceNotFound, and a delete in a
 * state where RDS refuses it (still creating, already deleting) is InvalidDBInstanceState. Enough to rehearse the
 * restore drill and its sweeper without an account.
 */
export class SimulatedRds {
  readonly instances = new Map<string, DBInstance>();
  private readonly pollsLeft = new Map<string, number>();

  constructor(
    account: SimulatedAccount,
    private readonly options: SimulatedRdsOptions,
  ) {
    for (const instance of options.instances) this.instances.set(instance.DBInstanceIdentifier ?? '', instance);
    const stub = account.mock(RDSClient);
    stub.on(DescribeDBInstancesCommand).callsFake(async (input: DescribeDBInstancesCommandInput) => this.describe(input));
    stub.on(RestoreDBInstanceToPointInTimeCommand).callsFake(async (input: RestoreDBInstanceToPointInTimeCommandInput) => this.restore(input));
    stub.on(DeleteDBInstanceCommand).callsFake(async (input: DeleteDBInstanceCommandInput) => this.delete(input));
  }

  private notFound(id: string): DBInstanceNotFoundFault {
    return new DBInstanceNotFoundFault({ message: `DBInstance ${id} not found.`, $metadata: { httpStatusCode: 404 } });
  }

  private advance(id: string, instance: DBInstance): DBInstance | undefined {
    const left = this.pollsLeft.get(id);
    if (left === undefined) return instance;
    if (left > 0) {
      this.pollsLeft.set(id, left - 1);
      return instance;
    }
    this.pollsLeft.delete(id);
    if (instance.DBInstanceStatus === 'deleting') {
      this.instances.delete(id);
      return undefined;
    }
    const available: DBInstance = { ...instance, DBInstanceStatus: 'available', Endpoint: { Address: `${id}.sim.us-east-1.rds.amazonaws.com`, Port: 5432 } };
    this.instances.set(id, available);
    return available;
  }

  private describe(input: DescribeDBInstancesCommandInput) {
    const id = input.DBInstanceIdentifier;
    if (!id) return { DBInstances: [...this.instances.values()] };
    const instance = this.instances.get(id);
    const current = instance && this.advance(id, instance);
    if (!current) throw this.notFound(id);
    return { DBInstances: [current] };
  }

  private restore(input: RestoreDBInstanceToPointInTimeCommandInput) {
    if (this.options.restoreError) throw this.options.restoreError;
    const id = input.TargetDBInstanceIdentifier ?? '';
    const source = this.instances.get(input.SourceDBInstanceIdentifier ?? '');
    if (!source) throw this.notFound(input.SourceDBInstanceIdentifier ?? '');
    if (this.instances.has(id)) throw new DBInstanceAlreadyExistsFault({ message: `DB instance already exists`, $metadata: { httpStatusCode: 400 } });
    const created: DBInstance = {
      DBInstanceIdentifier: id,
      DBInstanceArn: `arn:aws:rds:us-east-1:111111111111:db:${id}`,
      DBInstanceStatus: 'creating',
      DBInstanceClass: input.DBInstanceClass ?? source.DBInstanceClass,
      Engine: source.Engine,
      MultiAZ: input.MultiAZ ?? false,
      DBSubnetGroup: { DBSubnetGroupName: input.DBSubnetGroupName },
      VpcSecurityGroups: (input.VpcSecurityGroupIds ?? []).map((VpcSecurityGroupId) => ({ VpcSecurityGroupId, Status: 'active' })),
      InstanceCreateTime: new Date(),
      TagList: input.Tags ?? [],
      LatestRestorableTime: undefined,
    };
    this.instances.set(id, created);
    this.pollsLeft.set(id, this.options.restoreNeverCompletes ? Number.POSITIVE_INFINITY : (this.options.restorePolls ?? 2));
    return { DBInstance: { ...created, LatestRestorableTime: source.LatestRestorableTime } };
  }

  private delete(input: DeleteDBInstanceCommandInput) {
    if (this.options.deleteError) throw this.options.deleteError;
    const id = input.DBInstanceIdentifier ?? '';
    const instance = this.instances.get(id);
    if (!instance) throw this.notFound(id);
    const status = instance.DBInstanceStatus ?? 'available';
    if (NOT_DELETABLE.has(status)) {
      throw new InvalidDBInstanceStateFault({ message: `Instance ${id} is currently ${status} and cannot be deleted.`, $metadata: { httpStatusCode: 400 } });
    }
    const deleting: DBInstance = { ...instance, DBInstanceStatus: 'deleting' };
    this.instances.set(id, deleting);
    this.pollsLeft.set(id, this.options.deletePolls ?? 1);
    return { DBInstance: deleting };
  }
}
