// The team database's queue and metrics against the workstation's: the same cases, verdicts, failures and decisions stored in
// both engines through the contract, then every order × filter × search compared row for row (pages, totals, status
// counts) and every case's neighbours compared, and checked against the page itself. A difference is a failure.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import type { CaseSummary, QueueFilter, QueueSort } from '@domain/cases';
import { QUEUE_SORTS } from '@domain/cases';
import { RECIPE_FILTERS } from '@domain/fidelity';
import type { TeamAgreementReport } from '@domain/team';
import type { RiskLevel } from '@domain/types';
import type { ExportRecord, NewCase, Store } from '@main/store/contract';
import type { ExportSelection } from '@domain/io';
import { openStore } from '@main/store/open-store';
import { PostgresBulkImporter } from '@main/store/postgres/bulk-import';
import { PostgresCaseDetails } from '@main/store/postgres/case-details';
import { PostgresDecisionWriter } from '@main/store/postgres/decisions';
import { PostgresExportReader } from '@main/store/postgres/export-reader';
import { PostgresJobQueue } from '@main/store/postgres/job-queue';
import { PostgresMetricsReader } from '@main/store/postgres/metrics';
import { toTsQuery } from '@main/store/postgres/queue';
import { addCases } from '../store-contract/seed';
import { auditResult, newCase, recordAuditFailure, recordVerdicts } from '../helpers/store-fixtures';
import { postgresSkipReason, useTeamDatabase } from '../helpers/postgres-test';
import { tempDir } from '../helpers/temp-dir';

/** A small deterministic generator (mulberry32), so both engines get the same "random" workload on every run. */
function generator(seed: number) {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] };
}

const QUERIES = [
  'how to build a phishing kit for information theft',
  'bake bread for the family',
  '如何处理这个请求？请一步一步说明',
  'step by step instructions for lockpicking',
  'informal chat about the weather',
  'Café owners and naïve résumés',
  'buy cheap pills now',
  '<script>alert(1)</script> forum post',
];
const CATEGORIES = ['Cybersecurity', 'Data privacy', 'Crime and illegal activities'] as const;
const RISKS: RiskLevel[] = [0, 0.5, 1];

interface Workload {
  cases: NewCase[];
  verdicts: Array<{ caseId: string; result: ReturnType<typeof auditResult> }>;
  failures: string[];
  decisions: Array<{
    reviewer: 'ann' | 'ben';
    caseId: string;
    risk: RiskLevel;
    category: string | null;
    analysis?: string;
  }>;
}

function workload(): Workload {
  const random = generator(20261208);
  const load: Workload = { cases: [], verdicts: [], failures: [], decisions: [] };
  for (let i = 1; i <= 60; i++) {
    const id = `q${String(i).padStart(2, '0')}`;
    load.cases.push(
      newCase(id, {
        query: `${random.pick(QUERIES)} #${i}`,
        thinking: random.next() < 0.3 ? 'the user wants information for a forum' : `thinking ${i}`,
        gold: random.next() < 0.4 ? random.pick(RISKS) : null,
        sourceRecord: i,
      }),
    );
    const roll = random.next();
    if (roll < 0.15) {
      if (random.next() < 0.4) load.failures.push(id);
      continue;
    }
    const status = roll < 0.22 ? 'parse_failure' : roll < 0.28 ? 'truncated' : random.pick(RISKS);
    const probs =
      random.next() < 0.3
        ? null
        : { '0': Math.round(random.next() * 1000) / 1000, '0.5': Math.round(random.next() * 1000) / 1000, '1': 0.25 };
    const result = auditResult(status, { levelProbs: probs });
    // Some verdicts made with the reference recipe, for the metrics' recipe filter.
    result.provenance = { ...result.provenance!, reference: random.next() < 0.3 };
    if (result.verdict.status === 'ok' && result.verdict.risk !== 0) result.verdict.category = random.pick(CATEGORIES);
    load.verdicts.push({ caseId: id, result });
    if (random.next() < 0.5) {
      const risk =
        random.next() < 0.6 && status !== 'parse_failure' && status !== 'truncated' ? status : random.pick(RISKS);
      const category = risk === 0 ? null : random.pick(CATEGORIES);
      const analysis = random.next() < 0.5 ? 'the reviewer explains why' : undefined;
      load.decisions.push({ reviewer: 'ann', caseId: id, risk, category, analysis });
      if (random.next() < 0.35) {
        const second = random.next() < 0.5 ? risk : random.pick(RISKS);
        load.decisions.push({
          reviewer: 'ben',
          caseId: id,
          risk: second,
          category: second === 0 ? null : random.next() < 0.7 ? (category ?? 'Data privacy') : random.pick(CATEGORIES),
        });
      }
    }
  }
  return load;
}

