// What the queue means, for both engines: which cases each status filter shows (plain SQL both SQLite and PostgreSQL
// run), how the search box splits into words, and how long a row's query preview is. The engines differ only in how
// they reach the rows (FTS5 sets and pluck on SQLite, tsvector and bound parameters on PostgreSQL).
import type { CaseStatusFilter } from '@domain/cases';
import type { ExportSelection } from '@domain/io';

// Only model_status, human_risk and model_risk may appear here, besides audit_failure: the SQLite engine's counts()
// groups by exactly those three (audit_failed, on its own column, is counted apart from its partial index).
export const STATUS_CONDITIONS: Record<CaseStatusFilter, string> = {
  all: '1 = 1',
  not_audited: "model_status = 'none'",
  audited: "model_status <> 'none'",
  reviewed: 'human_risk IS NOT NULL',
  unreviewed: 'human_risk IS NULL',
  disagree: "human_risk IS NOT NULL AND model_status = 'ok' AND human_risk <> model_risk",
  parse_failure: "model_status = 'parse_failure'",
  truncated: "model_status = 'truncated'",
  audit_failed: 'audit_failure IS NOT NULL',
};

/** Each export selection is the queue filter of the same name, so both always pick the same cases. */
export const EXPORT_SELECTION_FILTER: Record<ExportSelection, CaseStatusFilter> = {
  all: 'all',
  reviewed: 'reviewed',
  disagreements: 'disagree',
};

/**
 * The words of what a moderator typed in the search box: letters, digits and underscores; everything else separates
 * words and is never passed to a query parser. Every word must match; the last one may be the start of a word (the
 * moderator is still typing it).
 */
export function searchWords(search: string): string[] {
  return search.match(/[\p{L}\p{N}_]+/gu) ?? [];
}

/** How much of the query a queue row carries. */
export const PREVIEW_CHARS = 240;

export function queryPreview(query: string): string {
  return query.length > PREVIEW_CHARS ? `${query.slice(0, PREVIEW_CHARS)}…` : query;
}
