import {
  DescribeReplicationGroupsCommand,
  type DescribeReplicationGroupsCommandInput,
  ElastiCacheClient,
  InvalidParameterValueException,
  InvalidReplicationGroupStateFault,
  ModifyReplicationGroupCommand,
  type ModifyReplicationGroupCommandInput,
  ReplicationGroupNotFoundFault,
} from '@aws-sdk/client-elasticache';
import type { SimulatedAccount } from './account.js';

export interface SimulatedReplicationGroupOptions {
  readonly id: string;
  /** The AUTH tokens it accepts: one, or two while a ROTATE is in force. */
  readonly tokens: readonly string[];
  /** Looks (DescribeReplicationGroups) a change takes to apply, `modifying` meanwhile. @default 2 */
  readonly applyLooks?: number;
  /** ModifyReplicationGroup rejects with this (see also refuseModify). */
  readonly modifyError?: Error;
  /** A ROTATE is accepted and the group goes back to available, but the token never changes (testSecret must notice). */
  readonly rotateNeverApplies?: boolean;
}

/**
 * A Redis replication group's AUTH tokens as ElastiCache changes them: ROTATE adds a token beside the current one (both
 * valid), SET keeps only the one given and is refused unless a ROTATE left two; a change applies over a few looks
 * (`modifying`, AuthTokenStatus SETTING or ROTATING) and a second change meanwhile is InvalidReplicationGroupState.
 * AuthTokenLastModifiedDate moves when a change applies.
 */
export class SimulatedReplicationGroup {
  tokens: string[];
  private refusal?: { error: Error; after: number };
  private modifications = 0;
  private pending?: { strategy: 'ROTATE' | 'SET'; token: string; looksLeft: number };
  private lastModified = new Date(Date.now() - 30 * 86_400_000);

  constructor(
    account: SimulatedAccount,
    private readonly options: SimulatedReplicationGroupOptions,
  ) {
    this.tokens = [...options.tokens];
    const stub = account.mock(ElastiCacheClient);
    stub.on(DescribeReplicationGroupsCommand).callsFake(async (input: DescribeReplicationGroupsCommandInput) => this.describe(input));
    stub.on(ModifyReplicationGroupCommand).callsFake(async (input: ModifyReplicationGroupCommandInput) => this.modify(input));
  }

  /** ModifyReplicationGroup is refused with `error` once `after` changes went through. */
  refuseModify(error: Error, after = 0): void {
    this.refusal = { error, after };
  }

  private check(id: string | undefined): void {
    if (id !== this.options.id) throw new ReplicationGroupNotFoundFault({ message: `ReplicationGroup ${id ?? ''} not found.`, $metadata: { httpStatusCode: 404 } });
  }

  private describe(input: DescribeReplicationGroupsCommandInput) {
    this.check(input.ReplicationGroupId);
    if (this.pending && --this.pending.looksLeft <= 0) {
      const { strategy, token } = this.pending;
      this.pending = undefined;
      if (!(strategy === 'ROTATE' && this.options.rotateNeverApplies)) {
        this.tokens = strategy === 'SET' ? [token] : [...this.tokens.slice(-1), token];
        this.lastModified = new Date();
      }
    }
    const status = this.pending ? 'modifying' : 'available';
    return {
      ReplicationGroups: [
        {
          ReplicationGroupId: this.options.id,
          Status: status,
          AuthTokenEnabled: true,
          TransitEncryptionEnabled: true,
          AuthTokenLastModifiedDate: this.lastModified,
          PendingModifiedValues: this.pending ? { AuthTokenStatus: this.pending.strategy === 'SET' ? ('SETTING' as const) : ('ROTATING' as const) } : {},
        },
      ],
    };
  }

  private modify(input: ModifyReplicationGroupCommandInput) {
    this.check(input.ReplicationGroupId);
    if (this.options.modifyError) throw this.options.modifyError;
    if (this.refusal && this.modifications >= this.refusal.after) throw this.refusal.error;
    this.modifications += 1;
    if (this.pending) throw new InvalidReplicationGroupStateFault({ message: `Replication group ${this.options.id} is not in available state.`, $metadata: { httpStatusCode: 400 } });
    const strategy = input.AuthTokenUpdateStrategy;
    if (!input.AuthToken || (strategy !== 'ROTATE' && strategy !== 'SET')) throw new InvalidParameterValueException({ message: 'AuthToken and AuthTokenUpdateStrategy ROTATE or SET are required.', $metadata: { httpStatusCode: 400 } });
    if (strategy === 'SET' && this.tokens.length < 2) throw new InvalidParameterValueException({ message: 'AuthTokenUpdateStrategy SET is allowed only after ROTATE.', $metadata: { httpStatusCode: 400 } });
    this.pending = { strategy, token: input.AuthToken, looksLeft: this.options.applyLooks ?? 2 };
    return { ReplicationGroup: { ReplicationGroupId: this.options.id, Status: 'modifying' } };
  }
}
