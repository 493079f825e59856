// The local llama-server the app starts for itself: on a Unix socket in the data folder's 0700 run folder (Linux,
// macOS; 127.0.0.1 and a free port on Windows), a random API key sent with every request (/health included),
// supervised (restarted if it dies, up to a limit) and stopped with the engine or the app. The app talks to it only
// after the server it started has said, on its own output pipe, that it is listening at the address the app chose:
// a process that bound that address first (the server then fails to bind) is never sent a request.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import os from 'node:os';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { EngineError } from '../engine';
import { visionTokenLimits } from '../image-prep';
import type { Endpoint } from '../openai/openai-engine';
import { fetchFor } from '../openai/unix-socket-fetch';
import { ensureOwnerOnlyFolder } from '../../platform/owner-only';
import {
  removeSidecarPidFile,
  startServerWatchdog,
  stopServerWatchdog,
  sweepStaleSidecars,
  writeSidecarPidFile,
} from './sidecar-reaper';
import { rotateLog } from './log-rotation';
import { llamaServerFlags } from './llama-server-flags';

export interface LlamaServerSidecarOptions {
  binaryPath: string;
  modelPath: string;
  /** Without it the server is text-only (tests use that to exercise the vision probe). */
  mmprojPath: string | null;
  /** The log goes to <dataDir>/logs/llama-server.log. */
  dataDir: string;
  /** Total context of the server, shared by its slots (-c). */
  contextSize?: number;
  threads?: number;
  /** Server slots = cases decoded together with continuous batching (default 1). */
  parallel?: number;
  /** With several slots: one shared KV pool (--kv-unified), each slot capped at this many tokens when the binary can. */
  unifiedKv?: { perSlotContext: number; perSlotFlag: boolean };
  /** Layers on the GPU when the binary has a GPU backend (llama-server's default otherwise). */
  gpuLayers?: number;
  extraArgs?: string[];
  /** Restarts allowed within restartWindowMs before the sidecar gives up (default 3 in 10 minutes). */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** How long one start may take until /health answers 200 (model load; default 180 s). */
  startTimeoutMs?: number;
  /**
   * Where to listen (Linux, macOS): a Unix socket path. Default: a new random name in <dataDir>/run (0700), or in a
   * fresh 0700 temp folder when that path would be too long for a socket address. null: TCP on 127.0.0.1 (Windows).
   */
  socketPath?: string | null;
  onEvent?: (event: SidecarEvent) => void;
}

export type SidecarEvent =
  | { type: 'started'; pid: number; port: number; startMs: number }
  | { type: 'exited'; pid: number; code: number | null; signal: string | null; expected: boolean }
  | { type: 'restarting'; attempt: number }
  | { type: 'failed'; message: string };

type State =
  | { kind: 'starting'; ready: Promise<void> }
  | { kind: 'ready' }
  | { kind: 'failed'; error: EngineError }
  | { kind: 'stopped' };

const LOG_TAIL_LINES = 15;

export class LlamaServerSidecar {
  readonly apiKey = randomBytes(24).toString('base64url');
  readonly logPath: string;
  /** What the app should tell the moderator about this server (e.g. it cannot be given the reference image range). */
  readonly warnings: string[] = [];
  private imageTokenFlags = true;
  private child: ChildProcess | null = null;
  private port = 0;
  private socketPath: string | null = null;
  /** The address the current server process announced on its own output (never trusted from anywhere else). */
  private listeningAt = '';
  private outputWindow = '';
  private state: State = { kind: 'stopped' };
  private restartTimes: number[] = [];
  private log: WriteStream | null = null;
  private logTail: string[] = [];
  private readonly killOnExit = () => this.child?.kill('SIGKILL');
  /** Stops the server if this process dies without stopping it (sidecar-reaper.ts). */
  private watchdog: ChildProcess | null = null;
  private pidFile: string | null = null;

  private constructor(private readonly options: LlamaServerSidecarOptions) {
    this.logPath = path.join(options.dataDir, 'logs', 'llama-server.log');
  }

