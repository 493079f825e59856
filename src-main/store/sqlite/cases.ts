import {
  CASE_STATUS_FILTERS,
  type CaseContent,
  type CaseDetail,
  type FilterCounts,
  type QueueFilter,
  type QueuePage,
  type QueueQuery,
} from '@domain/cases';
import type { RiskLevel } from '@domain/types';
import type { NewCase } from '../contract';
import { nowIso } from './clock';
import { StoreError } from '../errors';
import type { Db } from './open-database';
import { findNeighbors, type Neighbors } from './neighbors';
import { ORDER_BY, STATUS_CONDITIONS, whereClause, type WhereClause } from './queue-query';
import { SUMMARY_COLUMNS, toCaseSummary, type CaseRow, type CaseSummaryRow } from './rows';

export type { NewCase };

const MAX_PAGE = 1000;

export class CaseRepository {
  private readonly insertStmt;
  private readonly existsStmt;
  private readonly byIdStmt;
  private readonly summaryBySeqStmt;
  private readonly ftsCountStmt;
  private readonly maxSeqStmt;
  private readonly deferFtsStmt;
  private readonly indexSinceStmt;
  private readonly resumeFtsStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO cases (id, query, thinking, response, image_sha256, image_ref, image_missing, gold,
                          source_file, source_record, import_batch, meta, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.existsStmt = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM cases WHERE id = ?');
    this.byIdStmt = db.prepare<[string], CaseRow>('SELECT * FROM cases WHERE id = ?');
    this.summaryBySeqStmt = db.prepare<[number], CaseSummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM cases WHERE seq = ?`);
    this.ftsCountStmt = db.prepare<[string], number>('SELECT count(*) FROM cases_fts WHERE cases_fts MATCH ?').pluck();
    this.maxSeqStmt = db.prepare<[], number>('SELECT coalesce(max(seq), 0) FROM cases').pluck();
    this.deferFtsStmt = db.prepare('INSERT INTO cases_fts_deferred (one) VALUES (1)');
    this.indexSinceStmt = db.prepare(
      'INSERT INTO cases_fts (rowid, query, thinking, response) SELECT seq, query, thinking, response FROM cases WHERE seq > ?',
    );
    this.resumeFtsStmt = db.prepare('DELETE FROM cases_fts_deferred');
  }

  /**
   * Runs `work`, which inserts cases, with the per-row FTS trigger switched off, then indexes every row it added
   * with one INSERT … SELECT: two to three times cheaper than the trigger firing row by row (docs/store.md).
   * Must run inside the caller's transaction, so that the cases and their index entries commit, or roll back,
   * together; the switch is a row of cases_fts_deferred that is deleted again before that commit.
   */
  withDeferredFtsIndexing<T>(work: () => T): T {
    if (!this.db.inTransaction) throw new StoreError('invalid', 'Deferred FTS indexing must run inside a transaction.');
    // seq is an INTEGER PRIMARY KEY without AUTOINCREMENT: every row inserted from here on gets a larger one.
    const lastSeqBefore = this.maxSeqStmt.get()!;
    this.deferFtsStmt.run();
    try {
      return work();
    } finally {
      // Also when work throws: a caller that catches and commits anyway must not commit unindexed cases. If
      // SQLite itself rolled the transaction back (disk full, I/O error), the rows and the switch are gone already.
      if (this.db.inTransaction) {
        this.indexSinceStmt.run(lastSeqBefore);
        this.resumeFtsStmt.run();
      }
    }
  }

  /**
   * Inserts unless a case with this id exists; returns whether it was new. Run inside the caller's transaction.
   * An import passes one `createdAt` for its whole batch. Positional parameters: a bulk import calls this 100,000
   * times, and binding by name (a spread object per row) was a measurable part of it (docs/store.md).
   */
  insert(c: NewCase, importBatch: number | null, createdAt: string = nowIso()): boolean {
    const result = this.insertStmt.run(
      c.id,
      c.query,
      c.thinking,
      c.response,
      c.imageSha256,
      c.imageRef,
      c.imageMissing ? 1 : 0,
      c.gold,
      c.sourceFile,
      c.sourceRecord,
      importBatch,
      JSON.stringify(c.meta),
      createdAt,
    );
    return result.changes === 1;
  }

  exists(id: string): boolean {
    return this.existsStmt.get(id) !== undefined;
  }

  row(id: string): CaseRow {
    const row = this.byIdStmt.get(id);
    if (!row)
      throw new StoreError(
        'not_found',
        `No case with id "${id}". Check the id (see \`guardtrace stats\` or the queue).`,
      );
    return row;
  }