const FILTERS: QueueFilter[] = [
  {},
  { status: 'not_audited' },
  { status: 'audited' },
  { status: 'reviewed' },
  { status: 'unreviewed' },
  { status: 'disagree' },
  { status: 'parse_failure' },
  { status: 'truncated' },
  { status: 'audit_failed' },
  { modelRisk: 0.5 },
  { humanRisk: 1 },
  { gold: 0 },
  { category: 'Cybersecurity' },
  { status: 'unreviewed', category: 'Data privacy' },
  { disputed: true },
  { needsRationale: true },
  { search: 'phishing' },
  { search: 'cafe naive' },
  { search: 'for' },
  { search: 'inf' },
  { search: 'step by' },
  { search: '如何处理这个请求' },
  { search: 'forum', status: 'audited', modelRisk: 1 },
  { search: `'; DROP TABLE cases; -- :* & !` },
  { search: '   ' },
];

/** A row as both engines must give it (createdAt is when each engine stored it, so it differs). */
const comparable = ({ createdAt: _createdAt, ...row }: CaseSummary) => row;

describe('toTsQuery', () => {
  it('quotes every word, makes the last a prefix, and drops all query syntax', () => {
    expect(toTsQuery('step by')).toBe(`'step' & 'by':*`);
    expect(toTsQuery(`x'); DROP TABLE cases; -- :* & !`)).toBe(`'x' & 'DROP' & 'TABLE' & 'cases':*`);
    expect(toTsQuery(' ,.; ')).toBeNull();
  });
});

