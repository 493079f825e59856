// Process checks the kill/restart tests share.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Direct children of `pid` running `command` (ps -A works on Linux and macOS). */
export function childPids(pid: number, command: string): number[] {
  return execFileSync('ps', ['-A', '-o', 'pid=,ppid=,comm='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(
      ([child, parent, comm]) => Number(parent) === pid && Number(child) > 0 && path.basename(comm ?? '') === command,
    )
    .map(([child]) => Number(child));
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
