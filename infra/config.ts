/**
 * Every figure of the architecture document ("Infrastructure Architecture for FinanceHub"), once, typed.
 * Staging and production differ only where this file says so.
 */

import { type EnvironmentName, SERVICES, type ServiceName } from '../contracts/environments.js';
import type { ScalingLimits } from '../contracts/scaling.js';
import type { WorkflowName } from '../contracts/workflows.js';
import type { OwnerSecretInput } from '../functions/lib/owner-secrets.js';

export interface ServiceConfig {
  /** vCPU units as ECS counts them (1024 = 1 vCPU). */
  readonly cpu: number;
  readonly memoryMiB: number;
  /** Container port behind the ALB; undefined for the worker, which takes no traffic. */
  readonly containerPort?: number;
  /** Path the ALB (or, for the worker, the container health check) probes. */
  readonly healthCheckPath?: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** Ceiling a scaling override may raise max capacity to. */
  readonly overrideMaxCeiling: number;
  readonly environment: Readonly<Record<string, string>>;
}

export interface AutoscalingConfig {
  readonly targetCpuPercent: number;
  readonly scaleOutCpuPercent: number;
  readonly scaleOutAfterMinutes: number;
  readonly scaleInCpuPercent: number;
  readonly scaleInAfterMinutes: number;
}

export interface NetworkConfig {
  readonly vpcCidr: string;
  readonly availabilityZones: readonly string[];
  readonly publicSubnetCidrs: readonly string[];
  readonly privateSubnetCidrs: readonly string[];
  readonly databaseSubnetCidrs: readonly string[];
  /** NAT gateways: one per AZ in production for AZ independence, one in staging to save cost. */
  readonly natGateways: number;
  readonly flowLogRetentionDays: number;
  /**
   * Interface endpoints for the AWS APIs the ops functions call most (rotation must reach Secrets Manager
   * privately); everything else goes through the NAT gateways over TLS.
   */
  readonly interfaceEndpoints: readonly string[];
}

export interface DatabaseConfig {
  readonly engineMajorVersion: '15';
  readonly instanceType: string;
  readonly allocatedStorageGiB: number;
  readonly storageType: 'gp3';
  readonly multiAz: boolean;
  readonly readReplicas: number;
  readonly backupRetentionDays: number;
  /** ddd:hh24:mi-ddd:hh24:mi in UTC. */
  readonly preferredMaintenanceWindow: string;
  readonly preferredBackupWindow: string;
  readonly deletionProtection: boolean;
  readonly databaseName: string;
  readonly applicationUsername: string;
  readonly masterUsername: string;
  readonly port: number;
}

export interface CacheConfig {
  readonly engineVersion: string;
  readonly nodeType: string;
  readonly replicasPerNodeGroup: number;
  readonly automaticFailover: boolean;
  readonly evictionPolicy: 'allkeys-lru';
  readonly port: number;
}

export interface StorageConfig {
  readonly staticGlacierAfterDays: number;
  readonly uploadMaxBytes: number;
  readonly backupRetentionDays: number;
  readonly efsMountPath: string;
  /** Provisioned throughput in MiB/s. */
  readonly efsThroughputMiBps: number;
  readonly efsBackupRetentionDays: number;
}

/**
 * Who owns which DNS zone. Production owns the apex zone (it exists in the production account, imported by id);
 * staging owns its own zone, created in the staging account and delegated from production's zone.
 */
export interface DnsConfig {
  /** The apex domain, owned by production. */
  readonly apexDomain: string;
  /** Production's hosted zone of `apexDomain` (context `hostedZoneId`); imported by id, never looked up. */
  readonly apexHostedZoneId: string;
  readonly productionAccount: string;
  /** The staging zone's name (`staging.<apex>`), which production delegates to the staging account. */
  readonly stagingZoneName: string;
  readonly stagingAccount: string;
  /** Role in production that the staging account assumes to write the delegation's NS record, and only that. */
  readonly delegationRoleName: string;
}

export interface EdgeConfig {
  /** The zone this environment owns and writes records and ACM validations in: apex or staging zone. */
  readonly domainName: string;
  /** Record names (relative to the zone, '' = apex) that browsers use: aliases of the CloudFront distribution. */
  readonly cdnRecordNames: readonly string[];
  /** Record names that reach the load balancer directly (the mobile apps' API). */
  readonly albRecordNames: readonly string[];
  /** The name CloudFront uses to reach the load balancer over TLS (covered by the wildcard certificate). */
  readonly originRecordName: string;
  readonly staticCacheSeconds: number;
  readonly defaultCacheSeconds: number;
  readonly wafRateLimitPer5Minutes: number;
}

export interface AlarmConfig {
  readonly cpuPercent: number;
  readonly memoryPercent: number;
  readonly errorRatePercent: number;
  readonly p95LatencySeconds: number;
}

