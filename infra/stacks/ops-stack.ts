import { RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { SERVICES, type ServiceName } from '../../contracts/environments.js';
import { ApprovalGate } from '../constructs/approval-gate.js';
import { AuditTrail } from '../constructs/audit-trail.js';
import { OpsCliAccess } from '../constructs/ops-cli-access.js';
import { EnvironmentKey } from '../constructs/environment-key.js';
import { type DeployableService, GitHubDeployRoles } from '../constructs/github-deploy-roles.js';
import { ExecutionFailureAlarms } from '../constructs/execution-failure-alarms.js';
import { OpsStateMachine } from '../constructs/ops-state-machine.js';
import { SlackNotifications } from '../constructs/slack-notifications.js';
import { SlackOpsCommand } from '../constructs/slack-ops-command.js';
import { acknowledge } from '../nag/acknowledge.js';
import { BackupVerification } from '../workflows/backup-verification.js';
import { DrillSweeper } from '../workflows/drill-sweeper.js';
import { PostRotation } from '../workflows/post-rotation.js';
import { RestoreDrill } from '../workflows/restore-drill.js';
import { AlarmRemediation } from '../workflows/alarm-remediation.js';
import { DrSimulation } from '../workflows/dr-simulation.js';
import { FailoverDrill } from '../workflows/failover-drill.js';
import { Rollback } from '../workflows/rollback.js';
import { ScalingOverride } from '../workflows/scaling-override.js';
import { SmokeTest } from '../workflows/smoke-test.js';
import type { ComputeStack } from './compute-stack.js';
import type { DataStack } from './data-stack.js';
import type { EdgeStack } from './edge-stack.js';
import type { NetworkStack } from './network-stack.js';
import type { ObservabilityStack } from './observability-stack.js';

/** A secret's name under the environment's prefix (`financehub-staging/slack` is `slack`), as config.secrets.ownerRotated names it. */
function secretName(config: EnvironmentConfig, fullName: string): string {
  if (!fullName.startsWith(`${config.prefix}/`)) throw new Error(`${fullName} is not under the environment's prefix ${config.prefix}/`);
  return fullName.slice(config.prefix.length + 1);
}

export interface OpsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly edge: EdgeStack;
  readonly compute: ComputeStack;
  readonly observability: ObservabilityStack;
}

/**
 * The operations automation of one environment: each workflow (infra/workflows/<name>.ts) is a construct
 * holding its functions, state machine and trigger; this stack composes them.
 */
export class OpsStack extends Stack {
  /** Encrypts what the ops automation keeps itself: the Slack secret and its tables. */
  public readonly opsKey: kms.IKey;
  public readonly slackSecret: secretsmanager.ISecret;
  public readonly auditTrail: AuditTrail;

