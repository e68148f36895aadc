/**
 * The /ops acknowledgement as Lambda meets it: a fresh node process imports the slack-ops bundle (built with the
 * app's own esbuild options) and answers signed Slack requests. Every AWS call the ingress makes (the signing
 * secret, the authorization parameter, StartExecution, the follow-up item, the audit object) goes over HTTP to a
 * loopback stand-in reached through AWS_ENDPOINT_URL, so the SDK resolves credentials, signs and sends for real.
 * X-Ray segments go to a loopback UDP socket, as they go to the daemon in Lambda.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Stats, stats } from './stats.js';

export interface ColdAckResult {
  readonly importMs: Stats;
  readonly firstRequestMs: Stats;
  readonly togetherMs: Stats;
  /** CPU time (user + system) of the import and the first request together: what the wall time costs on an idle machine, less the waits for the other engineers' processes. */
  readonly togetherCpuMs: Stats;
  /** Warm requests after the first, in the same processes. */
  readonly warmMs: Stats;
  /** `node -e 0`, spawn to exit, for reference. */
  readonly bareNodeMs: Stats;
  /** AWS calls the stand-in received per request, by operation (the same for every request). */
  readonly callsPerRequest: Readonly<Record<string, number>>;
}

export interface ColdAckOptions {
  readonly bundlePath: string;
  /** The function's environment as synthesized. */
  readonly functionEnvironment: Readonly<Record<string, string>>;
  readonly processes: number;
  readonly warmRequestsPerProcess: number;
}

const SIGNING_SECRET = 'bench-signing-secret';
const TEAM = 'T0BENCH';
const CHANNEL = 'C0BENCH';
const USER = 'U0BENCH';

/** What the stand-in answers, by X-Amz-Target (JSON protocols) or method (S3's REST PutObject). */
function answer(target: string, body: Record<string, unknown>): unknown {
  switch (target) {
    case 'secretsmanager.GetSecretValue':
      return { ARN: body.SecretId, Name: 'slack-signing', VersionId: 'v1', SecretString: JSON.stringify({ signingSecret: SIGNING_SECRET }), CreatedDate: Date.now() / 1000 };
    case 'AmazonSSM.GetParameter':
      return {
        Parameter: {
          Name: body.Name,
          Type: 'String',
          Version: 1,
          Value: JSON.stringify({ teamId: TEAM, channels: [CHANNEL], operators: [USER], approvers: [], commands: {}, awsIdentities: {} }),
        },
      };
    case 'AWSStepFunctions.StartExecution':
      return { executionArn: `${String(body.stateMachineArn).replace(':stateMachine:', ':execution:')}:${String(body.name)}`, startDate: Date.now() / 1000 };
    case 'DynamoDB_20120810.PutItem':
      return {};
    default:
      return undefined;
  }
}

/** The loopback stand-in for AWS: refuses unsigned requests, counts what it received. */
async function startStandIn(calls: Map<string, number>): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const signed = String(request.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 Credential=AKIABENCH/');
      const target = request.method === 'PUT' ? 'S3.PutObject' : String(request.headers['x-amz-target'] ?? `${request.method} ${request.url}`);
      calls.set(target, (calls.get(target) ?? 0) + 1);
      if (!signed) {
        response.writeHead(403, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: 'MissingAuthenticationTokenException', message: 'unsigned' }));
        return;
      }
      if (target === 'S3.PutObject') {
        response.writeHead(200, { etag: '"bench"' }).end();
        return;
      }
      const body = answer(target, chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {});
      if (body === undefined) {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: 'UnknownOperationException', message: target }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.keepAliveTimeout = 60_000;
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * The process Lambda starts: it signs its requests before the clock starts (Slack signed them), then times the import
 * of the bundle, the first invocation and the warm ones, and prints the figures on its last line.
 */