  /** Starts the server and resolves once /health answers 200. */
  static async start(options: LlamaServerSidecarOptions): Promise<LlamaServerSidecar> {
    const sidecar = new LlamaServerSidecar(options);
    await mkdir(path.dirname(sidecar.logPath), { recursive: true, mode: 0o700 });
    rotateLog(sidecar.logPath);
    sidecar.log = createWriteStream(sidecar.logPath, { flags: 'a', mode: 0o600 });
    if (options.mmprojPath && !(await llamaServerFlags(options.binaryPath)).imageTokenRange) {
      // An older llama.cpp (a user's own binary) refuses unknown flags and would not start at all.
      sidecar.imageTokenFlags = false;
      sidecar.warnings.push(
        `${options.binaryPath} has no --image-min-tokens/--image-max-tokens options, so it resizes images to its own ` +
          'limits (8..4,096 vision tokens for Qwen2.5-VL) and image verdicts will differ from the published evaluation. ' +
          'Use the llama-server from `npm run build:llama-server`, or a llama.cpp release that has these options.',
      );
    }
    // A backstop for quits that skip dispose(): never leave a 3 GB server running behind the app.
    process.once('exit', sidecar.killOnExit);
    // Servers an earlier, killed GuardTrace process left behind on this data folder.
    for (const pid of sweepStaleSidecars(options.dataDir))
      sidecar.writeLog(
        `===== ${new Date().toISOString()} stopped llama-server pid ${pid} left by a process that is gone\n`,
      );
    const ready = sidecar.launch();
    sidecar.state = { kind: 'starting', ready };
    try {
      await ready;
    } catch (error) {
      await sidecar.stop();
      throw error;
    }
    return sidecar;
  }