export interface AlarmEvaluation {
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
}

export interface ObservabilityConfig {
  readonly logRetentionDays: number;
  readonly xraySamplingRate: number;
  readonly alarms: AlarmConfig;
  /** Alarms fire when `datapointsToAlarm` of the last `evaluationPeriods` periods breach (3 of 5 minutes). */
  readonly alarmEvaluation: AlarmEvaluation;
}

/** How the ops workflows decide the application is healthy: its health endpoint through the load balancer. */
export interface HealthProbeConfig {
  /** Path probed on the load balancer's origin name (the backend's health check path). */
  readonly path: string;
  /** Healthy means this many successful probes in a row. */
  readonly consecutiveSuccesses: number;
  readonly intervalSeconds: number;
  /** One probe's time limit. */
  readonly timeoutSeconds: number;
  /** Longest a workflow probes before it calls the application unhealthy. */
  readonly waitCapMinutes: number;
}

/** The quarterly failover drill: its schedule, polling and stop conditions. */
export interface FailoverDrillConfig {
  /** EventBridge Scheduler cron (UTC); undefined = started by hand only (production, with an approver). */
  readonly schedule?: string;
  readonly pollIntervalSeconds: number;
  /** The drill stops when the database is not available in the other zone within this. */
  readonly databaseWaitCapMinutes: number;
  /** The drill stops when the cache has no new primary within this. */
  readonly cacheWaitCapMinutes: number;
  /** The drill stops when an error-rate alarm stays in ALARM longer than this. */
  readonly errorRateAlarmMaxMinutes: number;
}

export interface RecoveryConfig {
  readonly rpoMinutes: number;
  readonly rtoMinutes: number;
  readonly snapshotMaxAgeHours: number;
  readonly efsRecoveryPointMaxAgeHours: number;
  readonly replicaLagMaxSeconds: number;
  readonly drillCriticalTables: readonly string[];
  readonly drillRowCountTolerancePercent: number;
  readonly drillInstanceMaxAgeHours: number;
  /** EventBridge Scheduler cron expressions, UTC: after the nightly backup window and the 05:00 EFS backup. */
  readonly schedules: {
    readonly backupVerification: string;
    /** Staging drills a week before production, so a broken drill shows there first. */
    readonly restoreDrill: string;
    readonly drillSweeper: string;
  };
  readonly failoverTargets: {
    readonly databaseFailoverSeconds: number;
    readonly cacheFailoverSeconds: number;
    readonly applicationHealthySeconds: number;
  };
  readonly failoverDrill: FailoverDrillConfig;
}

export interface SecretsConfig {
  readonly rotationDays: number;
  readonly passwordLength: number;
  readonly passwordExcludeCharacters: string;
  /** Schema the rotation's test step reads with the new credentials. */
  readonly applicationSchema: string;
  /** How often the post-rotation workflow checks the restarted services, and how many times at most. */
  readonly restartCheckSeconds: number;
  readonly restartMaxChecks: number;
  /** EventBridge Scheduler expression of the daily secret-age audit. */
  readonly ageAuditSchedule: string;
  readonly cacheAuth: {
    /** ElastiCache accepts 16-128 characters; letters and digits only. */
    readonly tokenLength: number;
    /** How long a rotation step waits for the replication group to apply a token change, and how often it looks. */
    readonly maxWaitSeconds: number;
    readonly pollSeconds: number;
    /** After the restart: how often the workflow looks whether the revocation (SET) applied, and how many times at most. */
    readonly revocationCheckSeconds: number;
    readonly revocationMaxChecks: number;
  };
  readonly djangoKey: {
    readonly keyLength: number;
    /** Django's SESSION_COOKIE_AGE: a previous key stays in SECRET_KEY_FALLBACKS this long after it was replaced. */
    readonly sessionMaxAgeDays: number;
  };
  /**
   * Third-party credentials rotated with a person in the loop (functions/rotate-owner-secret): each one's owner, kind,
   * issuer and the check its new value must pass. Each is a secret `<prefix>/<name>` of the data stack (the application's)
   * or of the ops stack (the Slack app's).
   */
  readonly ownerRotated: readonly OwnerSecretInput[];
  /** A rotation request still unanswered this many days after it was opened is overdue: reminders go to the incidents channel. */
  readonly ownerEscalateAfterDays: number;
}

export interface RemediationConfig {
  readonly cooldownMinutes: number;
  readonly scaleOutStep: number;
  readonly scaleOutDurationMinutes: number;
  readonly maxOverrideMinutes: number;
  readonly allowAutomaticRollback: boolean;
  readonly deploymentRecentMinutes: number;
  /** A remediation holding its service's lock longer than this is presumed dead; its execution times out then too. */
  readonly lockMinutes: number;
  /**
   * Alarms that only inform and never start a remediation (EventBridge wildcards on the alarm name). The autoscaling
   * step alarms are among them: they drive normal scaling, and scale-in's is in ALARM most quiet nights.
   */
  readonly informationalAlarms: readonly string[];
}

