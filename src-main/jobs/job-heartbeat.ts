import type { JobQueue } from '../store/contract';

/** Well inside JOB_HEARTBEAT_STALE_MS, so a busy moment or two never makes a live owner look gone. */
export const JOB_HEARTBEAT_INTERVAL_MS = 10_000;

/**
 * Keeps this process's running jobs marked as owned by a live process while a batch runs, so that another
 * process (a second `guardtrace audit`, the app) starting on the same data folder leaves them alone.
 * Returns the stop function.
 */
export function startJobHeartbeat(
  jobs: Pick<JobQueue, 'heartbeat'>,
  intervalMs = JOB_HEARTBEAT_INTERVAL_MS,
): () => void {
  const timer = setInterval(() => {
    // Busy or closing: the next beat tries again, and a stale mark only matters after minutes.
    jobs.heartbeat().catch(() => undefined);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