  get baseUrl(): string {
    return this.socketPath ? 'http://localhost/v1' : `http://127.0.0.1:${this.port}/v1`;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get restartCount(): number {
    return this.restartTimes.length;
  }

  /** The current address and key; waits while a restart is under way. */
  async endpoint(): Promise<Endpoint> {
    const state = this.state;
    if (state.kind === 'starting') await state.ready;
    else if (state.kind === 'failed') throw state.error;
    else if (state.kind === 'stopped')
      throw new EngineError('load_failed', 'The local llama-server was stopped; load the model again.');
    return { baseUrl: this.baseUrl, apiKey: this.apiKey, socketPath: this.socketPath };
  }

  async stop(): Promise<void> {
    this.state = { kind: 'stopped' };
    process.removeListener('exit', this.killOnExit);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    this.forgetServerProcess();
    this.child = null;
    this.removeOwnSocket();
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
    this.log = null;
  }

  private args(port: number): string[] {
    const o = this.options;
    return [
      // A host ending in .sock makes llama-server bind that Unix socket (its --port is then ignored).
      '--host',
      this.socketPath ?? '127.0.0.1',
      '--port',
      String(port),
      '-m',
      o.modelPath,
      ...(o.mmprojPath ? ['--mmproj', o.mmprojPath] : ['--no-mmproj']),
      '-c',
      String(o.contextSize ?? 8192),
      '-np',
      String(o.parallel ?? 1),
      ...(o.unifiedKv ? ['--kv-unified'] : []),
      ...(o.unifiedKv?.perSlotFlag ? ['--kv-unified-per-slot', String(o.unifiedKv.perSlotContext)] : []),
      ...(o.threads ? ['-t', String(o.threads)] : []),
      ...(o.gpuLayers !== undefined ? ['-ngl', String(o.gpuLayers)] : []),
      '--no-webui',
      // Same vision-token range as the reference, so llama-server never resizes the image the app prepared.
      ...(o.mmprojPath && this.imageTokenFlags ? imageTokenArgs() : []),
      ...(o.extraArgs ?? []),
    ];
  }

  private writeLog(text: string): void {
    this.log?.write(text);
    this.outputWindow = (this.outputWindow + text).slice(-4096);
    for (const line of text.split('\n')) if (line.trim()) this.logTail.push(line);
    if (this.logTail.length > LOG_TAIL_LINES * 4) this.logTail = this.logTail.slice(-LOG_TAIL_LINES);
  }

  private lastLogLines(): string {
    return this.logTail.slice(-LOG_TAIL_LINES).join('\n');
  }

  /** One process start; up to 3 tries when the free port (or socket name) was taken between choosing and binding it. */
  private async launch(): Promise<void> {
    // The caller records the 'starting' state from this promise: nothing below may run before it has.
    await Promise.resolve();
    for (let portTry = 0; portTry < 3; portTry++) {
      const useSocket = this.options.socketPath !== null && process.platform !== 'win32';
      if (useSocket) {
        this.removeOwnSocket();
        this.socketPath = this.options.socketPath ?? newSocketPath(this.options.dataDir);
        // A name given by the caller that something already holds is refused outright: never talk to it.
        if (existsSync(this.socketPath)) throw addressTaken(this.socketPath);
      }
      const port = useSocket ? 0 : await freeLoopbackPort();
      const outcome = await this.spawnAndWait(port);
      if (outcome === 'ready') return;
      if (outcome !== 'port_in_use') throw outcome;
      if (useSocket && this.options.socketPath) throw addressTaken(this.socketPath!);
    }
    throw new EngineError(
      'load_failed',
      `llama-server could not bind a port on 127.0.0.1 after 3 tries; see ${this.logPath}.`,
      { logPath: this.logPath },
    );
  }

  private async spawnAndWait(port: number): Promise<'ready' | 'port_in_use' | EngineError> {
    const started = performance.now();
    this.logTail = [];
    this.writeLog(
      `\n===== ${new Date().toISOString()} starting ${this.options.binaryPath} ${this.args(port).join(' ')}\n`,
    );
    this.outputWindow = '';
    this.listeningAt = '';
    const expectedAddress = this.socketPath
      ? `listening on unix://${this.socketPath}`
      : `listening on http://127.0.0.1:${port}`;
    const child = spawn(this.options.binaryPath, this.args(port), {
      // The key travels in the environment, not argv, so other local users cannot read it from the process list.
      env: { ...process.env, LLAMA_API_KEY: this.apiKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.port = port;
    this.forgetServerProcess();
    if (child.pid) {
      this.watchdog = startServerWatchdog(child.pid);
      this.pidFile = writeSidecarPidFile(this.options.dataDir, child.pid, this.options.binaryPath, this.args(port));
    }
    child.stdout!.on('data', (data: Buffer) => this.writeLog(data.toString()));
    child.stderr!.on('data', (data: Buffer) => this.writeLog(data.toString()));
    let exitInfo: { code: number | null; signal: string | null } | null = null;
    let spawnError: Error | null = null;
    child.once('error', (error) => (spawnError = error));
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      this.onExit(child, code, signal);
    });

    const timeoutMs = this.options.startTimeoutMs ?? 180_000;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (spawnError) {
        return new EngineError(
          'load_failed',
          `llama-server could not be started from ${this.options.binaryPath}: ${(spawnError as Error).message}. Check Settings → llama-server path, or run \`npm run build:llama-server\`.`,
          {
            binaryPath: this.options.binaryPath,
          },
        );
      }
      if (exitInfo) {
        const tail = this.lastLogLines();
        if (/couldn't bind|address already in use|bind\(\) failed/i.test(tail)) return 'port_in_use';
        return new EngineError(
          'load_failed',
          `llama-server exited while loading ${path.basename(this.options.modelPath)} (code ${(exitInfo as { code: number | null }).code ?? (exitInfo as { signal: string | null }).signal}). Last log lines:\n${tail}\nFull log: ${this.logPath}`,
          { logPath: this.logPath, modelPath: this.options.modelPath },
        );
      }
      if (this.state.kind === 'stopped') {
        child.kill('SIGKILL');
        return new EngineError('aborted', 'The local llama-server was stopped while it was starting.');
      }
      // Only once our own child said it listens at our address: before that, whatever answers there is not it.
      if (!this.listeningAt && this.outputWindow.includes(expectedAddress)) this.listeningAt = expectedAddress;
      if (this.listeningAt && (await healthy(await this.endpointNow()))) {
        this.state = { kind: 'ready' };
        this.options.onEvent?.({ type: 'started', pid: child.pid!, port, startMs: performance.now() - started });
        return 'ready';
      }
      await sleep(150);
    }
    child.kill('SIGKILL');
    return new EngineError(
      'load_failed',
      `llama-server did not become ready within ${Math.round(timeoutMs / 1000)} s; see ${this.logPath}.`,
      { logPath: this.logPath },
    );
  }

  /** The address and key of the process being started (endpoint() would wait for it). */
  private async endpointNow(): Promise<Endpoint> {
    return { baseUrl: this.baseUrl, apiKey: this.apiKey, socketPath: this.socketPath };
  }

  /** llama-server leaves its socket file behind; only a socket our own server announced is removed. */
  private removeOwnSocket(): void {
    if (this.socketPath && this.listeningAt.startsWith('listening on unix://'))
      rmSync(this.socketPath, { force: true });
  }

  /** The current server process has ended (or is being replaced): its watchdog and pid file go with it. */
  private forgetServerProcess(): void {
    stopServerWatchdog(this.watchdog);
    removeSidecarPidFile(this.pidFile);
    this.watchdog = null;
    this.pidFile = null;
  }

  private onExit(child: ChildProcess, code: number | null, signal: string | null): void {
    const expected = this.state.kind === 'stopped' || child !== this.child;
    if (child === this.child) this.forgetServerProcess();
    this.writeLog(
      `===== ${new Date().toISOString()} llama-server (pid ${child.pid}) exited: code ${code} signal ${signal}${expected ? '' : ' (unexpected)'}\n`,
    );
    this.options.onEvent?.({ type: 'exited', pid: child.pid ?? -1, code, signal, expected });
    // Only a crash of a server that was serving is restarted here; a failed start is reported by launch().
    if (expected || this.state.kind !== 'ready') return;
    const now = Date.now();
    const windowMs = this.options.restartWindowMs ?? 10 * 60_000;
    this.restartTimes = this.restartTimes.filter((t) => now - t < windowMs);
    const maxRestarts = this.options.maxRestarts ?? 3;
    if (this.restartTimes.length >= maxRestarts) {
      const error = new EngineError(
        'server_error',
        `The local llama-server stopped ${maxRestarts + 1} times within ${Math.round(windowMs / 60_000)} minutes and is not restarted again. Last log lines:\n${this.lastLogLines()}\nFull log: ${this.logPath}. Load the model again to retry.`,
        // No request can succeed until the model is loaded again: the queue pauses instead of failing every case.
        { logPath: this.logPath, requiresReload: true },
      );
      this.state = { kind: 'failed', error };
      this.options.onEvent?.({ type: 'failed', message: error.message });
      return;
    }
    this.restartTimes.push(now);
    this.options.onEvent?.({ type: 'restarting', attempt: this.restartTimes.length });
    const ready = this.launch().catch((error: unknown) => {
      const failure = error instanceof EngineError ? error : new EngineError('server_error', String(error));
      if (this.state.kind !== 'stopped') {
        this.state = { kind: 'failed', error: failure };
        this.options.onEvent?.({ type: 'failed', message: failure.message });
      }
      throw failure;
    });
    ready.catch(() => undefined); // observed through endpoint(); avoid an unhandled rejection when nobody is waiting
    this.state = { kind: 'starting', ready };
  }
}

/** /health answers 200 at `endpoint`; the key goes with it like with every request. */
async function healthy(endpoint: Endpoint): Promise<boolean> {
  try {
    const response = await fetchFor(endpoint)(`${endpoint.baseUrl.replace(/\/v1$/, '')}/health`, {
      signal: AbortSignal.timeout(2_000),
      headers: endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {},
    });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Unix socket addresses are short (104 bytes on macOS, 108 on Linux, with the NUL). */
const MAX_SOCKET_PATH_BYTES = 100;

/** A new socket name in the data folder's run folder (0700), or in a fresh 0700 temp folder if that is too long. */
function newSocketPath(dataDir: string): string {
  const name = `llama-server-${randomBytes(6).toString('hex')}.sock`;
  const inRunDir = path.join(dataDir, 'run', name);
  if (Buffer.byteLength(inRunDir) <= MAX_SOCKET_PATH_BYTES) {
    ensureOwnerOnlyFolder(path.dirname(inRunDir));
    return inRunDir;
  }
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'guardtrace-')), name); // mkdtemp makes it 0700
}

function addressTaken(socketPath: string): EngineError {
  return new EngineError(
    'load_failed',
    `${socketPath} is already held by another process, so llama-server could not listen there; GuardTrace does not talk to a server it did not start. Stop that process or remove the file, then load the model again.`,
    { socketPath },
  );
}

/** Asks the OS for a free port on 127.0.0.1 (port 0), then releases it for llama-server to bind. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('the OS gave no port'))));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** llama-server flags that pin libmtmd's image resize range to the reference's (4..16,384 vision tokens). */
export function imageTokenArgs(): string[] {
  const tokens = visionTokenLimits();
  return ['--image-min-tokens', String(tokens.min), '--image-max-tokens', String(tokens.max)];
}
