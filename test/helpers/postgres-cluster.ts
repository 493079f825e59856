// A throwaway PostgreSQL cluster for tests and benchmarks: initdb in a temp folder, a unix socket in that folder and
// a free loopback port, stopped (and the folder removed) at the end, also when the test process dies. No vitest
// import here: benchmark scripts use it too (test/helpers/postgres-test.ts adds the vitest hooks).
//
// Authentication is the team's pg_hba.conf in miniature: the unix socket trusts the superuser (setup only), TCP on
// 127.0.0.1 asks for a SCRAM password, so role tests log in the way a moderator would and a wrong password is
// refused by the server.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The oldest server the team mode supports (docs/team.md). */
export const OLDEST_SUPPORTED_POSTGRES = 15;
const SUPERUSER = 'postgres';

export interface PostgresCluster {
  /** Data folder, socket folder and log live under here. */
  readonly dir: string;
  readonly socketDir: string;
  readonly port: number;
  readonly version: number;
  readonly superuser: string;
  /** libpq-style URL for the superuser over the unix socket (trust: setup only). */
  superuserUrl(database?: string): string;
  /** A postgres:// URL that logs in over TCP on 127.0.0.1 with a password (SCRAM). */
  loginUrl(user: string, password: string, database: string): string;
  /** Runs SQL as the superuser through psql (for setup that must not depend on the code under test). */
  psql(sql: string, database?: string): string;
  /** A new, empty database with a unique name; returns its name. */
  createDatabase(prefix?: string): string;
  stop(): void;
}

interface PostgresInstall {
  binDir: string;
  version: number;
}

function candidateBinDirs(): string[] {
  const fromEnv = process.env.GUARDTRACE_PG_BIN ? [process.env.GUARDTRACE_PG_BIN] : [];
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian)
    ? readdirSync(debian)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => path.join(debian, v, 'bin'))
    : [];
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const fromPgConfig = pgConfig.status === 0 ? [pgConfig.stdout.trim()] : [];
  return [...fromEnv, ...versions, ...fromPgConfig];
}

function findInstall(): PostgresInstall | string {
  for (const binDir of candidateBinDirs()) {
    const postgres = path.join(binDir, 'postgres');
    if (!existsSync(postgres) || !existsSync(path.join(binDir, 'initdb'))) continue;
    const out = spawnSync(postgres, ['--version'], { encoding: 'utf8' });
    const major = Number(/\(PostgreSQL\)\s+(\d+)/.exec(out.stdout ?? '')?.[1]);
    if (major >= OLDEST_SUPPORTED_POSTGRES) return { binDir, version: major };
  }
  return (
    `PostgreSQL ${OLDEST_SUPPORTED_POSTGRES}+ server binaries not found (looked in $GUARDTRACE_PG_BIN, ` +
    `/usr/lib/postgresql/*/bin and pg_config --bindir); install them with "apt-get install postgresql"`
  );
}

let cachedInstall: PostgresInstall | string | undefined;
function install(): PostgresInstall | string {
  return (cachedInstall ??= findInstall());
}

/**
 * Why PostgreSQL tests cannot run here, or null when they can. Under CI=true a missing server is an error, not a
 * skip: CI installs it, so its absence means the CI script is broken.
 */
