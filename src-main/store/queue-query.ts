// Builds the WHERE/ORDER BY of the moderator queue from a filter. Every value is bound, never spliced.
import type { CaseStatusFilter, QueueFilter, QueueSort } from '../api/contract';

export interface SqlFragment {
  sql: string;
  params: unknown[];
}

export const STATUS_CONDITIONS: Record<CaseStatusFilter, string> = {
  all: '1',
  not_audited: "model_status = 'none'",
  audited: "model_status <> 'none'",
  reviewed: 'human_risk IS NOT NULL',
  unreviewed: 'human_risk IS NULL',
  disagree: "human_risk IS NOT NULL AND model_status = 'ok' AND human_risk <> model_risk",
  parse_failure: "model_status = 'parse_failure'",
};

/** Turns what a moderator types into an FTS5 query: each word quoted (no syntax injection), the last one a prefix. */
export function toFtsQuery(search: string): string | null {
  const words = search.match(/[\p{L}\p{N}_]+/gu);
  if (!words || words.length === 0) return null;
  return words.map((word, index) => `"${word}"${index === words.length - 1 ? '*' : ''}`).join(' ');
}

export function whereClause(filter: QueueFilter, options: { ignoreStatus?: boolean } = {}): SqlFragment {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (!options.ignoreStatus && filter.status && filter.status !== 'all') conditions.push(STATUS_CONDITIONS[filter.status]);
  if (filter.modelRisk !== undefined) {
    conditions.push('model_risk = ?');
    params.push(filter.modelRisk);
  }
  if (filter.humanRisk !== undefined) {
    conditions.push('human_risk = ?');
    params.push(filter.humanRisk);
  }
  if (filter.gold !== undefined) {
    conditions.push('gold = ?');
    params.push(filter.gold);
  }
  if (filter.category !== undefined) {
    conditions.push('(model_category = ? OR human_category = ?)');
    params.push(filter.category, filter.category);
  }
  if (filter.search) {
    const fts = toFtsQuery(filter.search);
    if (fts) {
      conditions.push('seq IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?)');
      params.push(fts);
    }
  }
  return { sql: conditions.length ? conditions.join(' AND ') : '1', params };
}

export const ORDER_BY: Record<QueueSort, string> = {
  model_risk: 'model_risk DESC, seq ASC',
  uncertainty: 'uncertainty ASC, seq ASC',
  newest: 'seq DESC',
};