/** The environment's container image repositories (a stack of their own, deployed before the services). */
export interface RegistryConfig {
  /** Repository names are `<prefix>/<service>`: CI pushes to them and the DR region receives them by these names. */
  readonly repositoryPrefix: string;
  readonly maxImageCount: number;
}

export interface SlackConfig {
  /** The slash command of this environment's Slack app; two apps share a workspace, so each has its own. */
  readonly command: string;
  /** Secrets Manager secret holding the webhooks `{ opsWebhookUrl, incidentsWebhookUrl }` (the notifier and the CLI read it). */
  readonly secretName: string;
  /** Secrets Manager secret holding `{ signingSecret }`: only the internet-facing /ops ingress reads it. */
  readonly signingSecretName: string;
  /** SSM parameter with who may run and approve what (`fhops authorize` writes it). */
  readonly authorizationParameterName: string;
  readonly flapWindowMinutes: number;
  /** How long a production action waits for a second person's approval in Slack. */
  readonly approvalMinutes: number;
  /** Slack workspace (team) id AWS Chatbot posts in: the escalation path that bypasses our own notifier. */
  readonly workspaceId: string;
  /** The critical channel failed workflow executions are posted to. */
  readonly criticalChannelId: string;
  /** Where on-call opens the runbooks from a Slack message: this repository's docs/runbooks (https). */
  readonly runbooksUrl: string;
}

/** The post-deploy smoke test (docs/runbooks/smoke-test.md): how long it watches a release, and what it may do. */
export interface SmokeTestConfig {
  /** Probe rounds after a completed deployment; the release passes when the last round is clean. */
  readonly rounds: number;
  readonly pollSeconds: number;
  /** Rounds in a row with a failed probe or unhealthy targets that fail the release at once. */
  readonly maxConsecutiveFailures: number;
  /**
   * `automatic`: a failed release is rolled back to the previous task definition. `approval`: nothing changes; the
   * result says how to ask for the rollback workflow, which runs on a second person's verified approval.
   */
  readonly rollback: 'automatic' | 'approval';
}

/**
 * GitHub Actions' access to this environment: OIDC federation into deploy roles that trust only these repositories
 * and GitHub environments (infra/constructs/github-deploy-roles.ts, .github/workflows/).
 */
export interface GitHubConfig {
  /** Organization (or user) owning the repositories. */
  readonly owner: string;
  /** This repository: its CI deploys the infrastructure and diffs pull requests. */
  readonly opsRepository: string;
  /** The repository that builds each service's image and deploys it with `.github/workflows/deploy-service.yml`. */
  readonly applicationRepositories: Readonly<Record<ServiceName, string>>;
  /** The GitHub environment whose jobs deploy here; its required reviewers gate production. */
  readonly deployEnvironment: string;
  /** The GitHub environment that may pull this environment's images to promote them; undefined = none may. */
  readonly promotionEnvironment?: string;
  /** Qualifier of the CDK bootstrap roles the infrastructure deploy assumes. */
  readonly cdkBootstrapQualifier: string;
  /** Longest a deploy job holds its credentials; the jobs' timeouts fit inside. */
  readonly sessionHours: number;
}

/** Four eyes: which workflows verify a recorded approval in their first state before they change anything. */
export interface FourEyesConfig {
  /** Workflows whose every execution needs an approval record (requester and a second person, bound to its input). */
  readonly workflows: readonly WorkflowName[];
  /** How long an approval, once given, stays usable by its execution (it is used once, seconds after). */
  readonly approvalUseMinutes: number;
  /**
   * Workflows allowed to start a four-eyes workflow without a person's approval, proven by their own execution
   * history (the alarm remediation's bounded scale-out, under its cooldown and kill switch).
   */
  readonly automatedStarters: readonly WorkflowName[];
}

/** The audit trail: an Object Lock bucket that no ops role can change or delete. */
export interface AuditConfig {
  /** Object Lock retention (compliance mode) of every entry; PCI DSS 10.5.1 asks for a year of audit history. */
  readonly retentionDays: number;
  /** Retention of the ops functions' and state machines' own log groups. */
  readonly opsLogRetentionDays: number;
}

/** The pilot-light network in the DR region: the document's layout on its own address range, no NAT, no compute. */
export interface DrNetworkConfig {
  /** Does not overlap the primary VPC, so the two can ever be peered (or joined by a transit gateway) in a failover. */
  readonly vpcCidr: string;
  readonly availabilityZones: readonly string[];
  readonly publicSubnetCidrs: readonly string[];
  readonly privateSubnetCidrs: readonly string[];
  readonly databaseSubnetCidrs: readonly string[];
  /**
   * Interface endpoints a DR task or function needs with no NAT gateway: image pulls (ECR API and registry; layers
   * come through the S3 gateway endpoint), container logs, and the replicated secrets.
   */
  readonly interfaceEndpoints: readonly string[];
}

