// The two guards that keep a llama-server from outliving the process that started it, tested with `sleep` in its
// place (no model needed): the watchdog (parent SIGKILLed → server stopped) and the pid-file sweep.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  removeSidecarPidFile,
  sweepStaleSidecars,
  watchdogCommand,
  writeSidecarPidFile,
} from '@main/engine/sidecar/sidecar-reaper';
import { alive } from '../helpers/processes';
import { REPO_ROOT, tempDir } from '../helpers/temp-dir';

const windows = process.platform === 'win32';
if (windows) console.warn('[test/engine/sidecar-reaper] SKIPPED: the pid-file sweep needs ps (the watchdog test runs)');

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

describe('sidecar watchdog', () => {
  it('is sh on Linux and macOS, Windows PowerShell on Windows; both wait for end of input, then stop that pid', () => {
    const posix = watchdogCommand(4242, 'linux');
    expect(posix.file).toBe('/bin/sh');
    expect(posix.args.at(-1)).toBe('4242');
    expect(posix.args[1]).toMatch(/read -r _\nkill -TERM "\$1"/);
    const win = watchdogCommand(4242, 'win32');
    expect(win.file).toBe('powershell.exe');
    expect(win.args.at(-1)).toBe(
      '$null = [Console]::In.ReadToEnd(); Stop-Process -Id 4242 -Force -ErrorAction SilentlyContinue',
    );
    expect(() => watchdogCommand(Number.NaN, 'win32')).toThrow(/not a process id/);
    expect(() => watchdogCommand(-1)).toThrow(/not a process id/);
  });

  // Runs on every platform: the "server" is a Node process, the parent is killed the hard way (SIGKILL, or
  // TerminateProcess on Windows), and the watchdog must stop the server within 10 s.
  it('stops the server within seconds of its parent being killed', async () => {
    // A parent that starts a "server" (sleep) with a watchdog, prints the server's pid, then waits to be killed.
    const script = `
      import { register } from 'tsx/esm/api';
      import { spawn } from 'node:child_process';
      register();
      const { startServerWatchdog } = await import(${JSON.stringify(path.join(REPO_ROOT, 'src-main/engine/sidecar/sidecar-reaper.ts'))});
      const server = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)'], { stdio: 'ignore' });
      startServerWatchdog(server.pid);
      console.log(server.pid);
      setInterval(() => undefined, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const serverPid = await new Promise<number>((resolve, reject) => {
      parent.stdout!.once('data', (data: Buffer) => resolve(Number(String(data).trim())));
      parent.once('exit', (code) => reject(new Error(`the parent exited early (${code})`)));
    });
    try {
      expect(alive(serverPid)).toBe(true);
      // Still alive a moment later: the watchdog waits for its parent, it does not kill at once.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(alive(serverPid)).toBe(true);
      parent.kill('SIGKILL');
      expect(await waitUntil(() => !alive(serverPid), 10_000), `server pid ${serverPid} outlived its parent`).toBe(
        true,
      );
    } finally {
      if (alive(serverPid)) process.kill(serverPid, 'SIGKILL');
    }
  }, 60_000);
});

describe.skipIf(windows)('sidecar pid-file sweep', () => {
  it('the sweep stops a server whose owner is gone and that still runs the recorded command; nothing else', () => {
    const dataDir = tempDir();
    const orphan = spawn('sleep', ['600'], { stdio: 'ignore' });
    const another = spawn('sleep', ['601'], { stdio: 'ignore' });
    const live = spawn('sleep', ['602'], { stdio: 'ignore' });
    try {
      mkdirSync(path.join(dataDir, 'run'), { recursive: true });
      const gone = 2147483646; // above any pid_max: no such owner
      const record = (serverPid: number, ownerPid: number, command: string) => ({
        serverPid,
        ownerPid,
        command,
        startedAt: new Date().toISOString(),
      });
      writeFileSync(
        path.join(dataDir, 'run', 'llama-server-1.json'),
        JSON.stringify(record(orphan.pid!, gone, 'sleep 600')),
      );
      // Same dead owner, but the pid now runs another command line (a reused pid): left alone.
      writeFileSync(
        path.join(dataDir, 'run', 'llama-server-2.json'),
        JSON.stringify(record(another.pid!, gone, 'sleep 999')),
      );
      // Its owner (this test process) is alive: left alone, file kept.
      writeFileSync(
        path.join(dataDir, 'run', 'llama-server-3.json'),
        JSON.stringify(record(live.pid!, process.pid, 'sleep 602')),
      );
      writeFileSync(path.join(dataDir, 'run', 'llama-server-4.json'), '{"serverPid": 1'); // torn write
      expect(sweepStaleSidecars(dataDir)).toEqual([orphan.pid]);
      expect(readdirSync(path.join(dataDir, 'run'))).toEqual(['llama-server-3.json']);
      expect(alive(another.pid!)).toBe(true);
      expect(alive(live.pid!)).toBe(true);
    } finally {
      for (const child of [orphan, another, live]) child.kill('SIGKILL');
    }
  });

  it("keeps this process's own pid files", () => {
    const dataDir = tempDir();
    const file = writeSidecarPidFile(dataDir, process.pid, '/bin/llama-server', ['--port', '1']);
    expect(sweepStaleSidecars(dataDir, () => false)).toEqual([]);
    expect(readdirSync(path.join(dataDir, 'run'))).toEqual([path.basename(file)]);
    removeSidecarPidFile(file);
    expect(readdirSync(path.join(dataDir, 'run'))).toEqual([]);
  });
});

describe('the sidecar log', () => {
  it('is moved aside when it grows past the limit, keeping the newest generations only', async () => {
    const { rotateLog } = await import('@main/engine/sidecar/log-rotation');
    const { readFileSync, readdirSync: list, writeFileSync: write } = await import('node:fs');
    const dir = tempDir();
    const log = path.join(dir, 'llama-server.log');
    write(log, 'small');
    expect(rotateLog(log, 10, 2)).toBe(false);
    for (const generation of ['first run, long enough', 'second run, long enough', 'third run, long enough']) {
      write(log, generation);
      expect(rotateLog(log, 10, 2)).toBe(true);
    }
    expect(list(dir).sort()).toEqual(['llama-server.log.1', 'llama-server.log.2']);
    expect(readFileSync(`${log}.1`, 'utf8')).toBe('third run, long enough');
    expect(readFileSync(`${log}.2`, 'utf8')).toBe('second run, long enough');
  });
});