  constructor(scope: Construct, id: string, props: OpsStackProps) {
    super(scope, id, props);
    const { config, network } = props;

    this.opsKey = new EnvironmentKey(this, 'OpsKey', {
      alias: `${config.prefix}-ops`,
      description: `${config.prefix}: ops automation secrets and state`,
      removalPolicy: RemovalPolicy.DESTROY,
    }).key;
    this.slackSecret = new secretsmanager.Secret(this, 'SlackSecret', {
      secretName: config.slack.secretName,
      description: 'Slack webhooks: { opsWebhookUrl, incidentsWebhookUrl } (set by the platform team after deploy)',
      encryptionKey: this.opsKey,
    });
    // Apart from the webhooks: the internet-facing ingress reads this one and nothing else.
    const signingSecret = new secretsmanager.Secret(this, 'SlackSigningSecret', {
      secretName: config.slack.signingSecretName,
      description: 'Slack app signing secret: { signingSecret } (set by the platform team after deploy)',
      encryptionKey: this.opsKey,
    });
    // The Slack app's secrets its owner rotates (config.secrets.ownerRotated), by name, with who reads them: only ops
    // functions, each with a 5-minute cache, so nothing restarts after their rotation.
    const slackSecrets = {
      [secretName(config, config.slack.secretName)]: {
        secret: this.slackSecret,
        readers: 'only the ops functions notify-slack, announce-request and slack-followup read it, each per message with a 5-minute cache, so they use the new value within 5 minutes',
      },
      [secretName(config, config.slack.signingSecretName)]: {
        secret: signingSecret,
        readers: 'only slack-ops reads it: it accepted AWSCURRENT or AWSPENDING while the rotation was open and reads both again within 5 minutes (at once when a request matches neither)',
      },
    };
    const slackOwned = config.secrets.ownerRotated.filter((owned) => owned.name in slackSecrets);
    for (const owned of slackOwned) Tags.of(slackSecrets[owned.name]!.secret).add('owner', owned.owner);
    // cdk-nag sees their RotationSchedules in this stack (the data stack's owner-rotated secrets it cannot); a Slack
    // secret left out of config.secrets.ownerRotated is rotated at Slack by hand and only age-audited.
    for (const [name, { secret }] of Object.entries(slackSecrets)) {
      if (slackOwned.some((owned) => owned.name === name)) continue;
      acknowledge(secret, 'Issued by Slack and rotated there by hand; the daily secret-age audit reports it after 30 days.', ['AwsSolutions-SMG4', 'NIST.800.53.R5-SecretsManagerRotationEnabled']);
    }
    this.auditTrail = new AuditTrail(this, 'AuditTrail', {
      config,
      encryptionKey: this.opsKey,
      accessLogsBucketName: props.data.accessLogsBucket.bucketName,
      vpc: network.vpc,
      securityGroup: network.securityGroups.opsFunctions,
      logsKey: network.logsKey,
    });

    const common = {
      config,
      vpc: network.vpc,
      securityGroup: network.securityGroups.opsFunctions,
      encryptionKey: this.opsKey,
      logsKey: network.logsKey,
    };
    new SlackNotifications(this, 'SlackNotifications', { ...common, topic: props.observability.notificationTopic, slackSecret: this.slackSecret });
    const slackOps = new SlackOpsCommand(this, 'SlackOps', {
      config,
      signingSecret,
      slackSecret: this.slackSecret,
      auditTrail: this.auditTrail,
      vpc: network.vpc,
      securityGroup: network.securityGroups.opsFunctions,
      encryptionKey: this.opsKey,
      logsKey: network.logsKey,
    });

    const { data } = props;
    const topic = props.observability.notificationTopic;
    const opsNetwork = { vpc: network.vpc, securityGroup: network.securityGroups.opsFunctions };
    // One verifier per environment; each workflow the config marks puts its check first.
    new OpsCliAccess(this, 'OpsCli', {
      config,
      approvalsTable: slackOps.table,
      opsKey: this.opsKey,
      authorizationParameter: slackOps.authorizationParameter,
      auditTrail: this.auditTrail,
    });
    const approvalGate = new ApprovalGate(this, 'ApprovalGate', {
      config,
      ...opsNetwork,
      topic,
      approvalsTable: slackOps.table,
      authorizationParameter: slackOps.authorizationParameter,
      auditTrail: this.auditTrail,
      logsKey: network.logsKey,
    });
    new BackupVerification(this, 'BackupVerification', {
      config,
      ...opsNetwork,
      database: data.database,
      readReplica: data.readReplica,
      backupsBucket: data.buckets.backups,
      fileSystem: data.fileSystem,
      replicatedSecrets: [data.masterSecret, data.applicationSecret, ...data.applicationSecrets, data.cacheAuthSecret],
      topic,
      logsKey: network.logsKey,
    });
    const scalingOverride = new ScalingOverride(this, 'ScalingOverride', { config, ...opsNetwork, topic, logsKey: network.logsKey, approvalGate });
    const remediation = new AlarmRemediation(this, 'AlarmRemediation', {
      config,
      ...opsNetwork,
      topic,
      scalingOverride: scalingOverride.stateMachine,
      encryptionKey: this.opsKey,
      logsKey: network.logsKey,
    });
    // The drills' lock is an item of the remediation guardrails table (locks and cooldowns, TTL, conditional writes).
    const lockTable = remediation.table;
    new RestoreDrill(this, 'RestoreDrill', {
      config,
      vpc: network.vpc,
      opsSecurityGroup: network.securityGroups.opsFunctions,
      drillSecurityGroup: network.securityGroups.drillDatabase,
      database: data.database,
      readReplica: data.readReplica,
      masterSecret: data.masterSecret,
      reportsBucket: data.buckets.backups,
      dataKey: data.encryptionKey,
      topic,
      logsKey: network.logsKey,
      lockTable,
    });
    new DrillSweeper(this, 'DrillSweeper', { config, ...opsNetwork, topic, logsKey: network.logsKey });
    new PostRotation(this, 'PostRotation', {
      config,
      ...opsNetwork,
      applicationSecret: data.applicationSecret,
      masterSecret: data.masterSecret,
      cacheAuthSecret: data.cacheAuthSecret,
      djangoKeysSecret: data.djangoKeysSecret,
      cacheReplicationGroupId: data.cacheReplicationGroupId,
      ownerRotatedSecrets: {
        ...Object.fromEntries(Object.entries(data.ownerRotatedSecrets).map(([name, secret]) => [name, { secret }])),
        ...Object.fromEntries(slackOwned.map((owned) => [owned.name, slackSecrets[owned.name]!])),
      },
      opsKey: this.opsKey,
      dataKey: data.encryptionKey,
      cluster: props.compute.cluster,
      secretReaders: [props.compute.services.backend, props.compute.services.worker],
      topic,
      logsKey: network.logsKey,
    });
    new DrSimulation(this, 'DrSimulation', { config, ...opsNetwork, topic, logsKey: network.logsKey, approvalGate, lockTable });
    new FailoverDrill(this, 'FailoverDrill', { config, ...opsNetwork, topic, dataKey: data.encryptionKey, logsKey: network.logsKey, approvalGate, lockTable });

    new Rollback(this, 'Rollback', { config, ...opsNetwork, topic, logsKey: network.logsKey, approvalGate });
    new SmokeTest(this, 'SmokeTest', { config, ...opsNetwork, topic, targetGroups: props.edge.targetGroups, logsKey: network.logsKey });

    const { compute } = props;
    const deployable = (service: ServiceName): DeployableService => {
      const task = compute.appServices[service].taskDefinition;
      return { repository: compute.repositories[service], taskRoles: [task.taskRole, task.obtainExecutionRole()] };
    };
    new GitHubDeployRoles(this, 'GitHubDeployRoles', {
      config,
      services: Object.fromEntries(SERVICES.map((service) => [service, deployable(service)])) as Record<ServiceName, DeployableService>,
    });

    // Last, so every workflow of the stack, whoever adds it, gets its alarm.
    new ExecutionFailureAlarms(this, 'ExecutionFailureAlarms', {
      config,
      stateMachines: this.node.findAll().filter((construct): construct is OpsStateMachine => construct instanceof OpsStateMachine),
      encryptionKey: network.logsKey,
    });
  }
}