  /** The case as an audit reads it; throws a readable not_found for an unknown id. */
  content(id: string): CaseContent {
    return toCaseContent(this.row(id));
  }

  detailBase(id: string): Omit<CaseDetail, 'latestAudit' | 'currentReview' | 'history' | 'image' | 'auditFailure'> & {
    imageSha256: string | null;
  } {
    const row = this.row(id);
    return {
      ...toCaseContent(row),
      seq: row.seq,
      gold: row.gold as RiskLevel | null,
      sourceFile: row.source_file,
      sourceRecord: row.source_record,
      meta: JSON.parse(row.meta) as Record<string, unknown>,
      createdAt: row.created_at,
    };
  }

  list(query: QueueQuery): QueuePage {
    const { sort, where } = sortedWhere(query);
    const limit = Math.min(Math.max(query.limit ?? 100, 1), MAX_PAGE);
    const offset = Math.max(query.offset ?? 0, 0);
    // One snapshot for the page, its rows and the total, even while another connection writes.
    return this.db.transaction(() => {
      // Order and skip over seq alone, which the indexes hold; read table rows only for the page shown.
      const seqs = this.db
        .prepare<unknown[], number>(
          `SELECT seq FROM cases WHERE ${where.sql} ORDER BY ${ORDER_BY[sort]} LIMIT ? OFFSET ?`,
        )
        .pluck()
        .all(...where.params, limit, offset);
      const rows = seqs.map((seq) => toCaseSummary(this.summaryBySeqStmt.get(seq)!));
      return { total: this.count(query, where), offset, rows };
    })();
  }

  private count(filter: QueueFilter, pageWhere: WhereClause): number {
    // Every FTS row is a case (the index is kept in step in the same transactions), so FTS5 can count alone.
    if (pageWhere.searchOnly) return this.ftsCountStmt.get(pageWhere.fts!)!;
    const where = whereClause(filter, { sets: 'probe' });
    return this.db
      .prepare<unknown[], number>(`SELECT count(*) FROM cases WHERE ${where.sql}`)
      .pluck()
      .get(...where.params)!;
  }

  /** Ids of the cases before and after `id` in the queue as currently sorted and filtered (keyset, see neighbors.ts). */
  neighbors(query: QueueQuery & { id: string }): Neighbors {
    return findNeighbors(this.db, query);
  }

  /** How many cases each status filter would show, given the other filters. One pass over the matching rows. */
  counts(filter: QueueFilter): FilterCounts {
    const where = whereClause(filter, { ignoreStatus: true, sets: 'probe' });
    // audit_failed reads a column the grouped scan does not carry: it is counted apart, from its partial index.
    const statuses = CASE_STATUS_FILTERS.filter((status) => status !== 'audit_failed');
    const columns = statuses.map(
      (status) => `sum(CASE WHEN ${STATUS_CONDITIONS[status]} THEN n ELSE 0 END) AS "${status}"`,
    );
    // The status conditions read only the three grouped columns, so they are evaluated once per group, not per
    // case. INDEXED BY: every filter is answered by one scan of this covering index (a few ms at 100k cases);
    // left to itself SQLite seeks cases_gold for a gold filter and then reads a third of the table rows.
    const row = this.db
      .prepare<unknown[], Record<string, number | null>>(
        `SELECT ${columns.join(', ')} FROM (
           SELECT model_status, human_risk, model_risk, count(*) AS n FROM cases INDEXED BY cases_queue_state
           WHERE ${where.sql} GROUP BY model_status, human_risk, model_risk
         )`,
      )
      .get(...where.params)!;
    const auditFailed = this.db
      .prepare<unknown[], { n: number }>(
        `SELECT count(*) AS n FROM cases WHERE ${STATUS_CONDITIONS.audit_failed} AND ${where.sql}`,
      )
      .get(...where.params)!.n;
    return {
      ...Object.fromEntries(statuses.map((status) => [status, row[status] ?? 0])),
      audit_failed: auditFailed,
    } as FilterCounts;
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

function toCaseContent(row: CaseRow): CaseContent {
  return {
    id: row.id,
    query: row.query,
    thinking: row.thinking,
    response: row.response,
    imageSha256: row.image_sha256,
    imageRef: row.image_ref,
    imageMissing: row.image_missing === 1,
  };
}

/** The queue's sort (newest first unless asked) and the WHERE clause that suits it (see WhereOptions.sets). */
function sortedWhere(query: QueueQuery) {
  const sort = query.sort ?? 'newest';
  return { sort, where: whereClause(query, { sets: sort === 'newest' ? 'lookup' : 'probe' }) };
}