const CHILD = `
import { createHmac } from 'node:crypto';
const warm = Number(process.env.BENCH_WARM);
const event = (i) => {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const body = new URLSearchParams({ command: '/ops', text: 'scale staging backend 4 12 60 bench ' + process.pid + ' ' + i, user_id: '${USER}', team_id: '${TEAM}', channel_id: '${CHANNEL}', response_url: 'https://hooks.slack.com/commands/T0/1/x' }).toString();
  const signature = 'v0=' + createHmac('sha256', '${SIGNING_SECRET}').update('v0:' + timestamp + ':' + body).digest('hex');
  return { version: '2.0', rawPath: '/', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature }, body, isBase64Encoded: false, requestContext: { requestId: 'bench-' + i } };
};
const context = (i) => ({ functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME, memoryLimitInMB: '256', awsRequestId: 'bench-' + process.pid + '-' + i, logGroupName: 'bench', logStreamName: 'bench', getRemainingTimeInMillis: () => 30000, callbackWaitsForEmptyEventLoop: true, done() {}, fail() {}, succeed() {} });
const invoke = async (handler, i) => {
  const e = event(i);
  const started = performance.now();
  const response = await handler(e, context(i));
  const elapsed = performance.now() - started;
  if (response.statusCode !== 200 || !JSON.parse(response.body).text.startsWith('Started scaling-override')) throw new Error('request ' + i + ' answered ' + response.statusCode + ' ' + response.body);
  return elapsed;
};
const cpuStarted = process.cpuUsage();
const importStarted = performance.now();
const { handler } = await import(process.env.BENCH_BUNDLE);
const importMs = performance.now() - importStarted;
const firstMs = await invoke(handler, 0);
const cpu = process.cpuUsage(cpuStarted);
const togetherCpuMs = (cpu.user + cpu.system) / 1000;
const warmMs = [];
for (let i = 1; i <= warm; i += 1) warmMs.push(await invoke(handler, i));
process.stdout.write('\\nBENCH ' + JSON.stringify({ importMs, firstMs, togetherCpuMs, warmMs }) + '\\n');
`;

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; elapsedMs: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve({ stdout, elapsedMs });
      else reject(new Error(`exit ${code}: ${(stderr || stdout).split('\n').slice(-6).join(' ')}`));
    });
  });
}

export async function measureColdAck(options: ColdAckOptions): Promise<ColdAckResult> {
  const calls = new Map<string, number>();
  const standIn = await startStandIn(calls);
  const xray = createSocket('udp4');
  await new Promise<void>((resolve) => xray.bind(0, '127.0.0.1', resolve));
  const { port: xrayPort } = xray.address();
  const lambdaEnvironment = {
    PATH: process.env.PATH ?? '',
    ...options.functionEnvironment,
    // What Lambda sets for a function (credentials of its role, its name, runtime, trace header, X-Ray daemon).
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIABENCH',
    AWS_SECRET_ACCESS_KEY: 'bench-secret-key',
    AWS_SESSION_TOKEN: 'bench-session-token',
    AWS_LAMBDA_FUNCTION_NAME: 'financehub-staging-slack-ops',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    LAMBDA_TASK_ROOT: '/var/task',
    _X_AMZN_TRACE_ID: 'Root=1-67000000-000000000000000000000000;Parent=0000000000000000;Sampled=1',
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${xrayPort}`,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_ENDPOINT_URL: standIn.url,
    // The runtime's CA bundle is not on this machine; the loopback stand-in is plain HTTP anyway.
    NODE_EXTRA_CA_CERTS: '',
    BENCH_BUNDLE: `file://${options.bundlePath}`,
    BENCH_WARM: String(options.warmRequestsPerProcess),
  };
  // Lambda starts node with the function's NODE_OPTIONS (--enable-source-maps).
  const nodeOptions = (options.functionEnvironment.NODE_OPTIONS ?? '').split(' ').filter((option) => option.length > 0);
  const childArgs = [...nodeOptions, '--input-type=module', '-e', CHILD];
  const env = { ...lambdaEnvironment, NODE_OPTIONS: '' };
  const imports: number[] = [];
  const firsts: number[] = [];
  const together: number[] = [];
  const togetherCpu: number[] = [];
  const warm: number[] = [];
  const bare: number[] = [];
  try {
    await run(childArgs, env); // file cache warm, as Lambda's is for a deployed package
    calls.clear();
    for (let i = 0; i < options.processes; i += 1) {
      bare.push((await run(['-e', '0'], { PATH: env.PATH })).elapsedMs);
      const { stdout } = await run(childArgs, env);
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH '));
      if (!line) throw new Error('the bench process printed no figures');
      const figures = JSON.parse(line.slice('BENCH '.length)) as { importMs: number; firstMs: number; togetherCpuMs: number; warmMs: number[] };
      imports.push(figures.importMs);
      firsts.push(figures.firstMs);
      together.push(figures.importMs + figures.firstMs);
      togetherCpu.push(figures.togetherCpuMs);
      warm.push(...figures.warmMs);
    }
  } finally {
    xray.close();
    await standIn.close();
  }
  const requests = options.processes * (1 + options.warmRequestsPerProcess);
  const callsPerRequest = Object.fromEntries([...calls.entries()].sort().map(([target, count]) => [target, count / requests]));
  return { importMs: stats(imports), firstRequestMs: stats(firsts), togetherMs: stats(together), togetherCpuMs: stats(togetherCpu), warmMs: stats(warm), bareNodeMs: stats(bare), callsPerRequest };
}