/** What the DR region keeps and how the annual simulation is bounded. */
export interface DrConfig {
  readonly network: DrNetworkConfig;
  /** Days the replicated RDS automated backups are kept in the DR region (point-in-time restore window there). */
  readonly databaseBackupRetentionDays: number;
  /** Days the EFS recovery-point copies are kept in the DR vault: as long as in the primary region. */
  readonly efsCopyRetentionDays: number;
  /** SSM parameter (in the DR region) holding the DR key's ARN, read by the primary region's data stack. */
  readonly keyArnParameter: string;
  readonly simulation: DrSimulationConfig;
}

/**
 * The annual DR simulation (workflow dr-simulation): its schedule and its bounds. Prices are us-west-2 on-demand list
 * prices, for the estimate the cost bound is checked against (the bill is what AWS charges).
 */
export interface DrSimulationConfig {
  /** EventBridge Scheduler expression, UTC; undefined: started by hand only (production, with a second person). */
  readonly schedule?: string;
  /** The time bound: past it the simulation stops waiting and tears down (above the RTO, so a slow restore is measured). */
  readonly maxMinutes: number;
  /** The cost bound, against the running estimate. */
  readonly maxCostUsd: number;
  readonly prices: {
    /** PostgreSQL single-AZ, the production instance class. */
    readonly databaseInstanceHourUsd: number;
    readonly databaseStorageGbMonthUsd: number;
    readonly fargateVcpuHourUsd: number;
    readonly fargateGbHourUsd: number;
    readonly efsGbMonthUsd: number;
  };
  /** Polling of the restores: first wait, longest wait (each grows by half). */
  readonly pollInitialSeconds: number;
  readonly pollMaxSeconds: number;
  /** How long the teardown may take before the simulation reports what is left. */
  readonly teardownWaitCapMinutes: number;
}

export interface EnvironmentConfig {
  readonly name: EnvironmentName;
  readonly account: string;
  readonly region: string;
  readonly drRegion: string;
  /** The zones CDK may use in each region, given so that a synth never looks them up. */
  readonly availabilityZones: Readonly<Record<string, readonly string[]>>;
  /** Prefix of every physical name, so staging and production never collide. */
  readonly prefix: string;
  readonly network: NetworkConfig;
  readonly database: DatabaseConfig;
  readonly cache: CacheConfig;
  readonly storage: StorageConfig;
  readonly services: Readonly<Record<ServiceName, ServiceConfig>>;
  readonly autoscaling: AutoscalingConfig;
  readonly dns: DnsConfig;
  readonly edge: EdgeConfig;
  readonly registry: RegistryConfig;
  readonly observability: ObservabilityConfig;
  readonly recovery: RecoveryConfig;
  readonly secrets: SecretsConfig;
  readonly remediation: RemediationConfig;
  readonly slack: SlackConfig;
  readonly fourEyes: FourEyesConfig;
  readonly audit: AuditConfig;
  readonly healthProbe: HealthProbeConfig;
  readonly github: GitHubConfig;
  readonly dr: DrConfig;
  readonly smokeTest: SmokeTestConfig;
}

/** Values a user sets per deployment, through CDK context (`-c key=value`) or cdk.json. */
export interface DeploymentContext {
  readonly stagingAccount: string;
  readonly productionAccount: string;
  readonly hostedZoneId: string;
  readonly domainName: string;
  /** Undefined only in the registry phase (`phase=registry`): no service is synthesized then. */
  readonly imageTag?: string;
  /** `registry`: only the image repositories (the first deploy, before any image exists); `all` otherwise. */
  readonly phase: DeployPhase;
  /** False for the offline defaults (tests, rehearsals), true when any account setting is given. */
  readonly real: boolean;
  /** GitHub organization owning this repository and the application repositories. */
  readonly githubOwner: string;
  /** Slack workspace (team) id for AWS Chatbot, and the critical channel of each environment. */
  readonly slackWorkspaceId: string;
  readonly slackStagingCriticalChannel: string;
  readonly slackProductionCriticalChannel: string;
}

export type DeployPhase = 'registry' | 'all';

/** The offline world's accounts and zone: synth, tests and rehearsals run with these, never a real deploy. */
export const DEFAULT_CONTEXT: DeploymentContext = {
  stagingAccount: '111111111111',
  productionAccount: '222222222222',
  hostedZoneId: 'Z0000000000000FINHUB',
  domainName: 'financehub.com',
  imageTag: 'offline',
  phase: 'all',
  real: false,
  githubOwner: 'financehub',
  slackWorkspaceId: 'T00000FINHUB',
  slackStagingCriticalChannel: 'C0000STAGECRIT',
  slackProductionCriticalChannel: 'C000PRODCRIT',
};

