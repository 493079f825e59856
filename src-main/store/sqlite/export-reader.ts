// The export's read side: every case of a selection with its latest model verdict and the decision in force,
// as flat rows in seq order. The selections and the joins reuse the queue's and the repositories' definitions.
import type { ExportSelection } from '@domain/io';
import type { ExportRecord } from '../contract';
import { latestAuditIdOf } from './audits';
import type { Db } from './open-database';
import { EXPORT_SELECTION_FILTER, STATUS_CONDITIONS } from '../queue-rules';

/** One case with its latest model verdict and the human decision in force, as one flat row. */
export type ExportRow = ExportRecord;

/** Rows per page: each page is one synchronous .iterate() pass; between pages the event loop gets a turn. */
const PAGE_ROWS = 5000;

// The status conditions name only columns of `cases` that no joined table has, so they need no alias here.
const ROW_SQL = (where: string) => `
  SELECT c.seq, c.id, c.query, c.thinking, c.response, c.image_sha256,
         i.mime AS image_mime, i.width AS image_width, i.height AS image_height, i.bytes AS image_bytes,
         c.image_ref, c.image_missing, c.gold, c.source_file, c.source_record, c.meta, c.created_at,
         a.status AS model_status, a.risk AS model_risk, a.category AS model_category, a.analysis AS model_analysis,
         a.raw_output AS model_raw, a.parse_error AS model_parse_error, a.model_id, a.engine AS model_engine,
         a.prompt_sha256 AS model_prompt_sha256, a.prompt_hash_ok AS model_prompt_hash_ok, a.created_at AS model_at,
         a.profile_id AS model_profile_id, a.level_probs AS model_level_probs,
         a.level_probs_note AS model_level_probs_note, a.provenance AS model_provenance,
         r.risk AS human_risk, r.category AS human_category, r.analysis AS human_analysis, r.note AS human_note,
         r.reviewer AS human_reviewer, r.source AS human_source, r.created_at AS human_at,
         r.analysis_source AS human_analysis_source, cd.basis AS human_basis
  FROM cases c
  LEFT JOIN images i ON i.sha256 = c.image_sha256
  LEFT JOIN audits a ON c.model_status <> 'none' AND a.id = ${latestAuditIdOf('c.id')}
  LEFT JOIN case_decisions cd ON c.human_risk IS NOT NULL AND cd.case_id = c.id
  LEFT JOIN reviews r ON r.id = cd.review_id
  WHERE ${where} AND c.seq > ?
  ORDER BY c.seq
  LIMIT ${PAGE_ROWS}`;

export class ExportReader {
  constructor(private readonly db: Db) {}

  /** Pages through the selection in seq order; `onPage` runs synchronously for each page's rows. */
  async forEachPage(only: ExportSelection, onPage: (rows: ExportRow[]) => void | Promise<void>): Promise<void> {
    const statement = this.db.prepare<[number], ExportRow>(ROW_SQL(STATUS_CONDITIONS[EXPORT_SELECTION_FILTER[only]]));
    let after = 0;
    for (;;) {
      const rows: ExportRow[] = [];
      for (const row of statement.iterate(after)) rows.push(row);
      if (!rows.length) return;
      await onPage(rows);
      after = rows[rows.length - 1].seq;
      if (rows.length < PAGE_ROWS) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
