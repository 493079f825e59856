// Step-localization searches, their probes and the moderator's step marks (migration 0012). Searches are jobs of
// their own kind with the audit queue's rules: claimed with one UPDATE … RETURNING, owned by a pid plus a token,
// kept alive by a heartbeat, put back only when their owner is gone (store/sqlite/jobs.ts). Probes are keyed by
// (search, cut), so a probe that was stored is never stored again, whatever a killed process left behind.
import {
  STEP_SEARCH_METHOD,
  type LocatedCounts,
  type StepLabel,
  type StepProbe,
  type StepSearchRecord,
  type StepSearchStatus,
} from '@domain/step-localization';
import type { NewStepProbe, StepSearchSpec } from '../contract';
import { nowIso } from './clock';
import { StoreError } from '../errors';
import type { JobOwner } from './jobs';
import { JOB_HEARTBEAT_STALE_MS } from './jobs';
import type { Db } from './open-database';
import { writeTransaction } from './write-transaction';
import { processIsAlive } from '../../platform/process';

interface SearchRow {
  id: number;
  case_id: string;
  method: string;
  status: StepSearchStatus;
  step_count: number;
  segmenter_version: number;
  trace_sha256: string;
  located_step: number | null;
  located_offset: number | null;
  engine: string;
  model_id: string;
  model_sha256: string | null;
  mmproj_sha256: string | null;
  prompt_sha256: string;
  profile_id: string;
  attempts: number;
  last_error: string | null;
  owner_pid: number | null;
  owner_token: string | null;
  heartbeat_at: string | null;
  created_at: string;
  updated_at: string;
}

interface ProbeRow {
  cut: number;
  status: StepProbe['status'];
  risk: number | null;
  flagged: number;
  level_probs: string | null;
  prompt_tokens: number;
  cached_prompt_tokens: number;
  generated_tokens: number;
  judgment_stop: StepProbe['judgmentStop'];
  total_ms: number;
  created_at: string;
}

interface MarkRow {
  id: number;
  case_id: string;
  kind: 'step' | 'none' | 'undo';
  step_index: number | null;
  step_offset: number | null;
  trace_sha256: string;
  reviewer: string;
  undoes_mark_id: number | null;
  created_at: string;
}

const FINISHED: readonly StepSearchStatus[] = ['located', 'not_monotone', 'not_flagged', 'no_steps'];
const DISOWN = 'owner_pid = NULL, owner_token = NULL, heartbeat_at = NULL';

export class StepSearchRepository {
  constructor(
    private readonly db: Db,
    readonly owner: JobOwner,
  ) {}

