// The SQLite half of an import, alone: pre-parsed synthetic cases written in batches exactly as the import worker
// writes them (one transaction per batch: cases, deferred FTS indexing, activity-log entry, batch totals), with
// connection settings and schema variants to compare. Prints wall and CPU time (CPU is the steadier figure on a
// shared machine). docs/store.md, "Import pipeline", has the figures this produced.
//
//   npx tsx test/bench/import-sql.bench.ts                                   # 100,000 cases, 1,000 a batch
//   BENCH_CASES=50000 BATCH=2000 npx tsx test/bench/import-sql.bench.ts
//   PRAGMAS='wal_autocheckpoint=10000' CHECKPOINT=1 npx tsx test/bench/import-sql.bench.ts
//   FTS_OPTIONS='detail=none' npx tsx test/bench/import-sql.bench.ts        # cases_fts rebuilt with that option
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { contentCaseId } from '@main/io/import';
import { CaseStore, type NewCase } from '@main/store/sqlite';
import { nowIso } from '@main/store/sqlite/clock';
import { generateSyntheticCases } from './synthetic-cases';

const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const BATCH = Number(process.env.BATCH ?? 1000);
/** `;`-separated pragmas for the writing connection, e.g. `wal_autocheckpoint=10000;cache_size=-200000`. */
const PRAGMAS = (process.env.PRAGMAS ?? '').split(';').filter(Boolean);
/** Extra FTS5 options for cases_fts (the table is dropped and created again with them before the run). */
const FTS_OPTIONS = process.env.FTS_OPTIONS ?? '';
/** Run a PASSIVE checkpoint at the end, inside the timing (as the import worker does). */
const CHECKPOINT = Boolean(process.env.CHECKPOINT);

function syntheticCases(dir: string): NewCase[] {
  const file = path.join(dir, 'cases.jsonl');
  generateSyntheticCases(file, CASES);
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line, i) => {
      const record = JSON.parse(line) as {
        question: string;
        thinking: string;
        response: string;
        gold: NewCase['gold'];
        meta: Record<string, unknown>;
      };
      const fields = { query: record.question, thinking: record.thinking, response: record.response };
      return {
        id: contentCaseId(fields, null),
        ...fields,
        imageSha256: null,
        imageRef: null,
        imageMissing: false,
        gold: record.gold,
        sourceFile: file,
        sourceRecord: i + 1,
        meta: record.meta,
      };
    });
}

function main(): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'guardtrace-import-sql-'));
  try {
    const cases = syntheticCases(dir);
    const store = CaseStore.open(path.join(dir, 'data'));
    for (const pragma of PRAGMAS) store.db.pragma(pragma);
    if (FTS_OPTIONS) {
      store.db.exec(`DROP TABLE cases_fts;
        CREATE VIRTUAL TABLE cases_fts USING fts5(query, thinking, response, content = 'cases', content_rowid = 'seq',
          tokenize = 'unicode61 remove_diacritics 2', ${FTS_OPTIONS})`);
    }
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const batchId = store.transaction(() => store.importBatches.begin('bench', 'jsonl', 'bench'));
    for (let first = 0; first < cases.length; first += BATCH) {
      const batch = cases.slice(first, first + BATCH);
      store.transaction(() => {
        const createdAt = nowIso();
        store.cases.withDeferredFtsIndexing(() => {
          for (const c of batch) store.cases.insert(c, batchId, createdAt);
        });
        store.activityLog.append({
          actor: 'bench',
          action: 'import',
          after: { records: [first + 1, first + batch.length] },
        });
        store.importBatches.recordTotals(batchId, { imported: first + batch.length, duplicates: 0, rejected: 0 });
      });
    }
    if (CHECKPOINT) store.db.pragma('wal_checkpoint(PASSIVE)');
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const searchable = store.cases.counts({ search: 'case' }).all;
    store.close();
    if (searchable !== CASES) throw new Error(`search found ${searchable} of ${CASES} cases`);
    console.log(
      `${CASES.toLocaleString('en')} cases, ${BATCH}/batch, pragmas [${PRAGMAS.join('; ')}], fts [${FTS_OPTIONS}]` +
        `${CHECKPOINT ? ', final checkpoint' : ''}: wall ${(ms / 1000).toFixed(2)} s (${Math.round(CASES / (ms / 1000)).toLocaleString('en')} cases/s), ` +
        `CPU user ${(cpu.user / 1e6).toFixed(2)} s + system ${(cpu.system / 1e6).toFixed(2)} s; load average ${os.loadavg()[0].toFixed(2)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
