// The moderator queue on the team database (the list/counts/neighbors part of the contract's CaseReader): the same
// filters, orders and search as the SQLite engine (store/queue-rules.ts), checked case for case against it by
// test/store-postgres/queue-equivalence.test.ts. Every value is a bound parameter; the search box reaches PostgreSQL
// as quoted words in a tsquery, never as query syntax.
import {
  CASE_STATUS_FILTERS,
  type CaseSummary,
  type FilterCounts,
  type QueueFilter,
  type QueuePage,
  type QueueQuery,
  type QueueSort,
} from '@domain/cases';
import type { Category, RiskLevel } from '@domain/types';
import type pg from 'pg';
import type { Neighbors } from '../contract';
import { queryPreview, searchWords, STATUS_CONDITIONS } from '../queue-rules';
import { inSnapshot } from './transaction';

const MAX_PAGE = 1000;

/** Each order as SQLite sorts it, NULL lowest: `DESC NULLS LAST` where PostgreSQL would put NULL first. */
const ORDER_BY: Record<QueueSort, string> = {
  model_risk: 'model_risk DESC NULLS LAST, seq ASC',
  uncertainty: 'uncertainty ASC, seq ASC',
  newest: 'seq DESC',
  least_confident: '(model_confidence IS NULL), model_confidence ASC, seq ASC',
};

/**
 * Each order as one ascending pair (key, tie), so that "the case after this one" is a row comparison. Must order
 * exactly as ORDER_BY: NULL risk after every risk, NULL confidence (at most 1) after every confidence.
 */
const SORT_KEY: Record<QueueSort, { key: string; tie: string }> = {
  model_risk: { key: `coalesce(-model_risk, 'Infinity'::float8)`, tie: 'seq' },
  uncertainty: { key: 'uncertainty::float8', tie: 'seq' },
  newest: { key: '0::float8', tie: '-seq' },
  least_confident: { key: 'coalesce(model_confidence, 2)', tie: 'seq' },
};

interface PgSummaryRow {
  seq: string;
  id: string;
  query: string;
  image_sha256: string | null;
  image_missing: boolean;
  gold: number | null;
  model_status: CaseSummary['modelStatus'];
  model_risk: number | null;
  model_confidence: number | null;
  model_category: string | null;
  human_risk: number | null;
  human_category: string | null;
  reviewed_by: string | null;
  created_at: Date;
  audit_failure: 'failed' | 'truncated' | null;
}

const SUMMARY_COLUMNS = `seq, id, query, image_sha256, image_missing, gold, model_status, model_risk, model_confidence,
  model_category, human_risk, human_category, reviewed_by, created_at, audit_failure`;

function toCaseSummary(row: PgSummaryRow): CaseSummary {
  return {
    id: row.id,
    seq: Number(row.seq),
    queryPreview: queryPreview(row.query),
    hasImage: row.image_sha256 !== null,
    imageMissing: row.image_missing,
    gold: row.gold as RiskLevel | null,
    modelStatus: row.model_status,
    modelRisk: row.model_risk as RiskLevel | null,
    modelConfidence: row.model_confidence,
    modelCategory: row.model_category as Category | null,
    humanRisk: row.human_risk as RiskLevel | null,
    humanCategory: row.human_category as Category | null,
    reviewedBy: row.reviewed_by,
    createdAt: row.created_at.toISOString(),
    auditFailure: row.audit_failure,
  };
}

interface Where {
  sql: string;
  params: unknown[];
}

/** The search box as a tsquery over the `simple` configuration: every word, the last one also as a prefix. */
export function toTsQuery(search: string): string | null {
  const words = searchWords(search);
  if (!words.length) return null;
  // Words hold only letters, digits and underscores, so single quotes cannot be broken out of.
  return words.map((word, index) => `'${word}'${index === words.length - 1 ? ':*' : ''}`).join(' & ');
}

