import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, RegisterScalableTargetCommand, type RegisterScalableTargetCommandInput } from '@aws-sdk/client-application-auto-scaling';
import { BackupClient, DescribeRecoveryPointCommand, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, type Deployment, ECSClient, type Service, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetBucketReplicationCommand, GetBucketVersioningCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ListExecutionsCommand, SFNClient, StartExecutionCommand, type StartExecutionCommandInput } from '@aws-sdk/client-sfn';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import highCpu from '../../events/alarm-high-cpu.json' with { type: 'json' };
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { WorkflowName } from '../../contracts/workflows.js';
import { environmentConfig } from '../../infra/config.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import { type SimulatedAccount, SimulatedRds, rdsInstance } from '../simulated/account.js';
import { SimulatedFailover } from '../simulated/failover.js';
import { type SimulatedDatabase, simulatePostgres } from '../simulated/postgres.js';

/** One scripted situation of the simulated account a workflow is rehearsed in. */
export interface Scenario {
  readonly workflow: WorkflowName;
  readonly name: string;
  readonly description: string;
  /** What the rehearsal should end in; the main job fails when it does not. */
  readonly expect: 'SUCCEEDED' | 'FAILED';
  /** Function folders whose real handlers run the workflow's Lambda tasks. */
  readonly functions: readonly string[];
  readonly input: (environment: EnvironmentName) => unknown;
  /** Scripts the account for one execution. */
  readonly script: (account: SimulatedAccount, environment: EnvironmentName, executionName: string) => ScriptedAccount;
}

/** What a scenario's script leaves in place for the rehearsal. */
export interface ScriptedAccount {
  /** Undoes what the script changed outside the simulated account. */
  readonly undo?: () => void;
  /**
   * Replaces members of the handler modules' exported `dependencies.clients` while the rehearsal runs: the clock
   * and the HTTP client of functions that read the time of day or probe the application.
   */
  readonly functionClients?: Readonly<Record<string, unknown>>;
}

/** Names the execution after its scenario, so the call log says which rehearsal made it. */
export const rehearsalExecutionName = (scenario: Pick<Scenario, 'workflow' | 'name'>) => `rehearsal-${scenario.workflow}-${scenario.name}`;

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
const published = (account: SimulatedAccount) => account.mock(SNSClient).on(PublishCommand).resolves({ MessageId: 'rehearsal' });

function applicationData(): SimulatedDatabase {
  return {
    schemas: {
      public: {
        accounts_user: { rows: 1200, timestamps: { date_joined: [minutesAgo(600), minutesAgo(120)] } },
        ledger_transaction: { rows: 50_000, timestamps: { created_at: [minutesAgo(60), minutesAgo(8)] } },
        ledger_account: { rows: 300, timestamps: { updated_at: [minutesAgo(3 * 24 * 60)] } },
      },
    },
  };
}

const healthyBackups: Scenario = {
  workflow: 'backup-verification',
  name: 'healthy',
  description: 'RPO lag 5 min, snapshot 6 h old, replica lag 4 s, bucket versioned and replicating, EFS recovery point 2 h old',
  expect: 'SUCCEEDED',
  functions: ['backup-verification'],
  input: () => ({ requestedBy: 'rehearsal' }),
  script: (account, environment) => {
    const { prefix, account: id } = environmentConfig(environment);
    new SimulatedRds(account, { instances: [rdsInstance(`${prefix}-db`, { BackupRetentionPeriod: 30, LatestRestorableTime: minutesAgo(5) })] });
    account.mock(RDSClient).on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: `rds:${prefix}-db-nightly`, Status: 'available', SnapshotCreateTime: minutesAgo(360) }],
    });
    account.mock(CloudWatchClient).on(GetMetricStatisticsCommand).resolves({ Datapoints: [{ Maximum: 2 }, { Maximum: 4 }] });
    const s3 = account.mock(S3Client);
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3.on(GetBucketReplicationCommand).resolves({
      ReplicationConfiguration: { Role: 'arn:aws:iam::000000000000:role/replication', Rules: [{ Status: 'Enabled', Destination: { Bucket: `arn:aws:s3:::${prefix}-backups-replica-${id}` } }] },
    });
    s3.on(HeadBucketCommand).resolves({});
    const backup = account.mock(BackupClient);
    backup.on(ListRecoveryPointsByResourceCommand).resolves({
      RecoveryPoints: [{ RecoveryPointArn: 'arn:aws:backup:us-east-1:000000000000:recovery-point:rehearsal', BackupVaultName: `${prefix}-vault`, Status: 'COMPLETED', CreationDate: minutesAgo(120) }],
    });
    backup.on(DescribeRecoveryPointCommand).resolves({ Lifecycle: { DeleteAfterDays: 7 } });
    published(account);
    return {};
  },
};

