// Item 5 of issue 19: the llama-server sidecar cannot be impersonated. It listens on a Unix socket in the data
// folder's 0700 run folder; the app sends a request there only after its own server process announced, on its own
// output pipe, that it listens at that address; and every request, /health included, carries the key. A process
// that holds the address first (before the start, or between the choice and the bind) is refused and sent nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LlamaServerSidecar } from '@main/engine/sidecar/llama-server-sidecar';
import { REPO_ROOT, tempDir } from '../helpers/temp-dir';

const HELPERS = path.join(REPO_ROOT, 'test/helpers');
const started: ChildProcess[] = [];
const strayPids: number[] = [];
afterAll(() => {
  for (const child of started) child.kill('SIGKILL');
  for (const pid of strayPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A "llama-server" executable that runs fake-llama-server.mjs (node, through a shell script like a real binary). */
function fakeBinary(dir: string): string {
  const file = path.join(dir, 'llama-server');
  writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${path.join(HELPERS, 'fake-llama-server.mjs')}" "$@"\n`);
  chmodSync(file, 0o700);
  return file;
}

function squat(socketPath: string, requestLog: string): Promise<void> {
  const child = spawn(process.execPath, [path.join(HELPERS, 'socket-squatter.mjs'), socketPath, requestLog], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.push(child);
  return new Promise((resolve) => child.stdout!.once('data', () => resolve()));
}

const options = (dir: string, extra: Partial<Parameters<typeof LlamaServerSidecar.start>[0]>) => ({
  binaryPath: fakeBinary(dir),
  modelPath: path.join(dir, 'model.gguf'),
  mmprojPath: null,
  dataDir: path.join(dir, 'data'),
  startTimeoutMs: 20_000,
  maxRestarts: 0,
  ...extra,
});

describe.skipIf(process.platform === 'win32')('the sidecar address (Unix socket, Linux and macOS)', () => {
  it('listens on a socket in the 0700 run folder and sends the key with every request, /health included', async () => {
    const dir = tempDir('gt-sock-');
    const log = path.join(dir, 'requests.log');
    writeFileSync(log, '');
    process.env.FAKE_LLAMA_MODE = 'serve';
    process.env.FAKE_LLAMA_LOG = log;
    const sidecar = await LlamaServerSidecar.start(options(dir, {}));
    const endpoint = await sidecar.endpoint();
    try {
      expect(endpoint.socketPath).toMatch(/\/data\/run\/llama-server-[0-9a-f]{12}\.sock$/);
      expect(statSync(path.dirname(endpoint.socketPath!)).mode & 0o777).toBe(0o700);
      expect(statSync(endpoint.socketPath!).isSocket()).toBe(true);
      const requests = readFileSync(log, 'utf8').trim().split('\n');
      expect(requests.length).toBeGreaterThan(0);
      for (const line of requests) expect(line).toBe(`GET /health Bearer ${sidecar.apiKey}`);
    } finally {
      await sidecar.stop();
      delete process.env.FAKE_LLAMA_MODE;
    }
    // The server's socket file goes with it.
    expect(existsSync(endpoint.socketPath!)).toBe(false);
  }, 60_000);

  it('refuses an address another process holds before the start, and sends it nothing', async () => {
    const dir = tempDir('gt-sock-');
    const socketPath = path.join(dir, 'taken.sock');
    const squatterLog = path.join(dir, 'squatter.log');
    await squat(socketPath, squatterLog);
    await expect(LlamaServerSidecar.start(options(dir, { socketPath }))).rejects.toThrow(
      /taken\.sock is already held by another process, so llama-server could not listen there; GuardTrace does not talk to a server it did not start/,
    );
    expect(readFileSync(squatterLog, 'utf8')).toBe('');
  }, 60_000);

  it('refuses an address taken between its choice and the bind (the server could not bind), and sends it nothing', async () => {
    const dir = tempDir('gt-sock-');
    const socketPath = path.join(dir, 'raced.sock');
    const squatterLog = path.join(dir, 'squatter.log');
    const pidFile = path.join(dir, 'squatter.pid');
    writeFileSync(pidFile, '');
    Object.assign(process.env, {
      FAKE_LLAMA_MODE: 'late-squatter',
      SQUATTER_LOG: squatterLog,
      SQUATTER_PID_FILE: pidFile,
    });
    try {
      await expect(LlamaServerSidecar.start(options(dir, { socketPath }))).rejects.toThrow(
        /raced\.sock is already held by another process/,
      );
    } finally {
      delete process.env.FAKE_LLAMA_MODE;
      const pid = Number(readFileSync(pidFile, 'utf8'));
      if (pid) strayPids.push(pid);
    }
    // The squatter was up and answering the whole time; the app never asked it anything.
    expect(existsSync(socketPath)).toBe(true);
    expect(readFileSync(squatterLog, 'utf8')).toBe('');
  }, 60_000);
});
