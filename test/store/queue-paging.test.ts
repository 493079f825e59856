import { describe, expect, it } from 'vitest';
import type { QueueFilter, QueueQuery, QueueSort } from '@domain/cases';
import { CATEGORIES, RISK_LEVELS } from '@domain/types';
import type { CaseStore } from '@main/store/sqlite';
import { toFtsQuery } from '@main/store/sqlite/queue-query';
import { toCaseSummary, type CaseRow } from '@main/store/sqlite/rows';
import { auditResult, newCase, openTempStore } from '../helpers/store-fixtures';

// The queue used to be one `SELECT * … ORDER BY … LIMIT … OFFSET` per page. It now pages over seq through
// covering indexes and probes FTS matches instead of seeking them; these tests hold it to the old results.

const ORDER: Record<QueueSort, string> = {
  model_risk: 'model_risk DESC, seq ASC',
  uncertainty: 'uncertainty ASC, seq ASC',
  newest: 'seq DESC',
  least_confident: 'model_confidence IS NULL, model_confidence ASC, seq ASC',
};
const STATUS: Record<string, string> = {
  all: '1',
  not_audited: "model_status = 'none'",
  audited: "model_status <> 'none'",
  reviewed: 'human_risk IS NOT NULL',
  unreviewed: 'human_risk IS NULL',
  disagree: "human_risk IS NOT NULL AND model_status = 'ok' AND human_risk <> model_risk",
  parse_failure: "model_status = 'parse_failure'",
  truncated: "model_status = 'truncated'",
  // Migration 0008's column, counted from its own partial index.
  audit_failed: 'audit_failure IS NOT NULL',
};

/** The pre-0005 queries, kept verbatim as the reference. */
function referenceWhere(filter: QueueFilter): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.status && filter.status !== 'all') conditions.push(STATUS[filter.status]);
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
  const fts = filter.search ? toFtsQuery(filter.search) : null;
  if (fts) {
    conditions.push('seq IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?)');
    params.push(fts);
  }
  return { sql: conditions.length ? conditions.join(' AND ') : '1', params };
}

function referenceList(store: CaseStore, query: QueueQuery) {
  const where = referenceWhere(query);
  const rows = store.db
    .prepare<unknown[], CaseRow>(
      `SELECT * FROM cases WHERE ${where.sql} ORDER BY ${ORDER[query.sort ?? 'newest']} LIMIT ? OFFSET ?`,
    )
    .all(...where.params, query.limit ?? 100, query.offset ?? 0);
  const total = store.db
    .prepare(`SELECT count(*) FROM cases WHERE ${where.sql}`)
    .pluck()
    .get(...where.params);
  return { total, offset: query.offset ?? 0, rows: rows.map(toCaseSummary) };
}

function referenceNeighbors(store: CaseStore, query: QueueQuery & { id: string }) {
  const where = referenceWhere(query);
  const row = store.db
    .prepare(
      `SELECT prev, next FROM (
         SELECT id, lag(id) OVER w AS prev, lead(id) OVER w AS next FROM cases WHERE ${where.sql}
         WINDOW w AS (ORDER BY ${ORDER[query.sort ?? 'newest']})
       ) WHERE id = ?`,
    )
    .get(...where.params, query.id);
  return row ?? { prev: null, next: null };
}

/** 400 cases with every combination the queue distinguishes: verdicts, parse failures, decisions, gold, categories, words. */
function varied(): CaseStore {
  const store = openTempStore();
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
  const words = ['lock', 'pick', 'bread', 'phish', 'kit', 'bank', 'map'];
  store.transaction(() => {
    for (let i = 0; i < 400; i++) {
      const text = Array.from({ length: 6 }, () => words[Math.floor(random() * words.length)]).join(' ');
      store.cases.insert(
        newCase(`c${i}`, { query: `${text} q${i}`, gold: random() < 0.2 ? null : RISK_LEVELS[i % 3] }),
        null,
      );
    }
  });
  store.transaction(() => {
    for (let i = 0; i < 400; i++) {
      const r = random();
      if (r < 0.3) continue;
      const result = auditResult(
        r < 0.33 ? 'truncated' : r < 0.36 ? 'parse_failure' : RISK_LEVELS[Math.floor(random() * 3)],
      );
      if (result.verdict.status === 'ok' && result.verdict.risk !== 0) result.verdict.category = CATEGORIES[i % 3];
      // Most verdicts carry a confidence; some do not (their case sorts after the others in "least confident").
      if (result.verdict.status === 'ok' && random() < 0.8) {
        const written = result.verdict.risk;
        const chosen = Math.round(random() * 100) / 100;
        result.levelProbs = Object.fromEntries(
          RISK_LEVELS.map((level) => [String(level), level === written ? chosen : (1 - chosen) / 2]),
        );
      }
      store.audits.insert(`c${i}`, result);
    }
    for (let i = 0; i < 400; i += 7) store.auditFailures.record(`c${i}`, 'failed', 'engine error');
    for (let i = 0; i < 400; i += 3) {
      const category = random() < 0.5 ? CATEGORIES[(i + 1) % 3] : null;
      store.reviews.submit({ caseId: `c${i}`, risk: RISK_LEVELS[Math.floor(random() * 3)], category, reviewer: 'ann' });
    }
  });
  return store;
}

