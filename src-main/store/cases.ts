import type { CaseDetail, FilterCounts, QueueFilter, QueuePage, QueueQuery } from '../api/contract';
import type { RiskLevel } from '../domain/types';
import { nowIso } from './clock';
import { StoreError } from './errors';
import type { Db } from './open-database';
import { ORDER_BY, STATUS_CONDITIONS, whereClause } from './queue-query';
import { toCaseSummary, type CaseRow } from './rows';

/** A validated case ready to store (importers produce these). */
export interface NewCase {
  id: string;
  query: string;
  thinking: string;
  response: string;
  imageSha256: string | null;
  imageRef: string | null;
  imageMissing: boolean;
  gold: RiskLevel | null;
  sourceFile: string;
  sourceRecord: number;
  meta: Record<string, unknown>;
}

const MAX_PAGE = 1000;

export class CaseRepository {
  private readonly insertStmt;
  private readonly existsStmt;
  private readonly byIdStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO cases (id, query, thinking, response, image_sha256, image_ref, image_missing, gold,
                          source_file, source_record, import_batch, meta, created_at)
       VALUES (@id, @query, @thinking, @response, @imageSha256, @imageRef, @imageMissing, @gold,
               @sourceFile, @sourceRecord, @importBatch, @meta, @createdAt)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.existsStmt = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM cases WHERE id = ?');
    this.byIdStmt = db.prepare<[string], CaseRow>('SELECT * FROM cases WHERE id = ?');
  }

  /** Inserts unless a case with this id exists; returns whether it was new. Run inside the caller's transaction. */
  insert(c: NewCase, importBatch: number | null): boolean {
    const result = this.insertStmt.run({
      ...c,
      imageMissing: c.imageMissing ? 1 : 0,
      importBatch,
      meta: JSON.stringify(c.meta),
      createdAt: nowIso(),
    });
    return result.changes === 1;
  }

  exists(id: string): boolean {
    return this.existsStmt.get(id) !== undefined;
  }

  row(id: string): CaseRow {
    const row = this.byIdStmt.get(id);
    if (!row) throw new StoreError('not_found', `No case with id "${id}". Check the id (see \`guardtrace stats\` or the queue).`);
    return row;
  }

  detailBase(id: string): Omit<CaseDetail, 'latestAudit' | 'currentReview' | 'history' | 'image'> & { imageSha256: string | null } {
    const row = this.row(id);
    return {
      id: row.id,
      seq: row.seq,
      query: row.query,
      thinking: row.thinking,
      response: row.response,
      imageSha256: row.image_sha256,
      imageMissing: row.image_missing === 1,
      imageRef: row.image_ref,
      gold: row.gold as RiskLevel | null,
      sourceFile: row.source_file,
      sourceRecord: row.source_record,
      meta: JSON.parse(row.meta) as Record<string, unknown>,
      createdAt: row.created_at,
    };
  }

  list(query: QueueQuery): QueuePage {
    const where = whereClause(query);
    const limit = Math.min(Math.max(query.limit ?? 100, 1), MAX_PAGE);
    const offset = Math.max(query.offset ?? 0, 0);
    const order = ORDER_BY[query.sort ?? 'newest'];
    const rows = this.db
      .prepare<unknown[], CaseRow>(`SELECT * FROM cases WHERE ${where.sql} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(...where.params, limit, offset);
    const { total } = this.db
      .prepare<unknown[], { total: number }>(`SELECT count(*) AS total FROM cases WHERE ${where.sql}`)
      .get(...where.params)!;
    return { total, offset, rows: rows.map(toCaseSummary) };
  }

  /** Ids of the cases before and after `id` in the queue as currently sorted and filtered. */
  neighbors(query: QueueQuery & { id: string }): { prev: string | null; next: string | null } {
    const where = whereClause(query);
    const order = ORDER_BY[query.sort ?? 'newest'];
    const row = this.db
      .prepare<unknown[], { prev: string | null; next: string | null }>(
        `SELECT prev, next FROM (
           SELECT id, lag(id) OVER w AS prev, lead(id) OVER w AS next FROM cases WHERE ${where.sql}
           WINDOW w AS (ORDER BY ${order})
         ) WHERE id = ?`,
      )
      .get(...where.params, query.id);
    return row ?? { prev: null, next: null };
  }

  /** How many cases each status filter would show, given the other filters. One pass over the matching rows. */
  counts(filter: QueueFilter): FilterCounts {
    const where = whereClause(filter, { ignoreStatus: true });
    const statuses = Object.keys(STATUS_CONDITIONS) as Array<keyof FilterCounts>;
    const columns = statuses.map((status) => `sum(CASE WHEN ${STATUS_CONDITIONS[status]} THEN 1 ELSE 0 END) AS "${status}"`);
    const row = this.db
      .prepare<unknown[], Record<string, number | null>>(`SELECT ${columns.join(', ')} FROM cases WHERE ${where.sql}`)
      .get(...where.params)!;
    return Object.fromEntries(statuses.map((status) => [status, row[status] ?? 0])) as FilterCounts;
  }

  /** Ids of cases that have no verdict for this model and prompt and no live job. */
  unauditedIds(modelId: string, promptSha256: string, limit: number): string[] {
    return this.db
      .prepare<[string, string, string, string, number], { id: string }>(
        `SELECT c.id FROM cases c
         WHERE NOT EXISTS (SELECT 1 FROM audits a WHERE a.case_id = c.id AND a.model_id = ? AND a.prompt_sha256 = ?)
           AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.case_id = c.id AND j.model_id = ? AND j.prompt_sha256 = ?
                           AND j.status IN ('queued', 'running'))
         ORDER BY c.seq LIMIT ?`,
      )
      .all(modelId, promptSha256, modelId, promptSha256, limit)
      .map((row) => row.id);
  }
}
