import {
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  InvalidParameterValueException,
  InvalidReplicationGroupStateFault,
  ModifyReplicationGroupCommand,
  type ModifyReplicationGroupCommandInput,
  ReplicationGroupNotFoundFault,
} from '@aws-sdk/client-elasticache';
import { mockClient } from 'aws-sdk-client-mock';
import type { RedisClientType } from 'redis';
import { authTokenSchema } from '../../../functions/rotate-redis-auth/rotation.js';

/**
 * ElastiCache's AUTH token API in front of a real Redis: ROTATE and SET become ACL passwords of the `default` user
 * (one user can hold two), applied asynchronously as ElastiCache does (the group is `modifying` for a few
 * DescribeReplicationGroups calls). It refuses what ElastiCache refuses: another group, a change while one is under
 * way, a token outside the AUTH rules, SET without a ROTATE before it.
 */
export class ElastiCacheFake {
  readonly stub = mockClient(ElastiCacheClient);
  /** The tokens Redis accepts, oldest first. */
  tokens: string[];
  status: 'available' | 'modifying' = 'available';
  lastModified: Date;
  /** How many DescribeReplicationGroups calls a modification stays `modifying` for. */
  describesPerChange = 2;
  readonly requests: ModifyReplicationGroupCommandInput[] = [];
  private change?: { strategy: 'ROTATE' | 'SET'; token: string; describesLeft: number };

  constructor(
    private readonly redis: RedisClientType,
    readonly replicationGroupId: string,
    initialToken: string,
    now: Date,
  ) {
    this.tokens = [initialToken];
    this.lastModified = now;
    this.stub.on(DescribeReplicationGroupsCommand).callsFake(async ({ ReplicationGroupId }: { ReplicationGroupId?: string }) => {
      this.requireGroup(ReplicationGroupId);
      await this.progress();
      return {
        ReplicationGroups: [
          {
            ReplicationGroupId: this.replicationGroupId,
            Status: this.status,
            AuthTokenEnabled: true,
            TransitEncryptionEnabled: true,
            AuthTokenLastModifiedDate: this.lastModified,
            PendingModifiedValues: this.change ? { AuthTokenStatus: this.change.strategy === 'ROTATE' ? 'ROTATING' : 'SETTING' } : {},
          },
        ],
      };
    });
    this.stub.on(ModifyReplicationGroupCommand).callsFake(async (input: ModifyReplicationGroupCommandInput) => {
      this.requests.push(input);
      this.requireGroup(input.ReplicationGroupId);
      if (this.status !== 'available') {
        throw new InvalidReplicationGroupStateFault({ message: `Replication group ${this.replicationGroupId} is not in available state`, $metadata: {} });
      }
      const strategy = input.AuthTokenUpdateStrategy ?? 'ROTATE';
      if (strategy !== 'ROTATE' && strategy !== 'SET') throw this.invalid(`AuthTokenUpdateStrategy ${strategy} is not supported here`);
      if (!input.AuthToken || !authTokenSchema.safeParse(input.AuthToken).success) throw this.invalid('Invalid AuthToken provided.');
      if (strategy === 'SET' && this.tokens.length < 2) throw this.invalid('AuthTokenUpdateStrategy SET is allowed only after ROTATE');
      this.status = 'modifying';
      this.change = { strategy, token: input.AuthToken, describesLeft: this.describesPerChange };
      return { ReplicationGroup: { ReplicationGroupId: this.replicationGroupId, Status: 'modifying' } };
    });
  }

  /** Starts a change of the operator's own (another ROTATE in flight, a scaling), to show steps wait for it. */
  startUnrelatedChange(describes: number): void {
    this.status = 'modifying';
    this.change = undefined;
    this.unrelatedDescribesLeft = describes;
  }

  private unrelatedDescribesLeft = 0;

  private async progress(): Promise<void> {
    if (this.status !== 'modifying') return;
    if (!this.change) {
      if (--this.unrelatedDescribesLeft <= 0) this.status = 'available';
      return;
    }
    if (--this.change.describesLeft > 0) return;
    const { strategy, token } = this.change;
    if (strategy === 'ROTATE') {
      // Two tokens at most: the newest existing one and the new one.
      const kept = this.tokens.includes(token) ? this.tokens : [this.tokens[this.tokens.length - 1]!, token];
      await this.redis.sendCommand(['ACL', 'SETUSER', 'default', 'resetpass', ...kept.map((t) => `>${t}`)]);
      this.tokens = kept;
    } else {
      await this.redis.sendCommand(['ACL', 'SETUSER', 'default', 'resetpass', `>${token}`]);
      this.tokens = [token];
    }
    this.change = undefined;
    this.status = 'available';
    this.lastModified = new Date();
  }

  private requireGroup(id: string | undefined): void {
    if (id !== this.replicationGroupId) throw new ReplicationGroupNotFoundFault({ message: `ReplicationGroup ${id} not found.`, $metadata: {} });
  }

  private invalid(message: string): InvalidParameterValueException {
    return new InvalidParameterValueException({ message, $metadata: {} });
  }
}