  /**
   * Queues a search for the case with this model and prompt, unless one is finished, queued or running. A failed
   * or cancelled search is queued again and keeps its probes (it resumes); a search made on another trace text or
   * another segmenter version starts over. Returns the search's id and whether it was (re)queued.
   */
  enqueue(spec: StepSearchSpec): { id: number; queued: boolean } {
    return writeTransaction(this.db, () => {
      const now = nowIso();
      const existing = this.db
        .prepare<[string, string, string], SearchRow>(
          'SELECT * FROM step_searches WHERE case_id = ? AND model_id = ? AND prompt_sha256 = ?',
        )
        .get(spec.caseId, spec.modelId, spec.promptSha256);
      if (!existing) {
        const row = this.db
          .prepare<unknown[], { id: number }>(
            `INSERT INTO step_searches (case_id, method, status, step_count, segmenter_version, trace_sha256, engine,
               model_id, model_sha256, mmproj_sha256, prompt_sha256, profile_id, created_at, updated_at)
             VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
          )
          .get(
            spec.caseId,
            STEP_SEARCH_METHOD,
            spec.stepCount,
            spec.segmenterVersion,
            spec.traceSha256,
            spec.engine,
            spec.modelId,
            spec.modelSha256,
            spec.mmprojSha256,
            spec.promptSha256,
            spec.profileId,
            now,
            now,
          )!;
        return { id: row.id, queued: true };
      }
      const stale = existing.trace_sha256 !== spec.traceSha256 || existing.segmenter_version !== spec.segmenterVersion;
      if (
        !stale &&
        (FINISHED.includes(existing.status) || existing.status === 'queued' || existing.status === 'running')
      )
        return { id: existing.id, queued: false };
      if (existing.status === 'running')
        throw new StoreError(
          'conflict',
          `Case ${spec.caseId}: its step search is running in another process; wait for it, then search again.`,
        );
      // Stale probes were cut from other steps: they would answer the wrong question.
      if (stale) this.db.prepare('DELETE FROM step_probes WHERE search_id = ?').run(existing.id);
      this.db
        .prepare(
          `UPDATE step_searches SET status = 'queued', step_count = ?, segmenter_version = ?, trace_sha256 = ?,
             located_step = NULL, located_offset = NULL, engine = ?, model_sha256 = ?, mmproj_sha256 = ?, profile_id = ?,
             attempts = 0, last_error = NULL, ${DISOWN}, updated_at = ? WHERE id = ?`,
        )
        .run(
          spec.stepCount,
          spec.segmenterVersion,
          spec.traceSha256,
          spec.engine,
          spec.modelSha256,
          spec.mmprojSha256,
          spec.profileId,
          now,
          existing.id,
        );
      return { id: existing.id, queued: true };
    });
  }

  /** Claims a queued search: one given (the case the moderator asked for) or the oldest for this model and prompt. */
  claim(modelId: string, promptSha256: string, searchId?: number): StepSearchRecord | null {
    const row = this.db
      .prepare<unknown[], SearchRow>(
        `UPDATE step_searches SET status = 'running', owner_pid = ?, owner_token = ?, heartbeat_at = ?, updated_at = ?
         WHERE id = (SELECT id FROM step_searches WHERE status = 'queued' AND model_id = ? AND prompt_sha256 = ?
                     ${searchId === undefined ? '' : 'AND id = ?'} ORDER BY id LIMIT 1)
         RETURNING *`,
      )
      .get(
        this.owner.pid,
        this.owner.token,
        nowIso(),
        nowIso(),
        modelId,
        promptSha256,
        ...(searchId === undefined ? [] : [searchId]),
      );
    return row ? this.toRecord(row) : null;
  }

  /** Stores a probe once: a second store of the same cut (a replay after a kill) changes nothing. */
  recordProbe(searchId: number, probe: NewStepProbe): boolean {
    return (
      this.db
        .prepare(
          `INSERT INTO step_probes (search_id, cut, status, risk, flagged, level_probs, prompt_tokens, cached_prompt_tokens,
             generated_tokens, judgment_stop, total_ms, raw_output, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        )
        .run(
          searchId,
          probe.cut,
          probe.status,
          probe.risk,
          probe.flagged ? 1 : 0,
          probe.levelProbs ? JSON.stringify(probe.levelProbs) : null,
          probe.promptTokens,
          probe.cachedPromptTokens,
          probe.generatedTokens,
          probe.judgmentStop,
          probe.totalMs,
          probe.rawOutput,
          nowIso(),
        ).changes === 1
    );
  }

  probes(searchId: number): StepProbe[] {
    return this.db
      .prepare<[number], ProbeRow>('SELECT * FROM step_probes WHERE search_id = ? ORDER BY created_at, cut')
      .all(searchId)
      .map((row) => ({
        cut: row.cut,
        status: row.status,
        risk: row.risk,
        flagged: row.flagged === 1,
        levelProbs: row.level_probs ? (JSON.parse(row.level_probs) as Record<string, number>) : null,
        promptTokens: row.prompt_tokens,
        cachedPromptTokens: row.cached_prompt_tokens,
        generatedTokens: row.generated_tokens,
        judgmentStop: row.judgment_stop,
        totalMs: row.total_ms,
        createdAt: row.created_at,
      }));
  }

  finish(searchId: number, status: StepSearchStatus, located: { step: number; offset: number } | null): void {
    this.db
      .prepare(
        `UPDATE step_searches SET status = ?, located_step = ?, located_offset = ?, last_error = NULL, ${DISOWN},
           updated_at = ? WHERE id = ?`,
      )
      .run(status, located?.step ?? null, located?.offset ?? null, nowIso(), searchId);
  }

  /** The model files' hashes, as the engine reported them with a probe (null for a remote server). */
  setModelHashes(searchId: number, modelSha256: string | null, mmprojSha256: string | null): void {
    this.db
      .prepare('UPDATE step_searches SET model_sha256 = ?, mmproj_sha256 = ? WHERE id = ?')
      .run(modelSha256, mmprojSha256, searchId);
  }

  fail(searchId: number, error: string): void {
    this.db
      .prepare(
        `UPDATE step_searches SET status = 'failed', attempts = attempts + 1, last_error = ?, ${DISOWN}, updated_at = ? WHERE id = ?`,
      )
      .run(error, nowIso(), searchId);
  }

  /** Back to the queue without an attempt (paused, cancelled mid-probe, engine-wide error): its probes stay. */
  release(searchId: number): void {
    this.db
      .prepare(
        `UPDATE step_searches SET status = 'queued', ${DISOWN}, updated_at = ? WHERE id = ? AND status = 'running'`,
      )
      .run(nowIso(), searchId);
  }

  cancelQueued(): number {
    return this.db
      .prepare("UPDATE step_searches SET status = 'cancelled', updated_at = ? WHERE status = 'queued'")
      .run(nowIso()).changes;
  }

  heartbeat(): number {
    return this.db
      .prepare("UPDATE step_searches SET heartbeat_at = ? WHERE status = 'running' AND owner_token = ?")
      .run(nowIso(), this.owner.token).changes;
  }

  /** Running searches whose owner is gone go back to the queue (store/sqlite/jobs.ts, requeueOrphaned, has the rules). */
  requeueOrphaned(options: { staleMs?: number; isAlive?: (pid: number) => boolean } = {}): number {
    const staleBefore = new Date(Date.now() - (options.staleMs ?? JOB_HEARTBEAT_STALE_MS)).toISOString();
    const isAlive = options.isAlive ?? processIsAlive;
    return writeTransaction(this.db, () => {
      let requeued = 0;
      for (const row of this.db
        .prepare<[string], Pick<SearchRow, 'id' | 'owner_pid' | 'heartbeat_at'>>(
          "SELECT id, owner_pid, heartbeat_at FROM step_searches WHERE status = 'running' AND owner_token IS NOT ?",
        )
        .all(this.owner.token)) {
        const orphaned =
          row.owner_pid === null ||
          !isAlive(row.owner_pid) ||
          row.heartbeat_at === null ||
          row.heartbeat_at < staleBefore;
        if (orphaned) {
          requeued += this.db
            .prepare(
              `UPDATE step_searches SET status = 'queued', ${DISOWN}, updated_at = ? WHERE id = ? AND status = 'running'`,
            )
            .run(nowIso(), row.id).changes;
        }
      }
      return requeued;
    });
  }

  get(searchId: number): StepSearchRecord {
    const row = this.db.prepare<[number], SearchRow>('SELECT * FROM step_searches WHERE id = ?').get(searchId);
    if (!row) throw new StoreError('not_found', `No step search ${searchId}.`);
    return this.toRecord(row);
  }

  /** The case's most recently updated search (any model), or null. */
  latestForCase(caseId: string): StepSearchRecord | null {
    const row = this.db
      .prepare<[string], SearchRow>(
        'SELECT * FROM step_searches WHERE case_id = ? ORDER BY updated_at DESC, id DESC LIMIT 1',
      )
      .get(caseId);
    return row ? this.toRecord(row) : null;
  }

  /** Cases this model and prompt judged at least 0.5 that have no finished or live search with them, oldest first. */
  flaggedWithoutSearch(modelId: string, promptSha256: string, limit: number): string[] {
    return this.db
      .prepare<[string, string, number], { case_id: string }>(
        `SELECT a.case_id FROM audits a JOIN cases c ON c.id = a.case_id
         WHERE a.model_id = ? AND a.prompt_sha256 = ? AND a.status = 'ok' AND a.risk >= 0.5
           AND NOT EXISTS (SELECT 1 FROM step_searches s WHERE s.case_id = a.case_id AND s.model_id = a.model_id
                           AND s.prompt_sha256 = a.prompt_sha256 AND s.status NOT IN ('failed', 'cancelled'))
         ORDER BY c.seq LIMIT ?`,
      )
      .all(modelId, promptSha256, limit)
      .map((row) => row.case_id);
  }

  counts(): LocatedCounts {
    const counts: LocatedCounts = { done: 0, running: 0, failed: 0, notMonotone: 0 };
    for (const row of this.db
      .prepare<[], { status: StepSearchStatus; n: number }>(
        'SELECT status, count(*) AS n FROM step_searches GROUP BY status',
      )
      .all()) {
      if (row.status === 'queued' || row.status === 'running') counts.running += row.n;
      else if (row.status === 'failed') counts.failed += row.n;
      else if (row.status === 'not_monotone') counts.notMonotone += row.n;
      else if (row.status !== 'cancelled') counts.done += row.n;
    }
    return counts;
  }

  // ---- the moderator's step marks (append-only; an undo is a new mark) ----

  addMark(mark: {
    caseId: string;
    kind: 'step' | 'none';
    stepIndex: number | null;
    stepOffset: number | null;
    traceSha256: string;
    reviewer: string;
  }): number {
    return this.db
      .prepare<unknown[], { id: number }>(
        `INSERT INTO step_marks (case_id, kind, step_index, step_offset, trace_sha256, reviewer, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      )
      .get(mark.caseId, mark.kind, mark.stepIndex, mark.stepOffset, mark.traceSha256, mark.reviewer, nowIso())!.id;
  }

  /** Undoes the reviewer's latest mark on the case that is not undone yet; null when there is none. */
  undoLastMark(caseId: string, reviewer: string): { undoneId: number; undoId: number } | null {
    const target = this.db
      .prepare<[string, string], MarkRow>(
        `SELECT * FROM step_marks m WHERE case_id = ? AND reviewer = ? AND kind != 'undo'
           AND NOT EXISTS (SELECT 1 FROM step_marks u WHERE u.undoes_mark_id = m.id)
         ORDER BY id DESC LIMIT 1`,
      )
      .get(caseId, reviewer);
    if (!target) return null;
    const undoId = this.db
      .prepare<unknown[], { id: number }>(
        `INSERT INTO step_marks (case_id, kind, trace_sha256, reviewer, undoes_mark_id, created_at)
         VALUES (?, 'undo', ?, ?, ?, ?) RETURNING id`,
      )
      .get(caseId, target.trace_sha256, reviewer, target.id, nowIso())!.id;
    return { undoneId: target.id, undoId };
  }

  /** The case's step label: its latest mark that is not undone. */
  label(caseId: string): StepLabel | null {
    const row = this.db
      .prepare<[string], MarkRow>(
        `SELECT * FROM step_marks m WHERE case_id = ? AND kind != 'undo'
           AND NOT EXISTS (SELECT 1 FROM step_marks u WHERE u.undoes_mark_id = m.id)
         ORDER BY id DESC LIMIT 1`,
      )
      .get(caseId);
    if (!row) return null;
    return {
      kind: row.kind === 'step' ? 'step' : 'none',
      stepIndex: row.step_index,
      stepOffset: row.step_offset,
      reviewer: row.reviewer,
      markId: row.id,
      createdAt: row.created_at,
    };
  }

  private toRecord(row: SearchRow): StepSearchRecord {
    return {
      id: row.id,
      caseId: row.case_id,
      method: STEP_SEARCH_METHOD,
      status: row.status,
      stepCount: row.step_count,
      segmenterVersion: row.segmenter_version,
      traceSha256: row.trace_sha256,
      locatedStep: row.located_step,
      locatedOffset: row.located_offset,
      engine: row.engine,
      modelId: row.model_id,
      modelSha256: row.model_sha256,
      mmprojSha256: row.mmproj_sha256,
      promptSha256: row.prompt_sha256,
      profileId: row.profile_id,
      lastError: row.last_error,
      attempts: row.attempts,
      probes: this.probes(row.id),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}
