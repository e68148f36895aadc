import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BackupClient } from '@aws-sdk/client-backup';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EFSClient } from '@aws-sdk/client-efs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import { envField, readConfig } from '../lib/env.js';
import { type HandlerOverrides, opsHandler } from '../lib/handler.js';
import { tracer } from '../lib/tracer.js';
import { publishOpsResult } from '../lib/publish-result.js';
import { TransientError } from '../lib/transient-error.js';
import { classifyAwsError } from '../restore-drill/errors.js';
import { runSimulationAction } from './actions.js';
import { SimulationError } from './errors.js';
import type { AgentAnswer, AgentRequest, SimulationConfig, SimulationDependencies } from './simulation.js';

const price = z.coerce.number().nonnegative();
const environmentSchema = z.object({
  ENVIRONMENT: envField.environment,
  AWS_REGION: envField.text,
  DR_REGION: envField.text,
  DRILL_LOCK_TABLE: envField.text,
  DRILL_LOCK_MAX_MINUTES: envField.positiveInt,
  SOURCE_INSTANCE_ID: envField.text,
  INSTANCE_PREFIX: envField.text,
  INSTANCE_CLASS: envField.text,
  DB_SUBNET_GROUP: envField.text,
  DR_VAULT_NAME: envField.text,
  DR_PARAMETER: envField.text,
  DR_CLUSTER: envField.text,
  TASK_FAMILY: envField.text,
  CONTAINER_NAME: envField.text,
  CONTAINER_PORT: envField.positiveInt,
  TASK_CPU: envField.positiveInt,
  TASK_MEMORY_MIB: envField.positiveInt,
  REPORTS_BUCKET: envField.text,
  TOPIC_ARN: envField.arn,
  RTO_MINUTES: envField.positiveInt,
  RPO_MINUTES: envField.positiveInt,
  MAX_MINUTES: envField.positiveInt,
  MAX_COST_USD: envField.positiveInt,
  PRICE_DB_INSTANCE_HOUR: price,
  PRICE_DB_STORAGE_GB_MONTH: price,
  PRICE_FARGATE_VCPU_HOUR: price,
  PRICE_FARGATE_GB_HOUR: price,
  PRICE_EFS_GB_MONTH: price,
  POLL_INITIAL_SECONDS: envField.positiveInt,
  POLL_MAX_SECONDS: envField.positiveInt,
  HEALTH_INTERVAL_SECONDS: envField.positiveInt,
  HEALTH_CONSECUTIVE_SUCCESSES: envField.positiveInt,
  HEALTH_WAIT_CAP_MINUTES: envField.positiveInt,
  TEARDOWN_WAIT_CAP_MINUTES: envField.positiveInt,
});

/** The simulation's own clients (its dependencies but the agent and the config), and what the handler adds. */
interface SimulationClients extends Omit<SimulationDependencies, 'agent' | 'config'> {
  readonly lambda: LambdaClient;
  readonly reports: S3Client;
  readonly sns: SNSClient;
  /** DynamoDB in this region: the environment's drill lock. */
  readonly dynamodb: DynamoDBClient;
  readonly now: () => Date;
}

/** Invokes the DR agent (in the DR VPC) and turns its error document back into the error it threw. */
async function invokeAgent(lambda: LambdaClient, functionArn: string, request: AgentRequest): Promise<AgentAnswer> {
  let response;
  try {
    response = await lambda.send(new InvokeCommand({ FunctionName: functionArn, Payload: new TextEncoder().encode(JSON.stringify(request)) }));
  } catch (error) {
    throw classifyAwsError(error, 'invoking the DR agent');
  }
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : 'null';
  if (response.FunctionError) {
    const { errorType, errorMessage } = (JSON.parse(text) ?? {}) as { errorType?: string; errorMessage?: string };
    const message = `the DR agent failed: ${errorType ?? 'Error'}: ${errorMessage ?? text}`;
    // Its own transient failures (a throttled secret read) and Lambda's timeouts are worth the step's retry.
    if (errorType === 'TransientError' || /Task timed out/.test(errorMessage ?? '')) throw new TransientError(message);
    throw new SimulationError('AgentFailed', message);
  }
  return JSON.parse(text) as AgentAnswer;
}

