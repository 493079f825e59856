// Store benchmark: `npm run bench:store`. Generates synthetic cases, imports them through the importer
// (no images), gives some of them verdicts and decisions, then times the queue, search and export paths.
// Prints a table; docs/store.md records the figures with the machine they came from.
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { QueueQuery } from '@domain/cases';
import { CATEGORIES, RISK_LEVELS, type RiskLevel } from '@domain/types';
import type { AuditResult } from '@main/engine/engine';
import { exportCases } from '@main/io/export';
import { importFile } from '@main/io/import';
import { CaseStore } from '@main/store';
import { DATABASE_FILE } from '@main/store/open-database';
import { auditResult } from '../helpers/store-fixtures';

const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const AUDITED_SHARE = 0.6;
const REVIEWED_SHARE = 0.1;
const QUERY_RUNS = 300;

/** Deterministic PRNG (mulberry32) so every run measures the same data. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(42);
const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];

// A vocabulary with a Zipf-like spread: some words are everywhere, most are rare, as in real text.
const VOCABULARY = Array.from(
  { length: 5000 },
  (_, i) => `w${i.toString(36)}${['lock', 'pill', 'cat', 'bank', 'map', 'code', 'fire', 'law'][i % 8]}`,
);
const word = () => VOCABULARY[Math.floor(VOCABULARY.length * random() ** 3)];
const sentence = (words: number) => Array.from({ length: words }, word).join(' ');

function generate(file: string): void {
  const lines: string[] = [];
  for (let i = 0; i < CASES; i++) {
    lines.push(
      JSON.stringify({
        question: `Case ${i}: ${sentence(15)}?`,
        thinking: sentence(70),
        response: sentence(35),
        gold: pick(RISK_LEVELS),
        meta: { source: 'bench', n: i },
      }),
    );
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

// Profile, confidence and provenance as the store fixtures fill them.
const { profileId, levelProbs, levelProbsNote, provenance } = auditResult(0);
const FIXTURE_VERDICT_RECORD = { profileId, levelProbs, levelProbsNote, provenance };

function verdict(risk: RiskLevel | 'parse_failure', i: number): AuditResult {
  const ok = risk !== 'parse_failure';
  return {
    rawOutput: ok ? `"Analysis": synthetic ${i}\n"Judgment": ${risk}` : 'unparseable',
    verdict: ok
      ? { status: 'ok', risk, category: risk === 0 ? null : pick(CATEGORIES), analysis: `synthetic ${i}` }
      : { status: 'parse_failure', error: 'no Judgment', category: null, analysis: null },
    ...FIXTURE_VERDICT_RECORD,
    imageMissing: false,
    engine: 'llama.node',
    modelId: 'bench-model',
    promptSha256: 'bench-prompt',
    promptHashOk: true,
    strictFormat: false,
    promptTokens: 900,
    cachedPromptTokens: 700,
    generatedTokens: 120,
    timings: { promptMs: 100, generateMs: 900, totalMs: 1000 },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function timeQueries(run: () => void): { p50: number; p95: number } {
  for (let i = 0; i < 10; i++) run(); // warm the page cache and statement cache
  const samples: number[] = [];
  for (let i = 0; i < QUERY_RUNS; i++) {
    const started = performance.now();
    run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p95: percentile(samples, 95) };
}

function fileSize(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'guardtrace-bench-'));
  try {
    const source = path.join(dir, 'cases.jsonl');
    let started = performance.now();
    generate(source);
    const generateMs = performance.now() - started;

    const store = CaseStore.open(path.join(dir, 'data'));
    started = performance.now();
    const summary = await importFile(store, { file: source, actor: 'bench' });
    const importSeconds = (performance.now() - started) / 1000;
    if (summary.imported !== CASES)
      throw new Error(`imported ${summary.imported} of ${CASES}: ${JSON.stringify(summary.errors.slice(0, 3))}`);

    const ids = store.db
      .prepare<[], { id: string }>('SELECT id FROM cases ORDER BY seq')
      .all()
      .map((row) => row.id);
    started = performance.now();
    store.transaction(() => {
      for (let i = 0; i < ids.length * AUDITED_SHARE; i++) {
        store.audits.insert(ids[i], verdict(random() < 0.03 ? 'parse_failure' : pick(RISK_LEVELS), i));
      }
    });
    const auditMs = performance.now() - started;
    started = performance.now();
    store.transaction(() => {
      for (let i = 0; i < ids.length * REVIEWED_SHARE; i++) {
        store.reviews.submit({
          caseId: ids[i * 5],
          risk: pick(RISK_LEVELS),
          analysis: `review ${i}`,
          reviewer: pick(['ann', 'bob', 'eve']),
        });
      }
    });
    const reviewMs = performance.now() - started;
    store.db.pragma('optimize');

    const pageQueries: Array<[string, () => QueueQuery]> = [
      ['audited, by model risk, page 1', () => ({ status: 'audited', sort: 'model_risk', limit: 100 })],
      [
        'model risk 1, by model risk, random page',
        () => ({ modelRisk: 1, sort: 'model_risk', limit: 100, offset: Math.floor(random() * 150) * 100 }),
      ],
      [
        'unreviewed, by model risk, random page',
        () => ({ status: 'unreviewed', sort: 'model_risk', limit: 100, offset: Math.floor(random() * 800) * 100 }),
      ],
      ['category, by uncertainty, page 1', () => ({ category: pick(CATEGORIES), sort: 'uncertainty', limit: 100 })],
    ];
    const pageTimes = pageQueries.map(
      ([label, query]) => [label, timeQueries(() => store.cases.list(query()))] as const,
    );
    const searchTimes = timeQueries(() => store.cases.list({ search: word(), sort: 'model_risk', limit: 100 }));
    const searchTwoWords = timeQueries(() =>
      store.cases.list({ search: `${word()} ${word()}`, sort: 'newest', limit: 100 }),
    );
    // What the UI asks for beside each page: the per-status counts of the filter bar, the stats line, the metrics view.
    const countTimes: Array<[string, ReturnType<typeof timeQueries>]> = [
      ['counts per status, no filter', timeQueries(() => store.cases.counts({}))],
      ['counts per status, gold filter', timeQueries(() => store.cases.counts({ gold: pick(RISK_LEVELS) }))],
      ['counts per status, one-word search', timeQueries(() => store.cases.counts({ search: word() }))],
      ['stats', timeQueries(() => store.metrics.stats())],
      ['metrics (agreement, confusion, per category)', timeQueries(() => store.metrics.metrics())],
      [
        'neighbours of a case, unreviewed by model risk',
        timeQueries(() => store.cases.neighbors({ status: 'unreviewed', sort: 'model_risk', id: pick(ids) })),
      ],
    ];

    started = performance.now();
    const exported = await exportCases(store, { format: 'jsonl', out: path.join(dir, 'export.jsonl') });
    const exportSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const exportedCsv = await exportCases(store, { format: 'csv', out: path.join(dir, 'export.csv') });
    const exportCsvSeconds = (performance.now() - started) / 1000;
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const dbFile = path.join(dir, 'data', DATABASE_FILE);
    const dbBytes = fileSize(dbFile) + fileSize(`${dbFile}-wal`);
    store.close();

    const cpu = os.cpus();
    console.log(
      `\nGuardTrace store benchmark — ${CASES.toLocaleString('en')} synthetic cases (no images), ${new Date().toISOString().slice(0, 10)}`,
    );
    console.log(
      `Machine: ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.platform()} ${os.release()}, Node ${process.version}`,
    );
    console.log(
      `Setup: generated the JSONL in ${(generateMs / 1000).toFixed(1)} s; ${Math.round(ids.length * AUDITED_SHARE)} verdicts in ${(auditMs / 1000).toFixed(1)} s; ${Math.round(ids.length * REVIEWED_SHARE)} decisions in ${(reviewMs / 1000).toFixed(1)} s\n`,
    );
    const rows: Array<[string, string, string, boolean | null]> = [
      [
        'import (JSONL → store, 500/transaction)',
        `${Math.round(CASES / importSeconds).toLocaleString('en')} cases/s (${importSeconds.toFixed(2)} s)`,
        '>= 20,000 cases/s',
        CASES / importSeconds >= 20_000,
      ],
      ...pageTimes.map(
        ([label, t]) =>
          [
            `queue page: ${label}`,
            `p50 ${t.p50.toFixed(2)} ms, p95 ${t.p95.toFixed(2)} ms`,
            'p95 <= 10 ms',
            t.p95 <= 10,
          ] as [string, string, string, boolean],
      ),
      [
        'FTS search, one word, by model risk',
        `p50 ${searchTimes.p50.toFixed(2)} ms, p95 ${searchTimes.p95.toFixed(2)} ms`,
        'p95 <= 50 ms',
        searchTimes.p95 <= 50,
      ],
      [
        'FTS search, two words, newest first',
        `p50 ${searchTwoWords.p50.toFixed(2)} ms, p95 ${searchTwoWords.p95.toFixed(2)} ms`,
        'p95 <= 50 ms',
        searchTwoWords.p95 <= 50,
      ],
      ...countTimes.map(
        ([label, t]) =>
          [label, `p50 ${t.p50.toFixed(2)} ms, p95 ${t.p95.toFixed(2)} ms`, '—', null] as [
            string,
            string,
            string,
            null,
          ],
      ),
      [
        `export ${exported.written.toLocaleString('en')} cases to JSONL`,
        `${exportSeconds.toFixed(2)} s`,
        '<= 5 s',
        exportSeconds <= 5,
      ],
      [
        `export ${exportedCsv.written.toLocaleString('en')} cases to CSV`,
        `${exportCsvSeconds.toFixed(2)} s`,
        '—',
        null,
      ],
      [
        'database size (after checkpoint)',
        `${(dbBytes / 2 ** 20).toFixed(1)} MiB (${Math.round(dbBytes / CASES)} B/case)`,
        '—',
        null,
      ],
    ];
    const widths = [0, 1, 2].map((i) =>
      Math.max(...rows.map((row) => String(row[i]).length), ['measure', 'result', 'target'][i].length),
    );
    const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 4)).join(' | ')} |`;
    console.log(line(['measure', 'result', 'target', 'met']));
    console.log(line(widths.map((w) => '-'.repeat(w)).concat('----')));
    for (const [measure, result, target, met] of rows)
      console.log(line([measure, result, target, met === null ? '' : met ? 'yes' : 'NO']));
    console.log('');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
