import { JOB_STATUSES, type AuditJob, type JobStatus } from '@domain/jobs';
import type { JobCounts, JobOwner } from '../contract';
import { nowIso } from './clock';
import type { Db } from './open-database';
import { writeTransaction } from './write-transaction';
import { processIsAlive } from '../../platform/process';

interface JobRow {
  id: number;
  case_id: string;
  model_id: string;
  prompt_sha256: string;
  status: JobStatus;
  attempts: number;
  last_error: string | null;
  batch_id: string | null;
  owner_pid: number | null;
  owner_token: string | null;
  heartbeat_at: string | null;
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
    ownerPid: row.owner_pid,
    ownerToken: row.owner_token,
    heartbeatAt: row.heartbeat_at,
  };
}

export type { JobCounts, JobOwner };

/** A running job whose owner has not shown it is alive for this long is taken to be orphaned. */
export const JOB_HEARTBEAT_STALE_MS = 120_000;

/**
 * The audit job queue. Jobs are durable: a crash leaves at most the running ones, which `requeueOrphaned` puts
 * back once their owner is gone; verdict uniqueness is enforced by the audits table, so a redone job cannot
 * duplicate a verdict, and since a live owner's jobs are never taken, none is generated twice either.
 */
export class JobRepository {
  private readonly enqueueStmt;
  private readonly claimStmt;
  private readonly finishStmt;
  private readonly requeueStmt;
  private readonly failStmt;

  constructor(
    private readonly db: Db,
    readonly owner: JobOwner,
  ) {
    this.enqueueStmt = db.prepare(
      `INSERT INTO jobs (case_id, model_id, prompt_sha256, status, batch_id, created_at, updated_at)
       SELECT @caseId, @modelId, @promptSha256, 'queued', @batchId, @now, @now
       WHERE NOT EXISTS (SELECT 1 FROM audits WHERE case_id = @caseId AND model_id = @modelId AND prompt_sha256 = @promptSha256)
       ON CONFLICT DO NOTHING`,
    );
    // One statement: the claim is atomic across processes (the UPDATE holds the write lock while it picks).
    this.claimStmt = db.prepare<
      [{ now: string; modelId: string; promptSha256: string; pid: number; token: string }],
      JobRow
    >(
      `UPDATE jobs SET status = 'running', owner_pid = @pid, owner_token = @token, heartbeat_at = @now, updated_at = @now
       WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND model_id = @modelId AND prompt_sha256 = @promptSha256 ORDER BY id LIMIT 1)
       RETURNING *`,
    );
    const disown = 'owner_pid = NULL, owner_token = NULL, heartbeat_at = NULL';
    this.finishStmt = db.prepare(
      `UPDATE jobs SET status = 'done', last_error = NULL, ${disown}, updated_at = ? WHERE id = ?`,
    );
    this.requeueStmt = db.prepare(
      `UPDATE jobs SET status = 'queued', attempts = attempts + 1, last_error = ?, ${disown}, updated_at = ? WHERE id = ?`,
    );
    this.failStmt = db.prepare(
      `UPDATE jobs SET status = 'failed', attempts = attempts + 1, last_error = ?, ${disown}, updated_at = ? WHERE id = ?`,
    );
  }

  /** Queues the cases that have no verdict and no live job for this model and prompt; returns how many were queued. */
  enqueue(caseIds: string[], modelId: string, promptSha256: string, batchId: string): number {
    const now = nowIso();
    return writeTransaction(this.db, () => {
      let queued = 0;
      for (const caseId of caseIds) {
        queued += this.enqueueStmt.run({ caseId, modelId, promptSha256, batchId, now }).changes;
      }
      return queued;
    });
  }

  claimNext(modelId: string, promptSha256: string): AuditJob | null {
    const row = this.claimStmt.get({
      now: nowIso(),
      modelId,
      promptSha256,
      pid: this.owner.pid,
      token: this.owner.token,
    });
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

  /** A failed attempt counts, and the job goes back to the queue until maxAttempts, then stays failed with its error. */
  markFailed(job: Pick<AuditJob, 'id' | 'attempts'>, error: string, maxAttempts: number): 'queued' | 'failed' {
    if (job.attempts + 1 < maxAttempts) {
      this.requeueStmt.run(error, nowIso(), job.id);
      return 'queued';
    }
    this.failStmt.run(error, nowIso(), job.id);
    return 'failed';
  }

  /** Puts a job that was interrupted (cancel, pause) back without counting an attempt. */
  release(jobId: number): void {
    this.db
      .prepare(
        "UPDATE jobs SET status = 'queued', owner_pid = NULL, owner_token = NULL, heartbeat_at = NULL, updated_at = ? WHERE id = ? AND status = 'running'",
      )
      .run(nowIso(), jobId);
  }

  /** Shows that this process is still working its running jobs (see JOB_HEARTBEAT_STALE_MS). */
  heartbeat(): number {
    return this.db
      .prepare("UPDATE jobs SET heartbeat_at = ? WHERE status = 'running' AND owner_token = ?")
      .run(nowIso(), this.owner.token).changes;
  }

  /**
   * Puts back the running jobs whose owner is gone: its pid no longer runs, or it has not sent a heartbeat for
   * `staleMs` (a hung process, or a reused pid). Jobs of a live owner, and this process's own, are left alone.
   * Not an attempt: the case did nothing wrong. Only a process that is about to work the queue calls this.
   */
  requeueOrphaned(options: { staleMs?: number; isAlive?: (pid: number) => boolean; now?: number } = {}): number {
    const staleBefore = new Date(
      (options.now ?? Date.now()) - (options.staleMs ?? JOB_HEARTBEAT_STALE_MS),
    ).toISOString();
    const isAlive = options.isAlive ?? processIsAlive;
    return writeTransaction(this.db, () => {
      const running = this.db
        .prepare<[string], Pick<JobRow, 'id' | 'owner_pid' | 'owner_token' | 'heartbeat_at'>>(
          "SELECT id, owner_pid, owner_token, heartbeat_at FROM jobs WHERE status = 'running' AND owner_token IS NOT ?",
        )
        .all(this.owner.token);
      const requeue = this.db.prepare(
        "UPDATE jobs SET status = 'queued', owner_pid = NULL, owner_token = NULL, heartbeat_at = NULL, updated_at = ? WHERE id = ? AND status = 'running'",
      );
      let requeued = 0;
      for (const job of running) {
        const orphaned =
          job.owner_pid === null || // claimed before owners were recorded (schema 8 or older)
          !isAlive(job.owner_pid) ||
          job.heartbeat_at === null ||
          job.heartbeat_at < staleBefore;
        if (orphaned) requeued += requeue.run(nowIso(), job.id).changes;
      }
      return requeued;
    });
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