/** A setting that makes a deploy unsafe or impossible; the message names the setting and what to pass. */
export class DeploymentSettingError extends Error {
  constructor(
    public readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = 'DeploymentSettingError';
  }
}

const REAL_DEPLOY_SETTINGS = ['stagingAccount', 'productionAccount', 'hostedZoneId'] as const;
/** AWS Chatbot's Slack ids: the workspace must be authorized in the Chatbot console once before the first deploy. */
const SLACK_SETTINGS = [
  ['slackWorkspaceId', /^T[A-Z0-9]{2,20}$/, 'a Slack workspace (team) id such as T01ABCDEF'],
  ['slackStagingCriticalChannel', /^[CG][A-Z0-9]{2,20}$/, 'a Slack channel id such as C01ABCDEF'],
  ['slackProductionCriticalChannel', /^[CG][A-Z0-9]{2,20}$/, 'a Slack channel id such as C01ABCDEF'],
] as const;
const ACCOUNT_ID = /^\d{12}$/;
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;
const DOMAIN_NAME = /^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
/** ECR's tag grammar; `latest` is refused separately, being the tag every push moves. */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Reads the deployment settings from CDK context values (`-c key=value`). Without any account setting the app is
 * the offline world (DEFAULT_CONTEXT). With one, it is a real deploy: every setting must be given and safe, or
 * this throws a DeploymentSettingError naming the setting.
 */
export function deploymentContextFrom(values: Readonly<Record<string, unknown>>): DeploymentContext {
  const read = (key: string): string | undefined => {
    const value = values[key];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new DeploymentSettingError(key, `must be a string, got ${JSON.stringify(value)}`);
    return value.trim();
  };
  const phase = read('phase') ?? 'all';
  if (phase !== 'registry' && phase !== 'all') throw new DeploymentSettingError('phase', `must be registry or all, got "${phase}"`);
  const domainName = read('domainName') ?? DEFAULT_CONTEXT.domainName;
  if (!DOMAIN_NAME.test(domainName)) throw new DeploymentSettingError('domainName', `"${domainName}" is not a lower-case DNS name such as financehub.com`);
  const githubOwner = read('githubOwner') ?? DEFAULT_CONTEXT.githubOwner;
  if (!GITHUB_OWNER.test(githubOwner)) throw new DeploymentSettingError('githubOwner', `"${githubOwner}" is not a GitHub organization or user name`);
  const real = REAL_DEPLOY_SETTINGS.some((key) => read(key) !== undefined);
  const imageTag = read('imageTag');
  if (imageTag !== undefined) checkImageTag(imageTag);
  if (!real) return { ...DEFAULT_CONTEXT, domainName, githubOwner, phase, imageTag: imageTag ?? DEFAULT_CONTEXT.imageTag };

  const missing = REAL_DEPLOY_SETTINGS.filter((key) => read(key) === undefined);
  if (missing.length > 0) {
    throw new DeploymentSettingError(
      missing.join(', '),
      `missing for a real deploy (${REAL_DEPLOY_SETTINGS.filter((key) => !missing.includes(key)).join(', ')} given). ` +
        `Pass ${missing.map((key) => `-c ${key}=...`).join(' ')}: the two 12-digit account ids and the id of production's hosted zone of ${domainName}.`,
    );
  }
  const [stagingAccount, productionAccount, hostedZoneId] = REAL_DEPLOY_SETTINGS.map((key) => read(key) ?? '') as [string, string, string];
  for (const [key, account] of [['stagingAccount', stagingAccount], ['productionAccount', productionAccount]] as const) {
    if (!ACCOUNT_ID.test(account)) throw new DeploymentSettingError(key, `"${account}" is not a 12-digit AWS account id`);
    if (account === DEFAULT_CONTEXT.stagingAccount || account === DEFAULT_CONTEXT.productionAccount) {
      throw new DeploymentSettingError(key, `${account} is an offline placeholder account, not a real one`);
    }
  }
  if (stagingAccount === productionAccount) {
    throw new DeploymentSettingError(
      'stagingAccount, productionAccount',
      `both are ${stagingAccount}. Staging and production must be separate accounts: in one account their fixed names ` +
        '(/ecs/frontend, the ECR replication configuration, the DNS delegation) collide and staging roles reach production resources.',
    );
  }
  if (!HOSTED_ZONE_ID.test(hostedZoneId)) throw new DeploymentSettingError('hostedZoneId', `"${hostedZoneId}" is not a Route53 hosted zone id (Z...)`);
  if (phase === 'all' && imageTag === undefined) {
    throw new DeploymentSettingError(
      'imageTag',
      'missing: services run only an image you pushed. Pass -c imageTag=<tag>, an immutable tag present in every ' +
        'financehub-<env>/<service> repository of the environments you deploy (for example the git commit SHA; ' +
        '`fhops preflight` checks it). Before any image exists, deploy the repositories alone with -c phase=registry.',
    );
  }
  const [slackWorkspaceId, slackStagingCriticalChannel, slackProductionCriticalChannel] = SLACK_SETTINGS.map(([key, pattern, what]) => {
    const value = read(key);
    if (value === undefined) throw new DeploymentSettingError(key, `missing for a real deploy: pass -c ${key}=..., ${what} (the critical channel of the failed-execution alarms).`);
    if (!pattern.test(value)) throw new DeploymentSettingError(key, `"${value}" is not ${what}`);
    return value;
  }) as [string, string, string];
  return {
    stagingAccount,
    productionAccount,
    hostedZoneId,
    domainName,
    githubOwner,
    imageTag,
    phase,
    real,
    slackWorkspaceId,
    slackStagingCriticalChannel,
    slackProductionCriticalChannel,
  };
}

