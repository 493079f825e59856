// The export's read side on the team database (the contract's ExportReader): every case of a selection with its
// latest model verdict and the decision in force, in seq order, as the same flat records the SQLite engine gives
// (JSON as text, booleans as 0/1, times as ISO strings), so every exporter writes the same files from either engine.
// Exporting the whole store is a lead's: a reviewer's login cannot read the activity log, and PostgreSQL refuses
// the export before any row is read.
import type { ExportSelection } from '@domain/io';
import type pg from 'pg';
import type { ExportReader, ExportRecord } from '../contract';
import { EXPORT_SELECTION_FILTER, STATUS_CONDITIONS } from '../queue-rules';

const PAGE_ROWS = 2000;

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
  LEFT JOIN audits a ON c.model_status <> 'none'
    AND a.id = (SELECT latest.id FROM audits latest WHERE latest.case_id = c.id ORDER BY latest.id DESC LIMIT 1)
  LEFT JOIN case_decisions cd ON c.human_risk IS NOT NULL AND cd.case_id = c.id
  LEFT JOIN reviews r ON r.id = cd.review_id
  WHERE ${where} AND c.seq > $1
  ORDER BY c.seq
  LIMIT ${PAGE_ROWS}`;

type PgExportRow = Omit<
  ExportRecord,
  | 'seq'
  | 'image_missing'
  | 'meta'
  | 'created_at'
  | 'image_bytes'
  | 'model_prompt_hash_ok'
  | 'model_at'
  | 'model_level_probs'
  | 'model_provenance'
  | 'human_at'
> & {
  seq: string;
  image_missing: boolean;
  meta: Record<string, unknown>;
  created_at: Date;
  image_bytes: number | string | null;
  model_prompt_hash_ok: boolean | null;
  model_at: Date | null;
  model_level_probs: Record<string, unknown> | null;
  model_provenance: Record<string, unknown> | null;
  human_at: Date | null;
};

const bit = (value: boolean | null) => (value === null ? null : value ? 1 : 0);
const json = (value: Record<string, unknown> | null) => (value === null ? null : JSON.stringify(value));
const iso = (value: Date | null) => (value === null ? null : value.toISOString());

function toExportRecord(row: PgExportRow): ExportRecord {
  return {
    ...row,
    seq: Number(row.seq),
    image_missing: row.image_missing ? 1 : 0,
    image_bytes: row.image_bytes === null ? null : Number(row.image_bytes),
    meta: JSON.stringify(row.meta),
    created_at: row.created_at.toISOString(),
    model_prompt_hash_ok: bit(row.model_prompt_hash_ok),
    model_at: iso(row.model_at),
    model_level_probs: json(row.model_level_probs),
    model_provenance: json(row.model_provenance),
    human_at: iso(row.human_at),
  };
}

export class PostgresExportReader implements ExportReader {
  constructor(private readonly pool: pg.Pool) {}

  async forEachPage(only: ExportSelection, onPage: (rows: ExportRecord[]) => void | Promise<void>): Promise<void> {
    // A login that may not read the activity log may not export the store (docs/team.md): let PostgreSQL say so.
    await this.pool.query('SELECT 1 FROM audit_log LIMIT 0');
    const sql = ROW_SQL(STATUS_CONDITIONS[EXPORT_SELECTION_FILTER[only]]);
    let after = 0;
    for (;;) {
      const rows = (await this.pool.query<PgExportRow>(sql, [after])).rows.map(toExportRecord);
      if (!rows.length) return;
      await onPage(rows);
      after = rows[rows.length - 1].seq;
      if (rows.length < PAGE_ROWS) return;
    }
  }
}
