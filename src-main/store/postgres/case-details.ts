// Cases on the team database (the contract's CaseReader): one case (get, content, exists, unauditedIds) here, the
// queue (list, counts, neighbors, search) in queue.ts. Finding cases by their content is not built yet.
import type { ActivityLogEntry } from '@domain/activity-log';
import type {
  CaseContent,
  CaseDetail,
  FilterCounts,
  ImageRef,
  QueueFilter,
  QueuePage,
  QueueQuery,
} from '@domain/cases';
import type { RiskLevel } from '@domain/types';
import type pg from 'pg';
import type { CaseReader, Neighbors } from '../contract';
import { StoreError } from '../errors';
import { decisionInForce } from './decisions';
import { PostgresQueue } from './queue';
import { latestVerdict } from './verdicts';

interface PgCaseRow {
  seq: string;
  id: string;
  query: string;
  thinking: string;
  response: string;
  image_sha256: string | null;
  image_ref: string | null;
  image_missing: boolean;
  gold: number | null;
  source_file: string;
  source_record: number;
  meta: Record<string, unknown>;
  created_at: Date;
  audit_failure: 'failed' | 'truncated' | null;
  audit_failure_reason: string | null;
  audit_failed_at: Date | null;
}

const CASE_COLUMNS = `seq, id, query, thinking, response, image_sha256, image_ref, image_missing, gold, source_file,
  source_record, meta, created_at, audit_failure, audit_failure_reason, audit_failed_at`;

function notFound(id: string): StoreError {
  return new StoreError('not_found', `No case with id "${id}" in the team database.`);
}

export class PostgresCaseDetails implements CaseReader {
  private readonly queue: PostgresQueue;

  constructor(private readonly pool: pg.Pool) {
    this.queue = new PostgresQueue(pool);
  }

  list(query: QueueQuery): Promise<QueuePage> {
    return this.queue.list(query);
  }

  counts(filter: QueueFilter): Promise<FilterCounts> {
    return this.queue.counts(filter);
  }

  neighbors(query: QueueQuery & { id: string }): Promise<Neighbors> {
    return this.queue.neighbors(query);
  }

  async get(id: string): Promise<CaseDetail> {
    const found = await this.pool.query<PgCaseRow>(`SELECT ${CASE_COLUMNS} FROM cases WHERE id = $1`, [id]);
    const row = found.rows[0];
    if (!row) throw notFound(id);
    const [image, latestAudit, currentReview, history] = await Promise.all([
      row.image_sha256
        ? this.pool
            .query<ImageRef>('SELECT sha256, mime, width, height, bytes FROM images WHERE sha256 = $1', [
              row.image_sha256,
            ])
            .then((r) => r.rows[0] ?? null)
        : Promise.resolve(null),
      latestVerdict(this.pool, id),
      decisionInForce(this.pool, id),
      this.history(id),
    ]);
    return {
      id: row.id,
      seq: Number(row.seq),
      query: row.query,
      thinking: row.thinking,
      response: row.response,
      image,
      imageMissing: row.image_missing,
      imageRef: row.image_ref,
      gold: row.gold as RiskLevel | null,
      sourceFile: row.source_file,
      sourceRecord: row.source_record,
      meta: row.meta,
      createdAt: row.created_at.toISOString(),
      latestAudit,
      auditFailure:
        row.audit_failure && row.audit_failed_at
          ? { kind: row.audit_failure, reason: row.audit_failure_reason ?? '', at: row.audit_failed_at.toISOString() }
          : null,
      currentReview,
      history,
    };
  }

  /**
   * The case's activity log, oldest first, for a login allowed to read it (a lead). A reviewer may not read the
   * activity log (docs/team.md): their case view shows no history rather than failing.
   */
  private async history(id: string): Promise<ActivityLogEntry[]> {
    const allowed = await this.pool.query<{ ok: boolean }>(`SELECT has_table_privilege('audit_log', 'SELECT') AS ok`);
    if (!allowed.rows[0].ok) return [];
    const rows = await this.pool.query<{
      id: string;
      at: Date;
      actor: string;
      action: string;
      case_id: string | null;
      before: unknown;
      after: unknown;
    }>('SELECT id, at, actor, action, case_id, before, after FROM audit_log WHERE case_id = $1 ORDER BY id', [id]);
    return rows.rows.map((r) => ({
      id: Number(r.id),
      at: r.at.toISOString(),
      actor: r.actor,
      action: r.action,
      caseId: r.case_id,
      before: r.before,
      after: r.after,
    }));
  }

  async content(id: string): Promise<CaseContent> {
    const found = await this.pool.query<
      Pick<PgCaseRow, 'id' | 'query' | 'thinking' | 'response' | 'image_sha256' | 'image_ref' | 'image_missing'>
    >('SELECT id, query, thinking, response, image_sha256, image_ref, image_missing FROM cases WHERE id = $1', [id]);
    const row = found.rows[0];
    if (!row) throw notFound(id);
    return {
      id: row.id,
      query: row.query,
      thinking: row.thinking,
      response: row.response,
      imageSha256: row.image_sha256,
      imageRef: row.image_ref,
      imageMissing: row.image_missing,
    };
  }

  async exists(id: string): Promise<boolean> {
    return ((await this.pool.query('SELECT 1 FROM cases WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  /** Cases with no verdict for this model and prompt and no live job, oldest first. */
  async unauditedIds(modelId: string, promptSha256: string, limit: number): Promise<string[]> {
    const result = await this.pool.query<{ id: string }>(
      `SELECT c.id FROM cases c
        WHERE NOT EXISTS (SELECT 1 FROM audits a WHERE a.case_id = c.id AND a.model_id = $1 AND a.prompt_sha256 = $2)
          AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.case_id = c.id AND j.model_id = $1 AND j.prompt_sha256 = $2
                            AND j.status IN ('queued', 'running'))
        ORDER BY c.seq LIMIT $3`,
      [modelId, promptSha256, limit],
    );
    return result.rows.map((row) => row.id);
  }

  /** Not built for the team database yet: refused (the reference-results import's match by content needs it). */
  async forEachContent(): Promise<void> {
    throw new StoreError(
      'unsupported',
      'Finding cases by their content (forEachContent, used to attach reference results to cases already in the ' +
        'store) is not available on a team database yet. Import the reference results into a data folder instead.',
    );
  }
}
