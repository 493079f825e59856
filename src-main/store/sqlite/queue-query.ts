// Builds the WHERE/ORDER BY of the moderator queue from a filter. Every value is bound, never spliced.
import type { QueueFilter, QueueSort } from '@domain/cases';
import { searchWords, STATUS_CONDITIONS } from '../queue-rules';

export interface SqlFragment {
  sql: string;
  params: unknown[];
}

export { STATUS_CONDITIONS };

/** Turns what a moderator types into an FTS5 query: each word quoted (no syntax injection), the last one a prefix. */
export function toFtsQuery(search: string): string | null {
  const words = searchWords(search);
  if (words.length === 0) return null;
  return words.map((word, index) => `"${word}"${index === words.length - 1 ? '*' : ''}`).join(' ');
}

export interface WhereClause extends SqlFragment {
  /** The FTS5 query of the search box, if any. */
  fts: string | null;
  /** True when the search is the only condition, so FTS5 alone can count the matches. */
  searchOnly: boolean;
}

export interface WhereOptions {
  ignoreStatus?: boolean;
  /**
   * How the category and search conditions, each a set of seqs, reach the rows. 'lookup' seeks each member by
   * seq: best when the rows are wanted in seq order anyway (newest first). 'probe' tests the rows read from an
   * index against the set, so ordering by model risk or uncertainty, and counting, never read the 2 KB table
   * rows of tens of thousands of members. SQLite cannot choose between the two itself: FTS5 gives it no
   * estimate of how many rows a MATCH returns.
   */
  sets?: 'lookup' | 'probe';
}

export function whereClause(filter: QueueFilter, options: WhereOptions = {}): WhereClause {
  const conditions: string[] = [];
  const params: unknown[] = [];
  // The unary + keeps SQLite from using a set to seek rows by seq.
  const inSet = options.sets === 'probe' ? '+seq IN' : 'seq IN';
  if (!options.ignoreStatus && filter.status && filter.status !== 'all')
    conditions.push(STATUS_CONDITIONS[filter.status]);
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
    // Not "model_category = ? OR human_category = ?": with that, SQLite reads every row of the table.
    conditions.push(
      `${inSet} (SELECT seq FROM cases WHERE model_category = ? UNION SELECT seq FROM cases WHERE human_category = ?)`,
    );
    params.push(filter.category, filter.category);
  }
  if (filter.pack !== undefined) {
    conditions.push(`${inSet} (SELECT c.seq FROM pack_cases p JOIN cases c ON c.id = p.case_id WHERE p.pack_id = ?)`);
    params.push(filter.pack);
  }
  if (filter.disputed) {
    conditions.push(
      `${inSet} (SELECT c.seq FROM case_decisions d JOIN cases c ON c.id = d.case_id WHERE d.basis = 'disputed')`,
    );
  }
  if (filter.needsRationale) {
    // The same rule as the exporters' corrections (io/export isCorrection) with no analysis to train on.
    conditions.push(
      `${inSet} (SELECT c.seq FROM case_decisions d JOIN reviews r ON r.id = d.review_id JOIN cases c ON c.id = d.case_id
        WHERE coalesce(trim(r.analysis), '') = '' AND c.model_status <> 'none'
          AND (c.model_status <> 'ok' OR r.risk <> c.model_risk OR r.category IS NOT c.model_category))`,
    );
  }
  const fts = filter.search ? toFtsQuery(filter.search) : null;
  if (fts) {
    conditions.push(`${inSet} (SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?)`);
    params.push(fts);
  }
  return {
    sql: conditions.length ? conditions.join(' AND ') : '1',
    params,
    fts,
    searchOnly: fts !== null && conditions.length === 1,
  };
}

export const ORDER_BY: Record<QueueSort, string> = {
  model_risk: 'model_risk DESC, seq ASC',
  uncertainty: 'uncertainty ASC, seq ASC',
  newest: 'seq DESC',
  // Matches the cases_least_confident index: cases with a confidence, lowest first, then those without.
  least_confident: 'model_confidence IS NULL, model_confidence ASC, seq ASC',
};
