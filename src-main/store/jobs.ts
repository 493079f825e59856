import { JOB_STATUSES, type AuditJob, type JobStatus } from '@domain/jobs';
import { nowIso } from './clock';
import type { Db } from './open-database';

interface JobRow {
  id: number;
  case_id: string;
  model_id: string;
  prompt_sha256: string;
  status: JobStatus;
  attempts: number;
  last_error: string | null;
  batch_id: string | null;
}

function toAuditJob(row: JobRow): AuditJob {
  return {
    id: row.id,
    caseId: row.case_id,
    modelId: row.model_id,
    promptSha256: row.prompt_sha256,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    batchId: row.batch_id,
  };
}

export type JobCounts = Record<JobStatus, number>;

/**
 * The audit job queue. Jobs are durable: a crash leaves at most the running ones, which `requeueInterrupted`
 * puts back at start-up; verdict uniqueness is enforced by the audits table, so a redone job cannot duplicate.
 */
export class JobRepository {
  private readonly enqueueStmt;
  private readonly claimStmt;
  private readonly finishStmt;
  private readonly requeueStmt;
  private readonly failStmt;

  constructor(private readonly db: Db) {
    this.enqueueStmt = db.prepare(
      `INSERT INTO jobs (case_id, model_id, prompt_sha256, status, batch_id, created_at, updated_at)
       SELECT @caseId, @modelId, @promptSha256, 'queued', @batchId, @now, @now
       WHERE NOT EXISTS (SELECT 1 FROM audits WHERE case_id = @caseId AND model_id = @modelId AND prompt_sha256 = @promptSha256)
       ON CONFLICT DO NOTHING`,
    );
    this.claimStmt = db.prepare<[{ now: string; modelId: string; promptSha256: string }], JobRow>(
      `UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = @now
       WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND model_id = @modelId AND prompt_sha256 = @promptSha256 ORDER BY id LIMIT 1)
       RETURNING *`,
    );
    this.finishStmt = db.prepare("UPDATE jobs SET status = 'done', last_error = NULL, updated_at = ? WHERE id = ?");
    this.requeueStmt = db.prepare("UPDATE jobs SET status = 'queued', last_error = ?, updated_at = ? WHERE id = ?");
    this.failStmt = db.prepare("UPDATE jobs SET status = 'failed', last_error = ?, updated_at = ? WHERE id = ?");
  }

  /** Queues the cases that have no verdict and no live job for this model and prompt; returns how many were queued. */
  enqueue(caseIds: string[], modelId: string, promptSha256: string, batchId: string): number {
    const now = nowIso();
    return this.db.transaction(() => {
      let queued = 0;
      for (const caseId of caseIds) {
        queued += this.enqueueStmt.run({ caseId, modelId, promptSha256, batchId, now }).changes;
      }
      return queued;
    })();
  }

  claimNext(modelId: string, promptSha256: string): AuditJob | null {
    const row = this.claimStmt.get({ now: nowIso(), modelId, promptSha256 });
    return row ? toAuditJob(row) : null;
  }

  /** Claims the queued job of one case (the case the moderator has open), if it has one. */
  claimCase(caseId: string, modelId: string, promptSha256: string): AuditJob | null {
    const row = this.db
      .prepare<[string, string, string, string], JobRow>(
        `UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = ?
         WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND case_id = ? AND model_id = ? AND prompt_sha256 = ? LIMIT 1)
         RETURNING *`,
      )
      .get(nowIso(), caseId, modelId, promptSha256);
    return row ? toAuditJob(row) : null;
  }

  markDone(jobId: number): void {
    this.finishStmt.run(nowIso(), jobId);
  }

  /** A failed attempt goes back to the queue until maxAttempts, then stays failed with its error. */
  markFailed(job: Pick<AuditJob, 'id' | 'attempts'>, error: string, maxAttempts: number): 'queued' | 'failed' {
    if (job.attempts < maxAttempts) {
      this.requeueStmt.run(error, nowIso(), job.id);
      return 'queued';
    }
    this.failStmt.run(error, nowIso(), job.id);
    return 'failed';
  }

  /** Puts a job that was interrupted (cancel, pause) back without counting the attempt. */
  release(jobId: number): void {
    this.db
      .prepare(
        "UPDATE jobs SET status = 'queued', attempts = max(attempts - 1, 0), updated_at = ? WHERE id = ? AND status = 'running'",
      )
      .run(nowIso(), jobId);
  }

  /** At start-up nothing can be running: jobs left 'running' by a crash or kill go back to the queue. */
  requeueInterrupted(): number {
    return this.db.prepare("UPDATE jobs SET status = 'queued', updated_at = ? WHERE status = 'running'").run(nowIso())
      .changes;
  }

  cancelQueued(modelId?: string): number {
    const sql = modelId
      ? "UPDATE jobs SET status = 'cancelled', updated_at = ? WHERE status = 'queued' AND model_id = ?"
      : "UPDATE jobs SET status = 'cancelled', updated_at = ? WHERE status = 'queued'";
    const stmt = this.db.prepare(sql);
    return (modelId ? stmt.run(nowIso(), modelId) : stmt.run(nowIso())).changes;
  }

  countQueued(modelId: string, promptSha256: string): number {
    return this.db
      .prepare<[string, string], { n: number }>(
        "SELECT count(*) AS n FROM jobs WHERE status IN ('queued', 'running') AND model_id = ? AND prompt_sha256 = ?",
      )
      .get(modelId, promptSha256)!.n;
  }

  counts(): JobCounts {
    const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as JobCounts;
    for (const row of this.db
      .prepare<[], { status: keyof JobCounts; n: number }>('SELECT status, count(*) AS n FROM jobs GROUP BY status')
      .all()) {
      counts[row.status] = row.n;
    }
    return counts;
  }
}
