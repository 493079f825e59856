import type { ExportSelection, ImageRef } from '../../api/contract';
import type { DecisionBasis } from '../../domain/team';
import type { Category, RiskLevel } from '../../domain/types';
import type { CaseStore } from '../../store';

/** One case with its latest model verdict and the human decision in force, as one flat row. */
export interface ExportRow {
  seq: number;
  id: string;
  query: string;
  thinking: string;
  response: string;
  image_sha256: string | null;
  image_mime: string | null;
  image_width: number | null;
  image_height: number | null;
  image_bytes: number | null;
  image_ref: string | null;
  image_missing: number;
  gold: number | null;
  source_file: string;
  source_record: number;
  meta: string;
  created_at: string;
  model_status: 'ok' | 'parse_failure' | null;
  model_risk: number | null;
  model_category: string | null;
  model_analysis: string | null;
  model_raw: string | null;
  model_parse_error: string | null;
  model_id: string | null;
  model_engine: string | null;
  model_prompt_sha256: string | null;
  model_prompt_hash_ok: number | null;
  model_at: string | null;
  human_risk: number | null;
  human_category: string | null;
  human_analysis: string | null;
  human_note: string | null;
  human_reviewer: string | null;
  human_source: string | null;
  human_at: string | null;
  human_basis: DecisionBasis | null;
}

const SELECTION: Record<ExportSelection, string> = {
  all: '1',
  reviewed: 'c.human_risk IS NOT NULL',
  disagreements: "c.human_risk IS NOT NULL AND c.model_status = 'ok' AND c.human_risk <> c.model_risk",
};

/** Rows per page: each page is one synchronous .iterate() pass; between pages the event loop gets a turn. */
const PAGE_ROWS = 5000;

// The latest verdict is the one the case's model_* columns mirror (highest audit id); the decision in force
// is the one case_decisions names (store/adjudication.ts: one reviewer, agreeing reviewers or adjudication).
const ROW_SQL = (where: string) => `
  SELECT c.seq, c.id, c.query, c.thinking, c.response, c.image_sha256,
         i.mime AS image_mime, i.width AS image_width, i.height AS image_height, i.bytes AS image_bytes,
         c.image_ref, c.image_missing, c.gold, c.source_file, c.source_record, c.meta, c.created_at,
         a.status AS model_status, a.risk AS model_risk, a.category AS model_category, a.analysis AS model_analysis,
         a.raw_output AS model_raw, a.parse_error AS model_parse_error, a.model_id, a.engine AS model_engine,
         a.prompt_sha256 AS model_prompt_sha256, a.prompt_hash_ok AS model_prompt_hash_ok, a.created_at AS model_at,
         r.risk AS human_risk, r.category AS human_category, r.analysis AS human_analysis, r.note AS human_note,
         r.reviewer AS human_reviewer, r.source AS human_source, r.created_at AS human_at, cd.basis AS human_basis
  FROM cases c
  LEFT JOIN images i ON i.sha256 = c.image_sha256
  LEFT JOIN audits a ON c.model_status <> 'none' AND a.id = (SELECT max(id) FROM audits WHERE case_id = c.id)
  LEFT JOIN case_decisions cd ON c.human_risk IS NOT NULL AND cd.case_id = c.id
  LEFT JOIN reviews r ON r.id = cd.review_id
  WHERE ${where} AND c.seq > ?
  ORDER BY c.seq
  LIMIT ${PAGE_ROWS}`;

export function countSelected(store: CaseStore, only: ExportSelection): number {
  return store.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM cases c WHERE ${SELECTION[only]}`).get()!.n;
}

/** Pages through the selection in seq order; `onPage` runs synchronously for each page's rows. */
export async function forEachExportPage(
  store: CaseStore,
  only: ExportSelection,
  onPage: (rows: ExportRow[]) => void | Promise<void>,
): Promise<void> {
  const statement = store.db.prepare<[number], ExportRow>(ROW_SQL(SELECTION[only]));
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

const risk = (value: number | null) => value as RiskLevel | null;
const category = (value: string | null) => value as Category | null;

export interface ModelVerdictOut {
  status: 'ok' | 'parse_failure';
  risk: RiskLevel | null;
  category: Category | null;
  analysis: string | null;
  raw: string;
  parseError: string | null;
  modelId: string;
  engine: string;
  promptSha256: string;
  promptHashOk: boolean;
  at: string;
}

export interface HumanVerdictOut {
  risk: RiskLevel;
  category: Category | null;
  analysis: string | null;
  note: string | null;
  reviewer: string;
  source: string;
  at: string;
  /** Where the decision in force comes from: one reviewer, agreeing reviewers, or an adjudication. */
  basis: DecisionBasis;
}

export function modelVerdict(row: ExportRow): ModelVerdictOut | null {
  if (row.model_status === null) return null;
  return {
    status: row.model_status,
    risk: risk(row.model_risk),
    category: category(row.model_category),
    analysis: row.model_analysis,
    raw: row.model_raw ?? '',
    parseError: row.model_parse_error,
    modelId: row.model_id ?? '',
    engine: row.model_engine ?? '',
    promptSha256: row.model_prompt_sha256 ?? '',
    promptHashOk: row.model_prompt_hash_ok === 1,
    at: row.model_at ?? '',
  };
}

export function humanVerdict(row: ExportRow): HumanVerdictOut | null {
  if (row.human_risk === null) return null;
  return {
    risk: row.human_risk as RiskLevel,
    category: category(row.human_category),
    analysis: row.human_analysis,
    note: row.human_note,
    reviewer: row.human_reviewer ?? '',
    source: row.human_source ?? '',
    at: row.human_at ?? '',
    basis: row.human_basis ?? 'single_reviewer',
  };
}

/** The label a downstream user should train or report on: the human's if reviewed, else the model's parsed one. */
export function finalLabel(row: ExportRow): {
  risk: RiskLevel;
  category: Category | null;
  analysis: string | null;
  source: 'human' | 'model';
  basis?: DecisionBasis;
} | null {
  if (row.human_risk !== null)
    return {
      risk: row.human_risk as RiskLevel,
      category: category(row.human_category),
      analysis: row.human_analysis,
      source: 'human',
      basis: row.human_basis ?? 'single_reviewer',
    };
  if (row.model_status === 'ok' && row.model_risk !== null) {
    return {
      risk: row.model_risk as RiskLevel,
      category: category(row.model_category),
      analysis: row.model_analysis,
      source: 'model',
    };
  }
  return null;
}

export function imageOf(row: ExportRow): ImageRef | null {
  if (!row.image_sha256 || !row.image_mime) return null;
  return {
    sha256: row.image_sha256,
    mime: row.image_mime,
    width: row.image_width ?? 0,
    height: row.image_height ?? 0,
    bytes: row.image_bytes ?? 0,
  };
}
