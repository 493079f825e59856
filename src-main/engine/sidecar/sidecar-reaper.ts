// Makes sure a llama-server the app or the CLI started never outlives it, however it ends (SIGKILL and crashes
// included), in two independent ways:
//
// 1. A watchdog per server: a tiny `/bin/sh` process, started in its own session, whose stdin is a pipe from this
//    process. Nothing else holds that pipe's write end (Node opens it close-on-exec), so when this process dies
//    for any reason the kernel closes it, `read` returns, and the watchdog stops the server (SIGTERM, then SIGKILL
//    after 3 s). A shell rather than a Node script: Electron's RunAsNode fuse is off in the packaged app, so
//    process.execPath cannot run a script there, and sh is on every Linux and macOS machine.
// 2. A pid file per server under <dataDir>/run/, removed when the server stops. At the next start, a file whose
//    owner is gone names a server that escaped (the watchdog was killed too, the machine was suspended mid-way):
//    it is stopped if that pid still runs the same llama-server command line.
//
// Windows has neither sh nor ps. There the watchdog is Windows PowerShell (part of every Windows 10/11) reading its
// stdin pipe to the end, the same mechanism: the equivalent of a job object with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
// which Node cannot create without a native addon. The pid-file sweep is skipped there (no ps to compare command
// lines; see docs/sidecar.md).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processIsAlive } from '../../platform/process';

const WATCHDOG_SCRIPT = `
trap '' INT TERM HUP
read -r _
kill -TERM "$1" 2>/dev/null || exit 0
i=0
while kill -0 "$1" 2>/dev/null && [ "$i" -lt 30 ]; do sleep 0.1; i=$((i+1)); done
kill -KILL "$1" 2>/dev/null
exit 0
`;

/** What runs as the watchdog of one server: it waits for end-of-file on stdin, then stops the server. */
export function watchdogCommand(
  serverPid: number,
  platform: NodeJS.Platform = process.platform,
): { file: string; args: string[] } {
  if (!Number.isSafeInteger(serverPid) || serverPid <= 0) throw new Error(`not a process id: ${serverPid}`);
  if (platform === 'win32') {
    // Stop-Process is TerminateProcess: llama-server holds nothing that a graceful stop would save.
    const script = `$null = [Console]::In.ReadToEnd(); Stop-Process -Id ${serverPid} -Force -ErrorAction SilentlyContinue`;
    return { file: 'powershell.exe', args: ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', script] };
  }
  return { file: '/bin/sh', args: ['-c', WATCHDOG_SCRIPT, 'guardtrace-sidecar-watchdog', String(serverPid)] };
}

/** Starts the watchdog for one server process. */
export function startServerWatchdog(serverPid: number): ChildProcess | null {
  const { file, args } = watchdogCommand(serverPid);
  const watchdog = spawn(file, args, {
    // Its own session (a new process group on Windows): a Ctrl+C or SIGTERM sent to ours must not take it along.
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    windowsHide: true,
  });
  watchdog.on('error', () => undefined); // no shell: the pid-file sweep (and on Windows the 'exit' hook) remains
  watchdog.stdin!.on('error', () => undefined);
  // Neither the watchdog nor its pipe may keep this process alive.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void }).unref?.();
  return watchdog;
}

/** Ends a watchdog whose server has stopped normally (it must not later kill a process that reused the pid). */
export function stopServerWatchdog(watchdog: ChildProcess | null): void {
  if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill('SIGKILL');
}

export interface SidecarPidFile {
  serverPid: number;
  ownerPid: number;
  /** The server's full command line as ps prints it: a reused pid runs something else. */
  command: string;
  startedAt: string;
}

const runDir = (dataDir: string) => path.join(dataDir, 'run');
const ownFiles = new Set<string>();

/** Records a running server; returns the file to remove when it stops. */
export function writeSidecarPidFile(dataDir: string, serverPid: number, binaryPath: string, args: string[]): string {
  mkdirSync(runDir(dataDir), { recursive: true, mode: 0o700 });
  const file = path.join(runDir(dataDir), `llama-server-${process.pid}-${randomUUID()}.json`);
  const record: SidecarPidFile = {
    serverPid,
    ownerPid: process.pid,
    command: [binaryPath, ...args].join(' '),
    startedAt: new Date().toISOString(),
  };
  writeFileSync(file, JSON.stringify(record), { mode: 0o600 });
  ownFiles.add(file);
  return file;
}

export function removeSidecarPidFile(file: string | null): void {
  if (!file) return;
  ownFiles.delete(file);
  rmSync(file, { force: true });
}

/** The command line of a running process, or null (gone, or no ps on this system). */
function commandLine(pid: number): string | null {
  try {
    return execFileSync('ps', ['-ww', '-p', String(pid), '-o', 'args='], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * Stops servers left behind by a process that is gone, and removes their pid files. Returns the pids stopped.
 * A server whose owner still runs (another GuardTrace process on this data folder) is left alone.
 */
export function sweepStaleSidecars(dataDir: string, isAlive: (pid: number) => boolean = processIsAlive): number[] {
  if (process.platform === 'win32') return [];
  let names: string[];
  try {
    names = readdirSync(runDir(dataDir)).filter((name) => /^llama-server-.*\.json$/.test(name));
  } catch {
    return [];
  }
  const stopped: number[] = [];
  for (const name of names) {
    const file = path.join(runDir(dataDir), name);
    let record: SidecarPidFile;
    try {
      record = JSON.parse(readFileSync(file, 'utf8')) as SidecarPidFile;
    } catch {
      rmSync(file, { force: true }); // torn write of a process that died writing it
      continue;
    }
    if (ownFiles.has(file) || isAlive(record.ownerPid)) continue; // its owner still runs (maybe us)
    if (isAlive(record.serverPid) && commandLine(record.serverPid) === record.command) {
      try {
        process.kill(record.serverPid, 'SIGKILL');
        stopped.push(record.serverPid);
      } catch {
        // gone in the meantime
      }
    }
    rmSync(file, { force: true });
  }
  return stopped;
}
