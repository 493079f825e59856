// The audit queue shared by several `guardtrace audit --store URL` workers (a GPU box, a second GPU box, a CPU box).
// A worker claims the next queued job with SELECT … FOR UPDATE SKIP LOCKED, so workers never wait on each other and
// never take the same job; the claim is a lease (login, worker token, expiry by the database's clock) that the
// worker's heartbeat renews. A worker that dies stops renewing: once its lease expires any worker puts the job back
// (requeueExpired). The verdict, the job's completion and the activity-log entry commit together, and only while
// the worker still holds the lease; audits' UNIQUE (case, model, prompt) makes a second verdict impossible anyway.
import type { AuditResult } from '@domain/audits';
import { JOB_STATUSES, type AuditJob, type JobStatus } from '@domain/jobs';
import type pg from 'pg';
import type { CompletedJob, JobCounts, JobOwner, JobQueue } from '../contract';
import { StoreError } from '../errors';
import { toAuditRecord, type PgAuditRow } from './rows';
import { inTransaction } from './transaction';
import { verdictForModel } from './verdicts';

/** How long a claim lasts without a heartbeat. Workers renew every LEASE_MS / 4. */
export const DEFAULT_LEASE_MS = 60_000;

interface JobRow {
  id: string;
  case_id: string;
  model_id: string;
  prompt_sha256: string;
  status: JobStatus;
  attempts: number;
  last_error: string | null;
  batch_id: string | null;
  owner_token: string | null;
  heartbeat_at: Date | null;
}

function toAuditJob(row: JobRow, pid: number | null): AuditJob {
  return {
    id: Number(row.id),
    caseId: row.case_id,
    modelId: row.model_id,
    promptSha256: row.prompt_sha256,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    batchId: row.batch_id,
    ownerPid: row.owner_token ? pid : null,
    ownerToken: row.owner_token,
    heartbeatAt: row.heartbeat_at ? row.heartbeat_at.toISOString() : null,
  };
}

const DISOWN = 'owner_login = NULL, owner_token = NULL, heartbeat_at = NULL, lease_expires_at = NULL';

const CLAIM = `UPDATE jobs SET status = 'running', owner_login = session_user, owner_token = $3, heartbeat_at = now(),
    lease_expires_at = now() + $4 * interval '1 millisecond', updated_at = now()`;

export class PostgresJobQueue implements JobQueue {
  constructor(
    private readonly pool: pg.Pool,
    /** This worker: its pid (reported only) and a random token that names its leases. */
    readonly owner: JobOwner,
    readonly leaseMs = DEFAULT_LEASE_MS,
  ) {}

  /** Queues the given cases that have no verdict or live job for this model and prompt; how many were queued. */
  async enqueue(caseIds: string[], modelId: string, promptSha256: string, batchId: string): Promise<number> {
    const result = await this.pool.query<{ n: number }>('SELECT guardtrace_enqueue_cases($1, $2, $3, $4) AS n', [
      caseIds,
      modelId,
      promptSha256,
      batchId,
    ]);
    return result.rows[0].n;
  }

  /** Queues every case without a verdict or a live job for this model and prompt; returns how many were queued. */
  async enqueueUnaudited(modelId: string, promptSha256: string, batchId: string): Promise<number> {
    const result = await this.pool.query<{ n: number }>('SELECT guardtrace_enqueue_audits($1, $2, $3) AS n', [
      modelId,
      promptSha256,
      batchId,
    ]);
    return result.rows[0].n;
  }

  /** Leases the oldest queued job for this model and prompt; null when none is left. Never waits on other workers. */
  async claimNext(modelId: string, promptSha256: string): Promise<AuditJob | null> {
    const result = await this.pool.query<JobRow>(
      `${CLAIM}
       WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND model_id = $1 AND prompt_sha256 = $2
                   ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [modelId, promptSha256, this.owner.token, this.leaseMs],
    );
    return result.rows[0] ? toAuditJob(result.rows[0], this.owner.pid) : null;
  }

  /** Leases the queued job of one case (the case a moderator has open), if it has one nobody holds. */
  async claimCase(caseId: string, modelId: string, promptSha256: string): Promise<AuditJob | null> {
    const result = await this.pool.query<JobRow>(
      `${CLAIM}
       WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND model_id = $1 AND prompt_sha256 = $2 AND case_id = $5
                   LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [modelId, promptSha256, this.owner.token, this.leaseMs, caseId],
    );
    return result.rows[0] ? toAuditJob(result.rows[0], this.owner.pid) : null;
  }

