import { randomUUID } from 'node:crypto';
import type { JobOwner } from './jobs';

/** This process as the owner of the jobs it claims; the token is new each time a store is opened. */
export function newJobOwner(): JobOwner {
  return { pid: process.pid, token: randomUUID() };
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function processIsAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