export function postgresUnavailableReason(): string | null {
  const found = install();
  if (typeof found !== 'string') return null;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${found}`);
  return found;
}

const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** PostgreSQL refuses to run as root: as root, the server tools run as the `postgres` system user. */
function serverCommand(binDir: string, tool: string, args: string[]): [string, string[]] {
  const exe = path.join(binDir, tool);
  return runningAsRoot ? ['runuser', ['-u', SUPERUSER, '--', exe, ...args]] : [exe, args];
}

function runTool(binDir: string, tool: string, args: string[], what: string): string {
  const [cmd, argv] = serverCommand(binDir, tool, args);
  const result = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) {
    throw new Error(`${what} failed (${tool} exit ${result.status}): ${result.stderr || result.stdout}`);
  }
  return result.stdout;
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function systemUserIds(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`running as root, but there is no "${name}" system user to run PostgreSQL as`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

const live = new Set<PostgresCluster>();
let exitHookInstalled = false;
function stopAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const cluster of [...live]) cluster.stop();
  });
}

let databaseCounter = 0;

/** initdb + start. Throws with the server log when the server does not come up. */
/** A server certificate and key (PEM files) to turn TLS on with; copied into the cluster's folder. */
export interface ClusterTls {
  certFile: string;
  keyFile: string;
}

export async function startPostgresCluster(
  options: { durable?: boolean; tls?: ClusterTls } = {},
): Promise<PostgresCluster> {
  const found = install();
  if (typeof found === 'string') throw new Error(found);
  const { binDir, version } = found;

  const dir = mkdtempSync(path.join(os.tmpdir(), 'guardtrace-pg-'));
  const dataDir = path.join(dir, 'data');
  const socketDir = dir;
  const logFile = path.join(dir, 'server.log');
  if (runningAsRoot) {
    const { uid, gid } = systemUserIds(SUPERUSER);
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);

  runTool(
    binDir,
    'initdb',
    [
      '-D',
      dataDir,
      '-U',
      SUPERUSER,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ],
    'initdb',
  );

  const port = await freeLoopbackPort();
  const tlsOptions: string[] = [];
  if (options.tls) {
    // The server reads its key as its own user and refuses one others can read.
    const cert = path.join(dir, 'server.crt');
    const key = path.join(dir, 'server.key');
    copyFileSync(options.tls.certFile, cert);
    copyFileSync(options.tls.keyFile, key);
    chmodSync(key, 0o600);
    if (runningAsRoot) {
      const { uid, gid } = systemUserIds(SUPERUSER);
      chownSync(cert, uid, gid);
      chownSync(key, uid, gid);
    }
    tlsOptions.push('-c ssl=on', `-c ssl_cert_file=${cert}`, `-c ssl_key_file=${key}`);
  }
  // fsync off for tests: a test cluster is thrown away, so durability costs time and buys nothing. Benchmarks ask
  // for `durable` so that a commit costs what it costs on a team's server (fsync, synchronous commit).
  const serverOptions = [
    `-k ${socketDir}`,
    `-p ${port}`,
    `-c listen_addresses=127.0.0.1`,
    ...(options.durable
      ? ['-c shared_buffers=256MB']
      : ['-c fsync=off', '-c full_page_writes=off', '-c synchronous_commit=off', '-c shared_buffers=32MB']),
    '-c max_connections=60',
    ...tlsOptions,
  ].join(' ');
  try {
    runTool(
      binDir,
      'pg_ctl',
      ['start', '-D', dataDir, '-w', '-t', '60', '-l', logFile, '-o', serverOptions],
      'pg_ctl start',
    );
  } catch (error) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '(no server log)';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n${log}`);
  }

  // A watchdog outside this process stops the server if this process dies without running its exit hooks
  // (SIGKILL, a crashed test worker): no server is ever left running.
  const [stopCmd, stopArgs] = serverCommand(binDir, 'pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate']);
  const stopLine = [stopCmd, ...stopArgs].map((a) => `'${a}'`).join(' ');
  const watchdog = spawn(
    'sh',
    ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${stopLine} >/dev/null 2>&1; rm -rf '${dir}'`],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();

  let stopped = false;
  const cluster: PostgresCluster = {
    dir,
    socketDir,
    port,
    version,
    superuser: SUPERUSER,
    superuserUrl: (database = 'postgres') =>
      `postgres://${SUPERUSER}@/${encodeURIComponent(database)}?host=${encodeURIComponent(socketDir)}&port=${port}`,
    loginUrl: (user, password, database) =>
      `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    psql(sql, database = 'postgres') {
      const result = spawnSync(
        path.join(binDir, 'psql'),
        [
          '-X',
          '-q',
          '-A',
          '-t',
          '-v',
          'ON_ERROR_STOP=1',
          '-h',
          socketDir,
          '-p',
          String(port),
          '-U',
          SUPERUSER,
          '-d',
          database,
          '-c',
          sql,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
      return result.stdout.trim();
    },
    createDatabase(prefix = 'gt') {
      const name = `${prefix}_${process.pid}_${++databaseCounter}`;
      cluster.psql(`CREATE DATABASE ${name}`);
      return name;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      live.delete(cluster);
      const [cmd, argv] = serverCommand(binDir, 'pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30']);
      const result = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 40_000 });
      if (result.status !== 0) {
        const [killCmd, killArgs] = serverCommand(binDir, 'pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate']);
        spawnSync(killCmd, killArgs, { timeout: 20_000 });
      }
      if (watchdog.pid) {
        try {
          process.kill(watchdog.pid);
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  live.add(cluster);
  stopAllOnExit();
  return cluster;
}