function checkImageTag(tag: string): void {
  if (tag.toLowerCase() === 'latest') {
    throw new DeploymentSettingError(
      'imageTag',
      '"latest" is refused: the repositories are IMMUTABLE and a service must name one exact image. Pass -c imageTag=<the tag you pushed>, for example the git commit SHA.',
    );
  }
  if (!IMAGE_TAG.test(tag)) throw new DeploymentSettingError('imageTag', `"${tag}" is not an ECR image tag (letters, digits, _ . -, at most 128)`);
}

const WORKER_QUEUES = 'default,high-priority,low-priority';

function services(): Record<ServiceName, ServiceConfig> {
  return {
    frontend: {
      cpu: 1024,
      memoryMiB: 2048,
      containerPort: 3000,
      healthCheckPath: '/health',
      minCapacity: 2,
      maxCapacity: 10,
      overrideMaxCeiling: 20,
      environment: {},
    },
    backend: {
      cpu: 2048,
      memoryMiB: 4096,
      containerPort: 8000,
      healthCheckPath: '/api/health',
      minCapacity: 2,
      maxCapacity: 10,
      overrideMaxCeiling: 20,
      environment: {},
    },
    worker: {
      cpu: 1024,
      memoryMiB: 2048,
      minCapacity: 2,
      maxCapacity: 5,
      overrideMaxCeiling: 10,
      environment: { DRAMATIQ_QUEUES: WORKER_QUEUES },
    },
  };
}

/** Stack id prefix, e.g. `FinanceHub-production`. */
export function stackPrefix(config: EnvironmentConfig): string {
  return `FinanceHub-${config.name}`;
}