/** The handler with its configuration and clients: Lambda's environment and real clients unless `overrides` gives others. */
export function createHandler(overrides: HandlerOverrides<SimulationClients> = {}) {
  const env = readConfig(environmentSchema, overrides.environment);
  const dr = { region: env.DR_REGION };
  // Everything the simulation creates and reads is in the DR region; only the topic and the drill lock are in this one.
  const clients: SimulationClients = {
    ssm: tracer.captureAWSv3Client(new SSMClient(dr)),
    rds: tracer.captureAWSv3Client(new RDSClient(dr)),
    backup: tracer.captureAWSv3Client(new BackupClient(dr)),
    efs: tracer.captureAWSv3Client(new EFSClient(dr)),
    ecs: tracer.captureAWSv3Client(new ECSClient(dr)),
    ecr: tracer.captureAWSv3Client(new ECRClient(dr)),
    lambda: tracer.captureAWSv3Client(new LambdaClient(dr)),
    reports: tracer.captureAWSv3Client(new S3Client(dr)),
    sns: tracer.captureAWSv3Client(new SNSClient({})),
    dynamodb: tracer.captureAWSv3Client(new DynamoDBClient({})),
    now: () => new Date(),
    ...overrides.clients,
  };
  const config: SimulationConfig = {
    environment: env.ENVIRONMENT,
    drRegion: env.DR_REGION,
    sourceInstanceId: env.SOURCE_INSTANCE_ID,
    instancePrefix: env.INSTANCE_PREFIX,
    instanceClass: env.INSTANCE_CLASS,
    subnetGroupName: env.DB_SUBNET_GROUP,
    vaultName: env.DR_VAULT_NAME,
    drParameter: env.DR_PARAMETER,
    cluster: env.DR_CLUSTER,
    taskFamily: env.TASK_FAMILY,
    containerName: env.CONTAINER_NAME,
    containerPort: env.CONTAINER_PORT,
    taskCpu: env.TASK_CPU,
    taskMemoryMiB: env.TASK_MEMORY_MIB,
    rtoMinutes: env.RTO_MINUTES,
    rpoMinutes: env.RPO_MINUTES,
    maxMinutes: env.MAX_MINUTES,
    maxCostUsd: env.MAX_COST_USD,
    prices: {
      databaseInstanceHourUsd: env.PRICE_DB_INSTANCE_HOUR,
      databaseStorageGbMonthUsd: env.PRICE_DB_STORAGE_GB_MONTH,
      fargateVcpuHourUsd: env.PRICE_FARGATE_VCPU_HOUR,
      fargateGbHourUsd: env.PRICE_FARGATE_GB_HOUR,
      efsGbMonthUsd: env.PRICE_EFS_GB_MONTH,
    },
    pollInitialSeconds: env.POLL_INITIAL_SECONDS,
    pollMaxSeconds: env.POLL_MAX_SECONDS,
    healthIntervalSeconds: env.HEALTH_INTERVAL_SECONDS,
    consecutiveSuccesses: env.HEALTH_CONSECUTIVE_SUCCESSES,
    healthWaitCapMinutes: env.HEALTH_WAIT_CAP_MINUTES,
    teardownWaitCapMinutes: env.TEARDOWN_WAIT_CAP_MINUTES,
  };
  return opsHandler(
    (event: unknown) =>
      runSimulationAction(event, {
        ...clients,
        config,
        agent: (functionArn, request) => invokeAgent(clients.lambda, functionArn, request),
        lock: { tableName: env.DRILL_LOCK_TABLE, maxMinutes: env.DRILL_LOCK_MAX_MINUTES },
        report: { environment: env.ENVIRONMENT, reportsBucket: env.REPORTS_BUCKET, config, lockTableName: env.DRILL_LOCK_TABLE, region: env.AWS_REGION },
        publish: (result) => publishOpsResult(clients.sns, env.TOPIC_ARN, result),
      }),
    { correlationIdPath: 'executionName' },
  );
}