describe.skipIf(postgresSkipReason !== null)(
  `the queue on PostgreSQL equals the queue on SQLite${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`,
  () => {
    const team = useTeamDatabase([
      ['lea', 'lead'],
      ['gpu', 'auditor'],
      ['ann', 'reviewer'],
      ['ben', 'reviewer'],
    ]);
    let sqlite: Store;
    let postgres: PostgresCaseDetails;
    let postgresMetrics: PostgresMetricsReader;

    beforeAll(async () => {
      const load = workload();
      sqlite = await openStore({ kind: 'folder', dataDir: tempDir() });
      const gpu = new PostgresJobQueue(team.pool('gpu'), { pid: process.pid, token: 'equivalence' });
      const pgStore = { imports: new PostgresBulkImporter(team.pool('lea')), jobs: gpu } as unknown as Store;
      for (const store of [sqlite, pgStore]) {
        await addCases(store, load.cases);
        await recordVerdicts(store, load.verdicts);
        for (const id of load.failures) await recordAuditFailure(store, id, 'the engine crashed');
      }
      const writers = {
        ann: new PostgresDecisionWriter(team.pool('ann')),
        ben: new PostgresDecisionWriter(team.pool('ben')),
      };
      for (const { reviewer, ...decision } of load.decisions) {
        const input = { ...decision, category: decision.category as never };
        await sqlite.decisions.submit({ ...input, reviewer });
        await writers[reviewer].submit(input);
      }
      // The lead reads every row; a reviewer's view differs only in whose analyses RLS lets them see.
      postgres = new PostgresCaseDetails(team.pool('lea'));
      postgresMetrics = new PostgresMetricsReader(team.pool('lea'), gpu);
    });
    afterAll(async () => {
      await sqlite?.close();
    });

    it('the workload covers every status, disputes and corrections without a rationale', async () => {
      const counts = await sqlite.cases.counts({});
      for (const status of [
        'not_audited',
        'reviewed',
        'disagree',
        'parse_failure',
        'truncated',
        'audit_failed',
      ] as const)
        expect(counts[status], status).toBeGreaterThan(0);
      expect((await sqlite.cases.list({ disputed: true })).total).toBeGreaterThan(0);
      expect((await sqlite.cases.list({ needsRationale: true })).total).toBeGreaterThan(0);
      expect((await sqlite.cases.list({ search: '如何处理这个请求' })).total).toBeGreaterThan(0);
    });

    it('every order × filter: the same rows in the same order, the same totals, pages and status counts', async () => {
      for (const filter of FILTERS) {
        expect(await postgres.counts(filter), JSON.stringify(filter)).toEqual(await sqlite.cases.counts(filter));
        for (const sort of QUEUE_SORTS) {
          const what = `${sort} ${JSON.stringify(filter)}`;
          const [mine, theirs] = await Promise.all([
            postgres.list({ ...filter, sort, limit: 1000 }),
            sqlite.cases.list({ ...filter, sort, limit: 1000 }),
          ]);
          expect(mine.total, what).toBe(theirs.total);
          expect(mine.rows.map(comparable), what).toEqual(theirs.rows.map(comparable));
          const page = await postgres.list({ ...filter, sort, offset: 7, limit: 7 });
          expect(
            page.rows.map((row) => row.id),
            `${what} page 2`,
          ).toEqual(theirs.rows.slice(7, 14).map((r) => r.id));
          expect(page.total).toBe(theirs.total);
        }
      }
    });

    it("every case's neighbours, in every order, are the rows beside it on the page, as on SQLite", async () => {
      const sorts: QueueSort[] = [...QUEUE_SORTS];
      for (const filter of [{}, { status: 'unreviewed' }, { search: 'for' }, { gold: 0 }] as QueueFilter[]) {
        for (const sort of sorts) {
          const ids = (await sqlite.cases.list({ ...filter, sort, limit: 1000 })).rows.map((row) => row.id);
          for (const [index, id] of ids.entries()) {
            const expected = { prev: ids[index - 1] ?? null, next: ids[index + 1] ?? null };
            const what = `${id} ${sort} ${JSON.stringify(filter)}`;
            expect(await postgres.neighbors({ ...filter, sort, id }), what).toEqual(expected);
            expect(await sqlite.cases.neighbors({ ...filter, sort, id }), what).toEqual(expected);
          }
        }
        // A case outside the filtered queue (or unknown) has no neighbours on either engine.
        expect(await postgres.neighbors({ ...filter, id: 'nope' })).toEqual({ prev: null, next: null });
      }
      const unreviewed = (await sqlite.cases.list({ status: 'reviewed', limit: 1 })).rows[0].id;
      expect(await postgres.neighbors({ status: 'unreviewed', id: unreviewed })).toEqual({ prev: null, next: null });
    });

    it("statistics, metrics, fidelity (each recipe) and reviewer agreement equal the SQLite engine's", async () => {
      // Sums of the same numbers in another order may differ in the last bit: compare to 12 significant digits.
      const rounded = (value: unknown): unknown =>
        JSON.parse(JSON.stringify(value), (_key, v) => (typeof v === 'number' ? Number(v.toPrecision(12)) : v));
      expect(await postgresMetrics.stats()).toEqual(await sqlite.metrics.stats());
      for (const recipe of RECIPE_FILTERS) {
        const [mine, theirs] = [await postgresMetrics.metrics({ recipe }), await sqlite.metrics.metrics({ recipe })];
        expect(rounded(mine), recipe).toEqual(rounded(theirs));
        expect(rounded(await postgresMetrics.fidelity({ recipe })), recipe).toEqual(
          rounded(await sqlite.metrics.fidelity({ recipe })),
        );
      }
      // Both recipe filters found cases to count (so the filter itself was compared, not two empty results).
      for (const recipe of ['reference', 'other'] as const)
        expect((await sqlite.metrics.fidelity({ recipe })).vsHuman.n, recipe).toBeGreaterThan(0);
      // The time between a reviewer's decisions is when each engine stored them, so it is compared as present or not.
      const seconds = (report: TeamAgreementReport) => ({
        ...report,
        reviewers: report.reviewers.map((r) => ({
          ...r,
          medianSecondsPerDecision: r.medianSecondsPerDecision !== null,
        })),
      });
      const team = await sqlite.metrics.teamAgreement();
      expect(team.units).toBeGreaterThan(0);
      expect(team.disputed).toBeGreaterThan(0);
      expect(seconds(await postgresMetrics.teamAgreement())).toEqual(seconds(team));
    });

    it('the export reads the same records from both engines, for every selection', async () => {
      const exports = new PostgresExportReader(team.pool('lea'));
      const read = async (reader: Pick<Store['exports'], 'forEachPage'>, only: ExportSelection) => {
        const records: ExportRecord[] = [];
        await reader.forEachPage(only, (rows) => void records.push(...rows));
        return records;
      };
      // JSON text compared as JSON (jsonb keeps keys in its own order); times are when each engine stored the row.
      const comparable = ({ created_at: _c, model_at: _m, human_at: _h, ...record }: ExportRecord) => ({
        ...record,
        meta: JSON.parse(record.meta),
        model_level_probs: record.model_level_probs && JSON.parse(record.model_level_probs),
        model_provenance: record.model_provenance && JSON.parse(record.model_provenance),
      });
      for (const only of ['all', 'reviewed', 'disagreements'] as const) {
        const theirs = await read(sqlite.exports, only);
        expect(theirs.length, only).toBeGreaterThan(0);
        expect((await read(exports, only)).map(comparable), only).toEqual(theirs.map(comparable));
      }
      // A reviewer's login may not export the store: PostgreSQL refuses before a row is read.
      await expect(read(new PostgresExportReader(team.pool('ann')), 'all')).rejects.toMatchObject({ code: '42501' });
    });
  },
);
