// Audit jobs: the durable queue of cases waiting for a verdict from one model and prompt.

export const JOB_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface AuditJob {
  id: number;
  caseId: string;
  modelId: string;
  promptSha256: string;
  status: JobStatus;
  /** Failed attempts so far; a job interrupted by a pause, a kill or a crash does not count one. */
  attempts: number;
  lastError: string | null;
  batchId: string | null;
  /** The process working a running job (pid plus a per-process random token); null when no process holds it. */
  ownerPid: number | null;
  ownerToken: string | null;
  /** When the owner last showed it was alive (ISO time); a stale one lets another process requeue the job. */
  heartbeatAt: string | null;
}
