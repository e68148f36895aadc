import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisClientType, createClient } from 'redis';
import { freePort } from './postgres.js';

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** A connection as the harness's own user (not `default`, whose passwords the tests rotate); closed by `stop()`. */
  readonly admin: RedisClientType;
  /** Opens a connection as `default` with `password`; rejects with Redis's WRONGPASS when it is not valid. */
  connect(password: string): Promise<RedisClientType>;
  stop(): Promise<void>;
}

const ADMIN = { username: 'harness', password: 'harness-only-password' };

function redisServerBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('redis-server is not installed: apt-get install -y redis-server (.ci/run installs it when missing)');
  }
}

/**
 * A real Redis 7 (Debian's redis-server) on a free loopback port with a temporary directory, no persistence, the
 * `default` user protected by `initialPassword`. `stop()` ends the process it started and removes the directory.
 */
export async function startRedis(initialPassword: string): Promise<RedisServer> {
  const binary = redisServerBinary();
  const dir = mkdtempSync(join(tmpdir(), 'financehub-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--requirepass', initialPassword, '--loglevel', 'warning'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`))));
  exited.catch(() => undefined);

  const open = async (options: { username?: string; password: string }): Promise<RedisClientType> => {
    const client: RedisClientType = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false, connectTimeout: 2000 }, ...options });
    // Errors surface as rejected commands; the event only keeps node-redis from throwing them unhandled.
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  let bootstrap: RedisClientType | undefined;
  for (let attempt = 0; !bootstrap; attempt++) {
    try {
      bootstrap = await Promise.race([open({ password: initialPassword }), exited]);
    } catch (error) {
      if (attempt >= 50 || child.exitCode !== null) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await bootstrap.sendCommand(['ACL', 'SETUSER', ADMIN.username, 'on', `>${ADMIN.password}`, '~*', '&*', '+@all']);
  await bootstrap.quit();
  const admin = await open(ADMIN);
  const clients: RedisClientType[] = [admin];
  return {
    host: '127.0.0.1',
    port,
    admin,
    connect: async (password) => {
      const client = await open({ password });
      clients.push(client);
      return client;
    },
    stop: async () => {
      await Promise.all(clients.map((c) => (c.isOpen ? c.quit().catch(() => undefined) : undefined)));
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