function restoreDrill(name: string, description: string, expect: Scenario['expect'], restored: () => SimulatedDatabase): Scenario {
  return {
    workflow: 'restore-drill',
    name,
    description,
    expect,
    functions: ['restore-drill'],
    input: () => ({ requestedBy: 'rehearsal' }),
    script: (account, environment) => {
      const { prefix } = environmentConfig(environment);
      const host = (id: string) => `${id}.sim.us-east-1.rds.amazonaws.com`;
      new SimulatedRds(account, {
        instances: [
          rdsInstance(`${prefix}-db`, { Endpoint: { Address: host(`${prefix}-db`), Port: 5432 }, LatestRestorableTime: minutesAgo(5) }),
          rdsInstance(`${prefix}-db-replica`, { Endpoint: { Address: host(`${prefix}-db-replica`), Port: 5432 }, MultiAZ: false }),
        ],
        restorePolls: 3,
        deletePolls: 2,
      });
      const postgres = simulatePostgres({
        [host(`${prefix}-db-replica`)]: applicationData(),
        [host(`${prefix}-db`)]: applicationData(),
        '-drill-': restored(),
      });
      account.mock(SFNClient).on(ListExecutionsCommand).resolves({
        executions: [{ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:x:rehearsal', stateMachineArn: 'arn:x', name: 'rehearsal', status: 'RUNNING', startDate: new Date() }],
      });
      account.mock(SecretsManagerClient).on(GetSecretValueCommand).resolves({
        SecretString: JSON.stringify({ engine: 'postgres', host: host(`${prefix}-db`), port: 5432, username: 'financehub_admin', password: 'rehearsal-only', dbname: 'financehub', ssl: false }),
      });
      account.mock(S3Client).on(PutObjectCommand).resolves({});
      published(account);
      return { undo: () => postgres.restore() };
    },
  };
}

const steady = (name: string, rolloutState: Deployment['rolloutState'], deployments: number): Service => ({
  serviceName: name,
  runningCount: 2,
  desiredCount: 2,
  deployments: Array.from({ length: deployments }, (_, i): Deployment => ({ status: i === 0 ? 'PRIMARY' : 'ACTIVE', rolloutState: i === 0 ? rolloutState : 'COMPLETED', createdAt: i === 0 ? new Date() : new Date(0) })),
});

const postRotation: Scenario = {
  workflow: 'post-rotation',
  name: 'restart',
  description: 'backend and worker restart on the rotated credentials and are steady at the second check',
  expect: 'SUCCEEDED',
  functions: ['post-rotation'],
  input: (environment) => {
    const { prefix } = environmentConfig(environment);
    return { secretId: `${prefix}/db/app`, rotatedAt: new Date().toISOString(), cluster: prefix, services: [`${prefix}-backend`, `${prefix}-worker`] };
  },
  script: (account, environment) => {
    const { prefix } = environmentConfig(environment);
    const ecs = account.mock(ECSClient);
    ecs.on(UpdateServiceCommand).callsFake((request: { service: string }) => ({ service: { serviceName: request.service } }));
    let checks = 0;
    // Described when asked, so the forced deployments are newer than the rotation.
    ecs.on(DescribeServicesCommand).callsFake(async () => {
      checks += 1;
      const [state, deployments] = checks === 1 ? (['IN_PROGRESS', 2] as const) : (['COMPLETED', 1] as const);
      return { services: [steady(`${prefix}-backend`, state, deployments), steady(`${prefix}-worker`, state, deployments)] };
    });
    published(account);
    return {};
  },
};

const scalingOverride: Scenario = {
  workflow: 'scaling-override',
  name: 'apply-revert',
  description: 'backend raised to 4..16 for 60 minutes (the wait takes no time here), then back to its 2..10 baseline',
  expect: 'SUCCEEDED',
  functions: ['scaling-override'],
  input: (environment) => ({ environment, service: 'backend', min: 4, max: 16, durationMinutes: 60, reason: 'month-end batch run', requestedBy: 'rehearsal' }),
  script: (account, environment, executionName) => {
    const { prefix, region, account: id } = environmentConfig(environment);
    const resourceId = `service/${prefix}/${prefix}-backend`;
    let bounds = { min: 2, max: 10 };
    const autoscaling = account.mock(ApplicationAutoScalingClient);
    autoscaling.on(DescribeScalableTargetsCommand).callsFake(async () => ({
      ScalableTargets: [{ ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: bounds.min, MaxCapacity: bounds.max, RoleARN: 'arn:x', CreationTime: new Date() }],
    }));
    autoscaling.on(RegisterScalableTargetCommand).callsFake(async (input: RegisterScalableTargetCommandInput) => {
      bounds = { min: input.MinCapacity ?? bounds.min, max: input.MaxCapacity ?? bounds.max };
      return { ScalableTargetARN: `arn:aws:application-autoscaling:${region}:000000000000:scalable-target/rehearsal` };
    });
    // Only this rehearsal's own execution is running: nothing earlier to replace.
    account.mock(SFNClient).on(ListExecutionsCommand).resolves({
      executions: [{ executionArn: `arn:aws:states:${region}:${id}:execution:${prefix}-scaling-override:${executionName}`, stateMachineArn: 'arn:x', name: executionName, status: 'RUNNING', startDate: new Date() }],
    });
    published(account);
    return {};
  },
};

/** The backend CPU alarm of an environment, as EventBridge delivers it to the remediation workflow. */
function backendHighCpu(environment: EnvironmentName) {
  const { prefix, account: id } = environmentConfig(environment);
  const alarm = `${prefix}-backend-high-cpu`;
  return {
    event: {
      ...highCpu,
      account: id,
      resources: [`arn:aws:cloudwatch:us-east-1:${id}:alarm:${alarm}`],
      detail: { ...highCpu.detail, alarmName: alarm },
    },
  };
}

const remediationSwitches = (account: SimulatedAccount, environment: EnvironmentName, killSwitch: 'on' | 'off') => {
  const { prefix } = environmentConfig(environment);
  account.mock(SSMClient).on(GetParametersCommand).resolves({
    Parameters: [
      { Name: `/${prefix}/remediation/kill-switch`, Type: 'String', Value: killSwitch },
      { Name: `/${prefix}/remediation/dry-run`, Type: 'String', Value: 'off' },
    ],
  });
};

const remediationPaused: Scenario = {
  workflow: 'alarm-remediation',
  name: 'kill-switch',
  description: 'backend CPU alarm while the kill switch is on: the runbook is only reported, nothing is changed',
  expect: 'SUCCEEDED',
  functions: ['alarm-remediation'],
  input: backendHighCpu,
  script: (account, environment) => {
    remediationSwitches(account, environment, 'on');
    published(account);
    return {};
  },
};

const remediationScaleOut: Scenario = {
  workflow: 'alarm-remediation',
  name: 'scale-out',
  description: 'backend CPU alarm with 10 tasks at max 10: takes the service lock, starts a 60-minute scaling override to max 12, releases the lock',
  expect: 'SUCCEEDED',
  functions: ['alarm-remediation'],
  input: backendHighCpu,
  script: (account, environment) => {
    const { prefix, region, account: id } = environmentConfig(environment);
    remediationSwitches(account, environment, 'off');
    const dynamodb = account.mock(DynamoDBClient);
    dynamodb.on(PutItemCommand).resolves({});
    dynamodb.on(DeleteItemCommand).resolves({});
    account.mock(ECSClient).on(DescribeServicesCommand).callsFake(async (input: { services?: string[] }) => ({
      services: [{ ...steady(input.services?.[0] ?? '', 'COMPLETED', 1), desiredCount: 10, runningCount: 10 }],
    }));
    account.mock(ApplicationAutoScalingClient).on(DescribeScalableTargetsCommand).resolves({
      ScalableTargets: [{ ServiceNamespace: 'ecs', ResourceId: `service/${prefix}/${prefix}-backend`, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 2, MaxCapacity: 10, RoleARN: 'arn:x', CreationTime: new Date() }],
    });
    account.mock(SFNClient).on(StartExecutionCommand).callsFake(async (input: StartExecutionCommandInput) => ({
      executionArn: `arn:aws:states:${region}:${id}:execution:${prefix}-scaling-override:${input.name ?? ''}`,
      startDate: new Date(),
    }));
    published(account);
    return {};
  },
};

/** The last Wednesday 14:00 UTC: drills run then, far from the Sunday 03:00 maintenance window, whenever the rehearsal runs. */
function lastWednesdayAfternoon(): number {
  const at = new Date();
  at.setUTCHours(14, 0, 0, 0);
  at.setUTCDate(at.getUTCDate() - ((at.getUTCDay() + 4) % 7));
  return at.getTime();
}

const failoverDrill: Scenario = {
  workflow: 'failover-drill',
  name: 'healthy',
  description: 'a Wednesday 14:00 UTC drill: the database moves zone in 45 s, the cache promotes its replica in 30 s, the API answers 200 three times in a row',
  expect: 'SUCCEEDED',
  functions: ['failover-drill'],
  // Production drills need a second person's approval; the rehearsal shows the approved path.
  input: (environment) => (environment === 'production' ? { environment, requestedBy: 'U04ALICE (alice) via rehearsal', approvedBy: 'U04BOB (bob)' } : { environment, requestedBy: 'rehearsal' }),
  script: (account, environment, executionName) => {
    const simulation = new SimulatedFailover(account, executionName, { environment, startAt: lastWednesdayAfternoon() });
    account.mock(S3Client).on(PutObjectCommand).resolves({});
    published(account);
    return { functionClients: { now: () => simulation.clock.now(), fetch: simulation.fetch } };
  },
};

export const SCENARIOS: readonly Scenario[] = [
  healthyBackups,
  restoreDrill('passing', 'restore to a temporary instance, verify 3 tables against the replica, delete it', 'SUCCEEDED', applicationData),
  restoreDrill('data-loss', 'the restored ledger is 23 minutes behind the source: the drill fails and still deletes its instance', 'FAILED', () => {
    const data = applicationData();
    return { schemas: { public: { ...data.schemas.public, ledger_transaction: { rows: 50_000, timestamps: { created_at: [minutesAgo(60), minutesAgo(31)] } } } } };
  }),
  postRotation,
  scalingOverride,
  remediationPaused,
  remediationScaleOut,
  failoverDrill,
];

/** The scenario a workflow is rehearsed in by default: its first. */
export function findScenario(workflow: string, name?: string): Scenario {
  const candidates = SCENARIOS.filter((s) => s.workflow === workflow);
  const found = name ? candidates.find((s) => s.name === name) : candidates[0];
  if (!found) {
    const known = candidates.map((s) => s.name).join(', ') || 'none';
    throw new Error(`No rehearsal scenario ${name ?? ''} for ${workflow} (scenarios: ${known}; workflows: ${[...new Set(SCENARIOS.map((s) => s.workflow))].join(', ')})`);
  }
  return found;
}