describe('queue paging', () => {
  const filters: QueueFilter[] = [
    {},
    ...Object.keys(STATUS).map((status) => ({ status }) as QueueFilter),
    { modelRisk: 1 },
    { humanRisk: 0 },
    { gold: 0.5 },
    { category: CATEGORIES[0] },
    { category: CATEGORIES[1], status: 'unreviewed' },
    { search: 'phish' },
    { search: 'lo' },
    { search: 'bread kit' },
    { search: 'nothingmatches' },
    { search: 'lock', status: 'unreviewed', modelRisk: 0.5 },
    { search: 'bank', category: CATEGORIES[2] },
  ];

  it('returns the same rows, order and totals as the pre-0005 queries for every filter, sort and page', () => {
    const store = varied();
    for (const filter of filters) {
      // Each filter must select something, or the comparison proves little.
      if (filter.search !== 'nothingmatches')
        expect(referenceList(store, filter).total, JSON.stringify(filter)).toBeGreaterThan(0);
      for (const sort of ['model_risk', 'uncertainty', 'newest', 'least_confident'] as const) {
        for (const [offset, limit] of [
          [0, 100],
          [37, 25],
          [390, 100],
        ]) {
          const query: QueueQuery = { ...filter, sort, offset, limit };
          expect(store.cases.list(query), JSON.stringify(query)).toEqual(referenceList(store, query));
        }
      }
    }
  });

  it('finds the same neighbours and per-status counts as the pre-0005 queries', () => {
    const store = varied();
    for (const filter of filters) {
      const where = referenceWhere({ ...filter, status: undefined });
      const reference = store.db
        .prepare<unknown[], Record<string, number | null>>(
          `SELECT ${Object.entries(STATUS)
            .map(([k, c]) => `sum(CASE WHEN ${c} THEN 1 ELSE 0 END) AS "${k}"`)
            .join(', ')} FROM cases WHERE ${where.sql}`,
        )
        .get(...where.params)!;
      expect(store.cases.counts(filter), JSON.stringify(filter)).toEqual(
        Object.fromEntries(Object.entries(reference).map(([k, v]) => [k, v ?? 0])),
      );
      for (const sort of ['model_risk', 'uncertainty', 'newest', 'least_confident'] as const) {
        for (const id of ['c0', 'c1', 'c3', 'c200', 'c399', 'missing']) {
          const query = { ...filter, sort, id };
          expect(store.cases.neighbors(query), JSON.stringify(query)).toEqual(referenceNeighbors(store, query));
        }
      }
    }
  });
});

describe('stats', () => {
  const referenceStats = (store: CaseStore) =>
    store.db
      .prepare(
        `SELECT count(*) AS cases, sum(model_status <> 'none') AS audited, sum(human_risk IS NOT NULL) AS reviewed,
                sum(model_status = 'parse_failure') AS parseFailures, sum(gold IS NOT NULL AND model_status = 'ok') AS goldCompared,
                sum(gold IS NOT NULL AND model_status = 'ok' AND gold = model_risk) AS goldAgree
         FROM cases`,
      )
      .get() as Record<string, number | null>;

  it('adds up to the same figures as the old one-pass query, on a varied and on an empty store', () => {
    for (const store of [varied(), openTempStore()]) {
      const ref = referenceStats(store);
      const compared = ref.goldCompared ?? 0;
      expect(store.metrics.stats()).toMatchObject({
        cases: ref.cases,
        audited: ref.audited ?? 0,
        reviewed: ref.reviewed ?? 0,
        parseFailures: ref.parseFailures ?? 0,
        modelVsGold: compared ? { compared, agreement: (ref.goldAgree ?? 0) / compared } : null,
      });
    }
  });
});