export function environmentConfig(name: EnvironmentName, context: DeploymentContext = DEFAULT_CONTEXT): EnvironmentConfig {
  const production = name === 'production';
  const stagingZoneName = `staging.${context.domainName}`;
  const availabilityZones = { 'us-east-1': ['us-east-1a', 'us-east-1b'], 'us-west-2': ['us-west-2a', 'us-west-2b'] };
  return {
    name,
    account: production ? context.productionAccount : context.stagingAccount,
    region: 'us-east-1',
    drRegion: 'us-west-2',
    availabilityZones,
    prefix: `financehub-${name}`,
    network: {
      vpcCidr: '10.0.0.0/16',
      availabilityZones: availabilityZones['us-east-1'],
      publicSubnetCidrs: ['10.0.1.0/24', '10.0.2.0/24'],
      privateSubnetCidrs: ['10.0.10.0/24', '10.0.11.0/24'],
      databaseSubnetCidrs: ['10.0.20.0/24', '10.0.21.0/24'],
      natGateways: production ? 2 : 1,
      flowLogRetentionDays: production ? 365 : 30,
      interfaceEndpoints: ['secretsmanager', 'ssm', 'sns', 'states', 'monitoring', 'logs', 'kms', 'sts'],
    },
    database: {
      engineMajorVersion: '15',
      instanceType: 'db.t3.large',
      allocatedStorageGiB: 500,
      storageType: 'gp3',
      multiAz: true,
      readReplicas: 1,
      backupRetentionDays: 30,
      preferredMaintenanceWindow: 'sun:03:00-sun:04:00',
      preferredBackupWindow: '01:00-02:00',
      deletionProtection: production,
      databaseName: 'financehub',
      applicationUsername: 'financehub_app',
      masterUsername: 'financehub_admin',
      port: 5432,
    },
    cache: {
      engineVersion: '7.1',
      nodeType: 'cache.t3.medium',
      replicasPerNodeGroup: 1,
      automaticFailover: true,
      evictionPolicy: 'allkeys-lru',
      port: 6379,
    },
    storage: {
      staticGlacierAfterDays: 90,
      uploadMaxBytes: 10 * 1024 * 1024,
      backupRetentionDays: 365,
      efsMountPath: '/mnt/efs',
      efsThroughputMiBps: 1,
      efsBackupRetentionDays: 7,
    },
    services: services(),
    autoscaling: {
      targetCpuPercent: 50,
      scaleOutCpuPercent: 70,
      scaleOutAfterMinutes: 2,
      scaleInCpuPercent: 30,
      scaleInAfterMinutes: 5,
    },
    dns: {
      apexDomain: context.domainName,
      apexHostedZoneId: context.hostedZoneId,
      productionAccount: context.productionAccount,
      stagingZoneName,
      stagingAccount: context.stagingAccount,
      delegationRoleName: 'financehub-production-dns-delegation',
    },
    edge: {
      domainName: production ? context.domainName : stagingZoneName,
      cdnRecordNames: production ? ['', 'www'] : [''],
      albRecordNames: production ? ['api'] : [],
      originRecordName: 'origin',
      staticCacheSeconds: 365 * 24 * 3600,
      defaultCacheSeconds: 3600,
      wafRateLimitPer5Minutes: 2000,
    },
    registry: { repositoryPrefix: `financehub-${name}`, maxImageCount: 50 },
    observability: {
      logRetentionDays: production ? 7 : 1,
      xraySamplingRate: 0.1,
      alarms: { cpuPercent: 80, memoryPercent: 85, errorRatePercent: 5, p95LatencySeconds: 2 },
      alarmEvaluation: { periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 3 },
    },
    recovery: {
      rpoMinutes: 15,
      rtoMinutes: 4 * 60,
      snapshotMaxAgeHours: 26,
      efsRecoveryPointMaxAgeHours: 26,
      replicaLagMaxSeconds: 300,
      drillCriticalTables: ['accounts_user', 'ledger_transaction', 'ledger_account'],
      drillRowCountTolerancePercent: 1,
      drillInstanceMaxAgeHours: 24,
      schedules: {
        backupVerification: 'cron(0 7 * * ? *)',
        restoreDrill: production ? 'cron(0 6 ? * TUE#2 *)' : 'cron(0 6 ? * TUE#1 *)',
        drillSweeper: 'cron(30 7 * * ? *)',
      },
      failoverTargets: { databaseFailoverSeconds: 120, cacheFailoverSeconds: 60, applicationHealthySeconds: 300 },
      failoverDrill: {
        // Quarterly, in working hours so people are around, on a Wednesday away from the restore drills.
        schedule: production ? undefined : 'cron(0 14 ? JAN,APR,JUL,OCT WED#2 *)',
        pollIntervalSeconds: 15,
        databaseWaitCapMinutes: 15,
        cacheWaitCapMinutes: 15,
        errorRateAlarmMaxMinutes: 5,
      },
    },
    secrets: {
      rotationDays: 30,
      passwordLength: 32,
      passwordExcludeCharacters: '"@/\\\'`',
      applicationSchema: 'public',
      restartCheckSeconds: 30,
      restartMaxChecks: 40,
      ageAuditSchedule: 'cron(0 8 * * ? *)',
      // The rotation function's timeout is 15 minutes (Lambda's maximum); a step gives up waiting before it.
      cacheAuth: { tokenLength: 64, maxWaitSeconds: 780, pollSeconds: 15, revocationCheckSeconds: 30, revocationMaxChecks: 40 },
      // Django's default session age (two weeks).
      djangoKey: { keyLength: 64, sessionMaxAgeDays: 14 },
      // The architecture document names no provider and no owner: these are guesses (docs/deviations.md #19). The payment
      // provider's key is probed where it answers 200 only to a valid secret key; OAuth client secrets need a
      // provider-specific token exchange, so their owner tests them. The owners are handles, which Slack shows but does
      // not notify: put the owners' member ids (U...) here.
      ownerRotated: [
        {
          name: 'api-keys',
          kind: 'api-key',
          owner: '@financehub-payments',
          issuer: 'the payment provider dashboard (Developers > API keys)',
          check: { type: 'https', url: 'https://api.stripe.com/v1/balance', expectedStatus: 200, header: 'Authorization', scheme: 'Bearer', field: 'paymentsApiKey' },
        },
        {
          name: 'oauth-tokens',
          kind: 'oauth-token',
          owner: '@financehub-platform',
          issuer: "each OAuth provider's app settings (client secret)",
          check: { type: 'none', reason: 'an OAuth client secret is only exercised by a token exchange with the provider, which needs its consent flow' },
        },
        // The Slack app's: the bot token (a field of the webhooks document, slack.secretName) is proven by auth.test for
        // this workspace; the signing secret cannot be probed (docs/runbooks/rotate-owner-secret.md).
        {
          name: 'slack',
          kind: 'slack-bot-token',
          owner: '@financehub-platform',
          issuer: `the Slack app of ${production ? '/ops' : '/ops-staging'} (api.slack.com/apps)`,
          check: { type: 'slack-auth-test', teamId: context.slackWorkspaceId, field: 'botToken' },
        },
        {
          name: 'slack-signing',
          kind: 'slack-signing-secret',
          owner: '@financehub-platform',
          issuer: `the Slack app of ${production ? '/ops' : '/ops-staging'} (api.slack.com/apps)`,
          check: {
            type: 'none',
            reason: 'Slack answers no call made with a signing secret, it only signs requests with it; /ops accepts AWSCURRENT or AWSPENDING while the rotation is open',
          },
        },
      ],
      ownerEscalateAfterDays: 7,
    },
    remediation: {
      cooldownMinutes: 30,
      scaleOutStep: 2,
      scaleOutDurationMinutes: 60,
      maxOverrideMinutes: 24 * 60,
      allowAutomaticRollback: !production,
      deploymentRecentMinutes: 30,
      lockMinutes: 30,
      informationalAlarms: [`financehub-${name}-*-scale-out`, `financehub-${name}-*-scale-in`],
    },
    slack: {
      command: production ? '/ops' : '/ops-staging',
      secretName: `financehub-${name}/slack`,
      signingSecretName: `financehub-${name}/slack-signing`,
      authorizationParameterName: `/financehub-${name}/slack/authorization`,
      workspaceId: context.slackWorkspaceId,
      criticalChannelId: production ? context.slackProductionCriticalChannel : context.slackStagingCriticalChannel,
      flapWindowMinutes: 15,
      approvalMinutes: 15,
      runbooksUrl: `https://github.com/${context.githubOwner}/financehub-ops/blob/main/docs/runbooks`,
    },
    fourEyes: {
      workflows: production ? ['scaling-override', 'failover-drill', 'rollback', 'dr-simulation'] : [],
      approvalUseMinutes: 10,
      automatedStarters: ['alarm-remediation'],
    },
    audit: {
      retentionDays: production ? 365 : 30,
      // Production keeps its ops logs as long as its audit trail; staging's are for debugging a drill.
      opsLogRetentionDays: production ? 365 : 30,
    },
    healthProbe: { path: '/api/health', consecutiveSuccesses: 3, intervalSeconds: 10, timeoutSeconds: 5, waitCapMinutes: 10 },
    github: {
      owner: context.githubOwner,
      opsRepository: 'financehub-ops',
      applicationRepositories: { frontend: 'financehub-frontend', backend: 'financehub-backend', worker: 'financehub-worker' },
      deployEnvironment: name,
      // Production promotes the image staging tested: its jobs pull it from staging's repositories.
      promotionEnvironment: production ? undefined : 'production',
      cdkBootstrapQualifier: 'hnb659fds',
      sessionHours: 2,
    },
    dr: {
      network: {
        vpcCidr: '10.1.0.0/16',
        availabilityZones: ['us-west-2a', 'us-west-2b'],
        publicSubnetCidrs: ['10.1.1.0/24', '10.1.2.0/24'],
        privateSubnetCidrs: ['10.1.10.0/24', '10.1.11.0/24'],
        databaseSubnetCidrs: ['10.1.20.0/24', '10.1.21.0/24'],
        interfaceEndpoints: ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager'],
      },
      databaseBackupRetentionDays: 7,
      efsCopyRetentionDays: 7,
      keyArnParameter: `/financehub-${name}/dr/key-arn`,
      simulation: {
        // Staging once a year (second Wednesday of March, 14:00 UTC); production by hand with a second person.
        schedule: production ? undefined : 'cron(0 14 ? 3 WED#2 *)',
        maxMinutes: 300,
        maxCostUsd: 25,
        prices: { databaseInstanceHourUsd: 0.145, databaseStorageGbMonthUsd: 0.115, fargateVcpuHourUsd: 0.04048, fargateGbHourUsd: 0.004445, efsGbMonthUsd: 0.3 },
        pollInitialSeconds: 60,
        pollMaxSeconds: 300,
        teardownWaitCapMinutes: 60,
      },
    },
    // Ten rounds 30 s apart: five minutes, long enough for the alarms' 3-of-5-minute evaluation to see a regression.
    smokeTest: { rounds: 10, pollSeconds: 30, maxConsecutiveFailures: 3, rollback: production ? 'approval' : 'automatic' },
  };
}

/** The scaling figures every scaling path checks (contracts/scaling.ts), as the functions receive them in `SCALING_LIMITS`. */
export function scalingLimits(config: EnvironmentConfig): ScalingLimits {
  const services = Object.fromEntries(
    SERVICES.map((service) => {
      const { minCapacity, maxCapacity, overrideMaxCeiling } = config.services[service];
      return [service, { minCapacity, maxCapacity, overrideMaxCeiling }];
    }),
  ) as ScalingLimits['services'];
  return { services, maxDurationMinutes: config.remediation.maxOverrideMinutes };
}