  /** Renews the leases this worker holds; returns how many. */
  async heartbeat(): Promise<number> {
    const result = await this.pool.query(
      `UPDATE jobs SET heartbeat_at = now(), lease_expires_at = now() + $2 * interval '1 millisecond'
       WHERE status = 'running' AND owner_token = $1 AND owner_login = session_user`,
      [this.owner.token, this.leaseMs],
    );
    return result.rowCount ?? 0;
  }

  /** Renews this worker's leases every leaseMs / 4 until the returned function is called. */
  startHeartbeat(onError: (error: unknown) => void = () => undefined): () => void {
    const timer = setInterval(() => void this.heartbeat().catch(onError), Math.max(50, this.leaseMs / 4));
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * One transaction, only while this worker holds the lease: the verdict (unique per case, model and prompt), the
   * job done, a truncated output marked on the case, the activity-log entry. When the case already had a verdict
   * for this model and prompt, that one is returned and nothing is stored. A lost lease (it expired and the job
   * went back to the queue) stores nothing and throws 'conflict'.
   */
  async complete(job: Pick<AuditJob, 'id' | 'caseId'>, result: AuditResult): Promise<CompletedJob> {
    return inTransaction(this.pool, async (client) => {
      const held = await client.query(
        `SELECT 1 FROM jobs WHERE id = $1 AND status = 'running' AND owner_token = $2 AND owner_login = session_user FOR UPDATE`,
        [job.id, this.owner.token],
      );
      if (!held.rowCount)
        throw new StoreError(
          'conflict',
          `Audit job ${job.id} (case ${job.caseId}) is no longer held by this worker: its lease expired and the job ` +
            'went back to the queue. The verdict was not stored; another worker will audit the case.',
        );
      const verdict = result.verdict;
      const risk = verdict.status === 'ok' ? verdict.risk : null;
      const inserted = await client.query<PgAuditRow>(
        `INSERT INTO audits (case_id, profile_id, engine, model_id, prompt_sha256, prompt_hash_ok, status, risk, category,
           analysis, parse_error, raw_output, image_missing, strict_format, prompt_tokens, cached_prompt_tokens,
           generated_tokens, prompt_ms, generate_ms, total_ms, level_probs, level_probs_note, provenance)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
         ON CONFLICT (case_id, model_id, prompt_sha256) DO NOTHING
         RETURNING *`,
        [
          job.caseId,
          result.profileId,
          result.engine,
          result.modelId,
          result.promptSha256,
          result.promptHashOk,
          verdict.status,
          risk,
          verdict.category,
          verdict.analysis,
          verdict.status === 'ok' ? null : verdict.error,
          result.rawOutput,
          result.imageMissing,
          result.strictFormat,
          result.promptTokens,
          result.cachedPromptTokens,
          result.generatedTokens,
          result.timings.promptMs,
          result.timings.generateMs,
          result.timings.totalMs,
          result.levelProbs === null ? null : JSON.stringify(result.levelProbs),
          result.levelProbsNote,
          result.provenance === null ? null : JSON.stringify(result.provenance),
        ],
      );
      // While the job is still this worker's: the database lets a worker mark only a case it holds.
      if (inserted.rowCount && verdict.status === 'truncated')
        await client.query(`SELECT guardtrace_record_audit_failure($1, 'truncated', $2)`, [job.caseId, verdict.error]);
      await client.query(
        `UPDATE jobs SET status = 'done', last_error = NULL, ${DISOWN}, updated_at = now() WHERE id = $1`,
        [job.id],
      );
      if (!inserted.rowCount)
        return { audit: await verdictForModel(client, job.caseId, result.modelId, result.promptSha256), stored: false };
      const audit = toAuditRecord(inserted.rows[0]);
      await client.query(`INSERT INTO audit_log (action, case_id, after) VALUES ('audit.verdict', $1, $2)`, [
        job.caseId,
        JSON.stringify({ auditId: audit.id, status: verdict.status, risk, model: `model:${result.modelId}` }),
      ]);
      return { audit, stored: true };
    });
  }

  /**
   * A failed attempt counts; back to the queue until maxAttempts, then failed with its error and the case marked
   * failed (one transaction). 'conflict' when this worker no longer holds the job.
   */
  async fail(
    job: Pick<AuditJob, 'id' | 'caseId' | 'attempts'>,
    error: string,
    maxAttempts: number,
  ): Promise<'queued' | 'failed'> {
    const next = job.attempts + 1 < maxAttempts ? 'queued' : 'failed';
    return inTransaction(this.pool, async (client) => {
      if (next === 'failed')
        await client.query(`SELECT guardtrace_record_audit_failure($1, 'failed', $2)`, [job.caseId, error]);
      const result = await client.query(
        `UPDATE jobs SET status = $1, attempts = attempts + 1, last_error = $2, ${DISOWN}, updated_at = now()
         WHERE id = $3 AND status = 'running' AND owner_token = $4`,
        [next, error, job.id, this.owner.token],
      );
      if (!result.rowCount)
        throw new StoreError('conflict', `Audit job ${job.id} is no longer held by this worker (its lease expired).`);
      return next;
    });
  }

  /** Puts a job this worker holds back in the queue without counting an attempt (pause, cancel, shutdown). */
  async release(jobId: number): Promise<void> {
    await this.pool.query(
      `UPDATE jobs SET status = 'queued', ${DISOWN}, updated_at = now() WHERE id = $1 AND status = 'running' AND owner_token = $2`,
      [jobId, this.owner.token],
    );
  }

  /** Puts back every running job whose lease has expired (its worker died or hung); not an attempt. */
  async requeueExpired(): Promise<number> {
    return this.requeueOrphaned();
  }

  /**
   * Puts back the running jobs of other workers whose lease expired, or (with `staleMs`) whose last heartbeat is
   * older than that. On a team database a worker may be on another machine, so whether its process is alive
   * cannot be asked: the lease, by the database's clock, is the only test. Not an attempt.
   */
  async requeueOrphaned(options: { staleMs?: number } = {}): Promise<number> {
    const result = await this.pool.query(
      `UPDATE jobs SET status = 'queued', ${DISOWN}, updated_at = now()
       WHERE id IN (SELECT id FROM jobs WHERE status = 'running' AND owner_token IS DISTINCT FROM $1
                      AND (lease_expires_at < now()
                           OR ($2::double precision IS NOT NULL AND heartbeat_at < now() - $2 * interval '1 millisecond'))
                    FOR UPDATE SKIP LOCKED)`,
      [this.owner.token, options.staleMs ?? null],
    );
    return result.rowCount ?? 0;
  }

  /** Cancels queued jobs (of one model, or all); a lead's action. */
  async cancelQueued(modelId?: string): Promise<number> {
    const result = await this.pool.query(
      `UPDATE jobs SET status = 'cancelled', updated_at = now() WHERE status = 'queued' AND ($1::text IS NULL OR model_id = $1)`,
      [modelId ?? null],
    );
    return result.rowCount ?? 0;
  }

  async countQueued(modelId: string, promptSha256: string): Promise<number> {
    const result = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM jobs WHERE status IN ('queued', 'running') AND model_id = $1 AND prompt_sha256 = $2`,
      [modelId, promptSha256],
    );
    return result.rows[0].n;
  }

  async counts(): Promise<JobCounts> {
    const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<JobStatus, number>;
    const result = await this.pool.query<{ status: JobStatus; n: number }>(
      'SELECT status, count(*)::int AS n FROM jobs GROUP BY status',
    );
    for (const row of result.rows) counts[row.status] = row.n;
    return counts;
  }
}
