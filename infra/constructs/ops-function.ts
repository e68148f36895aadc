import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';
import type { EnvironmentConfig } from '../config.js';
import { acknowledge } from '../nag/acknowledge.js';
import { OpsTable } from './ops-table.js';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where a function's handler lives: `functions/<name>/handler.ts`. */
export function handlerEntry(functionName: string): string {
  return path.join(repositoryRoot, 'functions', functionName, 'handler.ts');
}

/**
 * The SDK's default credential chain loads these with dynamic imports, only after the environment variables it reads
 * first came up empty. Lambda always sets the role's credentials in those variables, so the fallbacks (profiles, SSO,
 * web identity, ECS and EC2 metadata) never load there. Leaving them out saves about 130 KB and 15-25 ms of init per
 * function (`npm run bench`); test/infra/bundles.test.ts fails if any of them is ever imported statically.
 */
export const CREDENTIAL_FALLBACKS_NEVER_LOADED_IN_LAMBDA = [
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
];

/**
 * Node gives a bundle's `import ... from 'node:http'` an ES module facade built by reading every export, and three
 * of node:http's exports (WebSocket, CloseEvent, MessageEvent) are getters that load undici: about 20 ms of CPU in
 * the cold /ops acknowledgement (npm run bench), which never opens a WebSocket. The bundles take node:http as
 * CommonJS instead (functions/lib/node-builtins/http.cts), which builds no facade and reads no getter.
 */
const HTTP_WITHOUT_FACADE = path.join(repositoryRoot, 'functions', 'lib', 'node-builtins', 'http.cts');
const ALIASES: Readonly<Record<string, string>> = { http: HTTP_WITHOUT_FACADE, 'node:http': HTTP_WITHOUT_FACADE };

/** esbuild settings shared by the CDK app and the benchmark, so the bench measures what ships. */
export const BUNDLING: nodejs.BundlingOptions = {
  format: nodejs.OutputFormat.ESM,
  target: 'node22',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  // The AWS SDK is bundled (not taken from the runtime) so the version we test is the version that runs.
  externalModules: CREDENTIAL_FALLBACKS_NEVER_LOADED_IN_LAMBDA,
  // Some CommonJS dependencies call require(); ESM bundles need it defined.
  banner: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);",
  // Warnings and errors only: esbuild's per-bundle size summary was most of the main job's output.
  logLevel: nodejs.LogLevel.WARNING,
  esbuildArgs: { '--alias': Object.entries(ALIASES).map(([name, target]) => `${name}=${target}`) },
};

/** The same bundle built by the local esbuild directly: for the benchmark and the bundle tests. */
export function localBuildOptions(functionName: string): BuildOptions {
  return {
    entryPoints: [handlerEntry(functionName)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    mainFields: BUNDLING.mainFields,
    external: BUNDLING.externalModules,
    banner: { js: BUNDLING.banner ?? '' },
    alias: { ...ALIASES },
    logLevel: 'error',
  };
}

export interface OpsFunctionProps {
  /** Folder under `functions/` holding `handler.ts`; also the function's service name in logs. */
  readonly functionName: string;
  /** Environment the function serves: names, log retention and tags come from it. */
  readonly config: EnvironmentConfig;
  /** Plain configuration passed as environment variables (never secrets). */
  readonly environment?: Record<string, string>;
  /** @default 30 seconds */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /**
   * The handler file under `functions/`, for a second function built from one workflow's folder (its DR agent).
   * @default `<functionName>/handler.ts`
   */
  readonly handlerFile?: string;
  /** Puts the function in the VPC's private subnets with this security group. @default outside the VPC */
  readonly vpc?: ec2.IVpc;
  /** Where in the VPC. @default the private subnets with egress */
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Caps concurrency so a runaway (a remediation loop, a flood of Slack calls) cannot starve the account.
   * @default 5: ops functions run a handful of times a day, one execution at a time
   */
  readonly reservedConcurrentExecutions?: number;
  /** Key that encrypts the dead-letter queue and the log group. */
  readonly encryptionKey: kms.IKey;
  readonly description?: string;
}

/**
 * A Lambda function as every function of this project runs: Node.js 22 on arm64, ESM bundled by esbuild with
 * the AWS SDK inside, minified with source maps, X-Ray active, Powertools configured, a log group with the
 * ops-log retention (a year in production), and a dead-letter queue for failed asynchronous invocations.
 */
export class OpsFunction extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: OpsFunctionProps) {
    const { config } = props;
    const physicalName = `${config.prefix}-${props.functionName}`;
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      logGroupName: `/aws/lambda/${physicalName}`,
      retention: config.audit.opsLogRetentionDays as logs.RetentionDays,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const deadLetterQueue = new sqs.Queue(scope, `${id}DeadLetters`, {
      queueName: `${physicalName}-dlq`,
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
    });

    // Its own role, so log writes are scoped to its log group instead of AWS's managed execution policies.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${physicalName}: execution role`,
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    if (props.vpc) {
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
          resources: ['*'],
        }),
      );
    }

    super(scope, id, {
      functionName: physicalName,
      role,
      description: props.description,
      entry: props.handlerFile ? path.join(repositoryRoot, 'functions', props.handlerFile) : handlerEntry(props.functionName),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      deadLetterQueueEnabled: true,
      deadLetterQueue,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions ?? 5,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? (props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }) : undefined,
      securityGroups: props.securityGroups,
      bundling: BUNDLING,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        // The runtime's bundle includes the RDS certificate authorities, so database TLS can be verified.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        POWERTOOLS_SERVICE_NAME: props.functionName,
        POWERTOOLS_METRICS_NAMESPACE: 'FinanceHub/Ops',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ENVIRONMENT: config.name,
        ...props.environment,
      },
    });
    acknowledge(role, 'X-Ray segment writes and VPC network-interface management have no resource-level permissions.', [
      'AwsSolutions-IAM5[Resource::*]',
    ]);
    acknowledge(this, 'The stack standardizes on Node.js 22 (nodejs22.x), the runtime the functions are built and tested on.', ['AwsSolutions-L1']);
  }

  /** Publishes to `topic`: its ARN in `envVarName`, and the grant (with the topic key's GenerateDataKey*). */
  public bindTopic(topic: sns.ITopic, envVarName = 'TOPIC_ARN'): this {
    this.addEnvironment(envVarName, topic.topicArn);
    topic.grantPublish(this);
    return this;
  }

  /** Uses `table`: its name in `envVarName`, and reads (`read`), reads and writes (`readWrite`) or only the single-item actions listed. */
  public bindTable(table: dynamodb.ITable, options: { readonly envVarName?: string; readonly access: 'read' | 'readWrite' | readonly string[] }): this {
    this.addEnvironment(options.envVarName ?? 'TABLE_NAME', table.tableName);
    if (options.access === 'read') table.grantReadData(this);
    else if (options.access === 'readWrite') table.grantReadWriteData(this);
    else if (table instanceof OpsTable) table.grantItemActions(this, ...options.access);
    else throw new Error(`bindTable: single-item actions need an OpsTable, not ${table.node.path}`);
    return this;
  }

  /** Reads `secret`: its ARN in `envVarName` (the value is read at run time, never put in the environment). */
  public bindSecret(secret: secretsmanager.ISecret, envVarName: string): this {
    this.addEnvironment(envVarName, secret.secretArn);
    secret.grantRead(this);
    return this;
  }
}