function whereOf(filter: QueueFilter, options: { ignoreStatus?: boolean } = {}): Where {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (!options.ignoreStatus && filter.status && filter.status !== 'all')
    conditions.push(STATUS_CONDITIONS[filter.status]);
  if (filter.modelRisk !== undefined) conditions.push(`model_risk = ${bind(filter.modelRisk)}`);
  if (filter.humanRisk !== undefined) conditions.push(`human_risk = ${bind(filter.humanRisk)}`);
  if (filter.gold !== undefined) conditions.push(`gold = ${bind(filter.gold)}`);
  if (filter.category !== undefined) {
    const category = bind(filter.category);
    conditions.push(`(model_category = ${category} OR human_category = ${category})`);
  }
  if (filter.pack !== undefined)
    conditions.push(`id IN (SELECT case_id FROM pack_cases WHERE pack_id = ${bind(filter.pack)})`);
  if (filter.disputed) conditions.push(`id IN (SELECT case_id FROM case_decisions WHERE basis = 'disputed')`);
  if (filter.needsRationale) {
    // The same rule as the SQLite engine's (and the exporters' corrections) with no analysis to train on.
    conditions.push(
      `id IN (SELECT d.case_id FROM case_decisions d JOIN reviews r ON r.id = d.review_id JOIN cases c ON c.id = d.case_id
        WHERE coalesce(trim(r.analysis), '') = '' AND c.model_status <> 'none'
          AND (c.model_status <> 'ok' OR r.risk <> c.model_risk OR r.category IS DISTINCT FROM c.model_category))`,
    );
  }
  const tsQuery = filter.search ? toTsQuery(filter.search) : null;
  if (tsQuery) conditions.push(`search_simple @@ to_tsquery('simple', guardtrace_unaccent(${bind(tsQuery)}))`);
  return { sql: conditions.length ? conditions.join(' AND ') : 'true', params };
}

export class PostgresQueue {
  constructor(private readonly pool: pg.Pool) {}

  async list(query: QueueQuery): Promise<QueuePage> {
    const sort = query.sort ?? 'newest';
    const where = whereOf(query);
    const limit = Math.min(Math.max(query.limit ?? 100, 1), MAX_PAGE);
    const offset = Math.max(query.offset ?? 0, 0);
    const n = where.params.length;
    return inSnapshot(this.pool, async (client) => {
      const page = await client.query<PgSummaryRow>(
        `SELECT ${SUMMARY_COLUMNS} FROM cases WHERE ${where.sql} ORDER BY ${ORDER_BY[sort]}
         LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...where.params, limit, offset],
      );
      const total = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM cases WHERE ${where.sql}`,
        where.params,
      );
      return { total: Number(total.rows[0].n), offset, rows: page.rows.map(toCaseSummary) };
    });
  }

  /** How many cases each status filter would show, given the other filters: one pass over the matching rows. */
  async counts(filter: QueueFilter): Promise<FilterCounts> {
    const where = whereOf(filter, { ignoreStatus: true });
    const columns = CASE_STATUS_FILTERS.map(
      (status) => `count(*) FILTER (WHERE ${STATUS_CONDITIONS[status]}) AS "${status}"`,
    );
    const row = (
      await this.pool.query<Record<string, string>>(
        `SELECT ${columns.join(', ')} FROM cases WHERE ${where.sql}`,
        where.params,
      )
    ).rows[0];
    return Object.fromEntries(CASE_STATUS_FILTERS.map((status) => [status, Number(row[status])])) as FilterCounts;
  }

  /** The cases before and after `id` in the queue as sorted and filtered; none when the case is not in it. */
  async neighbors(query: QueueQuery & { id: string }): Promise<Neighbors> {
    const { key, tie } = SORT_KEY[query.sort ?? 'newest'];
    const where = whereOf(query);
    const id = `$${where.params.length + 1}`;
    const pair = `(${key}, ${tie})`;
    const own = `(SELECT ${key}, ${tie} FROM cases WHERE id = ${id} AND ${where.sql})`;
    const result = await this.pool.query<{ prev: string | null; next: string | null }>(
      `SELECT
         (SELECT id FROM cases WHERE ${where.sql} AND ${pair} < ${own} ORDER BY ${key} DESC, ${tie} DESC LIMIT 1) AS prev,
         (SELECT id FROM cases WHERE ${where.sql} AND ${pair} > ${own} ORDER BY ${key}, ${tie} LIMIT 1) AS next`,
      [...where.params, query.id],
    );
    return { prev: result.rows[0].prev, next: result.rows[0].next };
  }
}
