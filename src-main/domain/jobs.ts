// Audit jobs: the durable queue of cases waiting for a verdict from one model and prompt.

export const JOB_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface AuditJob {
  id: number;
  caseId: string;
  modelId: string;
  promptSha256: string;
  status: JobStatus;
  /** Attempts so far, this one included once claimed. */
  attempts: number;
  lastError: string | null;
  batchId: string | null;
}
