import { randomUUID } from 'node:crypto';
import type { JobOwner } from './jobs';

/** This process as the owner of the jobs it claims; the token is new each time a store is opened. */
export function newJobOwner(): JobOwner {
  return { pid: process.pid, token: randomUUID() };
}
