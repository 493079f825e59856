// `npm run bench:team`: the team database (PostgreSQL on loopback, a throwaway cluster with fsync on) beside the
// SQLite workspace, on the same synthetic cases in the same run. Prints a table; docs/team.md records the figures
// with the machine and load they came from. BENCH_CASES=N changes the size (default 100,000).
//
// Measured: import rate (COPY on PostgreSQL, the app's worker-thread import on SQLite), submit-and-next p95 with 1
// and with 20 reviewers at once (PostgreSQL: submit a decision, then claim the next unclaimed case; SQLite: submit),
// commit-to-NOTIFY latency at another client, and one client's memory over 10,000 decisions. Queue page and search
// p95 on PostgreSQL are not measured yet: the engine's CaseReader (queue pages, search) is not built.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { importFileOffThread } from '@main/io/import/off-thread';
import { openStore } from '@main/store/open-store';
import type { NewCase } from '@main/store/contract';
import { PostgresBulkImporter } from '@main/store/postgres/bulk-import';
import { PostgresCaseDetails } from '@main/store/postgres/case-details';
import { TeamChangeListener } from '@main/store/postgres/change-listener';
import { PostgresDecisionWriter } from '@main/store/postgres/decisions';
import { closePool, openPool } from '@main/store/postgres/pool';
import { ReviewClaims } from '@main/store/postgres/review-claims';
import { addTeamUser } from '@main/store/postgres/roles';
import { initTeamDatabase } from '@main/store/postgres/team-setup';
import { startPostgresCluster } from '../helpers/postgres-cluster';
import { generateSyntheticCases, word } from './synthetic-cases';

const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const BATCH = 2_000;
const REVIEWERS = 20;
const DECISIONS_FOR_MEMORY = Math.min(10_000, Math.floor(CASES / 2));
const QUERY_SAMPLES = 60;

type Row = [measure: string, sqlite: string, postgres: string, goal: string];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const p95 = (samples: number[]) =>
  percentile(
    [...samples].sort((a, b) => a - b),
    95,
  );
const ms = (value: number) => `${value.toFixed(1)} ms`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function toNewCases(file: string): NewCase[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line, n) => {
      const record = JSON.parse(line) as {
        question: string;
        thinking: string;
        response: string;
        gold: 0 | 0.5 | 1;
        meta: object;
      };
      return {
        id: `bench-${n}`,
        query: record.question,
        thinking: record.thinking,
        response: record.response,
        imageSha256: null,
        imageRef: null,
        imageMissing: false,
        gold: record.gold,
        sourceFile: 'cases.jsonl',
        sourceRecord: n + 1,
        meta: record.meta as Record<string, unknown>,
      };
    });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'guardtrace-team-bench-'));
  const cluster = await startPostgresCluster({ durable: true });
  const pools: pg.Pool[] = [];
  try {
    const source = path.join(dir, 'cases.jsonl');
    generateSyntheticCases(source, CASES);
    const rows: Row[] = [];

    // SQLite, as the app imports.
    const sqliteImport = await importFileOffThread(
      { dataDir: path.join(dir, 'data') },
      { file: source, actor: 'bench' },
    );
    const sqliteStore = await openStore(path.join(dir, 'data'));
    // Any 200 unaudited cases will do: submit-and-next does not depend on which.
    const sqliteIds = await sqliteStore.cases.unauditedIds('bench-model', 'bench-prompt', 200);

    // PostgreSQL: team init, a lead, REVIEWERS reviewers.
    const database = cluster.createDatabase('bench');
    const admin = new pg.Client({ connectionString: cluster.superuserUrl(database) });
    await admin.connect();
    await initTeamDatabase(admin);
    const passwords: Record<string, string> = {};
    for (const login of ['lead', ...Array.from({ length: REVIEWERS }, (_, i) => `r${i}`)])
      passwords[login] = (
        await addTeamUser(admin, { login, role: login === 'lead' ? 'lead' : 'reviewer', create: true })
      ).oneTimePassword!;
    await admin.end();
    const pool = (login: string, max = 2) => {
      const created = openPool(
        { connectionString: cluster.loginUrl(login, passwords[login], database), max },
        (error) => {
          throw error;
        },
      );
      pools.push(created);
      return created;
    };

    const cases = toNewCases(source);
    const session = await new PostgresBulkImporter(pool('lead')).begin();
    const started = performance.now();
    const totals = { imported: 0, duplicates: 0, rejected: 0 };
    for (let i = 0; i < cases.length; i += BATCH) {
      const items = cases.slice(i, i + BATCH).map((newCase) => ({ newCase }));
      const result = await session.writeBatch({
        file: 'cases.jsonl',
        format: 'jsonl',
        actor: 'lead',
        items,
        rejected: 0,
        records: [i + 1, i + items.length],
        totalsBefore: { ...totals },
      });
      totals.imported += result.imported;
      totals.duplicates += result.duplicates;
    }
    const pgImportMs = performance.now() - started;
    await session.finish();
    if (totals.imported !== CASES) throw new Error(`PostgreSQL imported ${totals.imported} of ${CASES}`);
    rows.push([
      `import ${CASES.toLocaleString('en')} cases`,
      `${Math.round(CASES / (sqliteImport.ms / 1000)).toLocaleString('en')} cases/s`,
      `${Math.round(CASES / (pgImportMs / 1000)).toLocaleString('en')} cases/s (COPY, ${BATCH}/transaction)`,
      '>= 20,000 cases/s',
    ]);

    // Queue page and search: the same pages and searches on both engines (a page of 100, sorted as a moderator
    // would, at offsets across the queue; one and two words of the synthetic vocabulary).
    const pgCases = new PostgresCaseDetails(pool('lead'));
    const sorts = ['newest', 'uncertainty', 'model_risk', 'least_confident'] as const;
    const pageQuery = (i: number) => ({
      sort: sorts[i % sorts.length],
      offset: Math.floor((((i * 7919) % 97) / 97) * (CASES - 100)),
      limit: 100,
      ...(i % 2 ? { status: 'unreviewed' as const } : {}),
    });
    const searchQuery = (i: number) => ({
      search: i % 2 ? word() : `${word()} ${word()}`,
      sort: sorts[i % sorts.length],
      limit: 100,
    });
    const timeBoth = async (query: (i: number) => Parameters<typeof pgCases.list>[0]) => {
      const sqliteTimes: number[] = [];
      const pgTimes: number[] = [];
      for (let i = 0; i < QUERY_SAMPLES; i++) {
        let t = performance.now();
        await sqliteStore.cases.list(query(i));
        sqliteTimes.push(performance.now() - t);
        t = performance.now();
        await pgCases.list(query(i));
        pgTimes.push(performance.now() - t);
      }
      return [sqliteTimes, pgTimes] as const;
    };
    const [sqlitePages, pgPages] = await timeBoth(pageQuery);
    rows.push(['queue page p95 (100 rows, 4 orders)', ms(p95(sqlitePages)), ms(p95(pgPages)), '<= 2x SQLite']);
    const [sqliteSearches, pgSearches] = await timeBoth(searchQuery);
    rows.push(['search p95 (1-2 words, 100 rows)', ms(p95(sqliteSearches)), ms(p95(pgSearches)), '<= 2x SQLite']);

    // Submit-and-next.
    const sqliteSamples: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await sqliteStore.decisions.submit({ caseId: sqliteIds[i], risk: 0, reviewer: 'bench' });
      sqliteSamples.push(performance.now() - t);
    }
    const submitAndNext = async (login: string, count: number): Promise<number[]> => {
      const p = pool(login);
      const writer = new PostgresDecisionWriter(p);
      const claims = new ReviewClaims(p);
      const samples: number[] = [];
      let current = await claims.claimNextUnreviewed();
      for (let i = 0; i < count && current; i++) {
        const t = performance.now();
        await writer.submit({ caseId: current.caseId, risk: 0 });
        current = await claims.claimNextUnreviewed(current.seq);
        samples.push(performance.now() - t);
      }
      return samples;
    };
    const one = await submitAndNext('r0', 200);
    const twenty = (await Promise.all(Array.from({ length: REVIEWERS }, (_, i) => submitAndNext(`r${i}`, 50)))).flat();
    rows.push(['submit-and-next p95, 1 reviewer', ms(p95(sqliteSamples)) + ' (submit)', ms(p95(one)), '—']);
    rows.push([`submit-and-next p95, ${REVIEWERS} reviewers at once`, '—', ms(p95(twenty)), '<= 50 ms']);

    // Commit → NOTIFY at another client.
    let heard: (() => void) | null = null;
    const listener = new TeamChangeListener(
      { connectionString: cluster.loginUrl('lead', passwords.lead, database) },
      { onChange: () => heard?.() },
    );
    await listener.start();
    const notifySamples: number[] = [];
    const writer = new PostgresDecisionWriter(pool('r1'));
    for (let i = 0; i < 200; i++) {
      const arrived = new Promise<void>((resolve) => (heard = resolve));
      await writer.submit({ caseId: `bench-${CASES - 1 - i}`, risk: 1, category: 'Cybersecurity' });
      const committed = performance.now();
      await arrived;
      // From the moment the writer has its acknowledgement (the commit is durable); 0 when the notification came
      // in first.
      notifySamples.push(performance.now() - committed);
    }
    await listener.close();
    rows.push(['commit acknowledged → NOTIFY at another client, p95', '—', ms(p95(notifySamples)), '<= 200 ms']);

    // One client's memory over many decisions.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage();
    const memoryWriter = new PostgresDecisionWriter(pool('r2', 1));
    for (let i = 0; i < DECISIONS_FOR_MEMORY; i++)
      await memoryWriter.submit({
        caseId: `bench-${i * 2 + 1}`,
        risk: 0.5,
        category: 'Data privacy',
        note: randomUUID(),
      });
    gc?.();
    const after = process.memoryUsage();
    rows.push([
      `client memory over ${DECISIONS_FOR_MEMORY.toLocaleString('en')} decisions (heap, rss)`,
      '—',
      `heap ${mib(before.heapUsed)} → ${mib(after.heapUsed)}, rss ${mib(before.rss)} → ${mib(after.rss)}${gc ? '' : ' (no --expose-gc)'}`,
      'no growth',
    ]);
    await sqliteStore.close();

    const widths = [0, 1, 2, 3].map((c) =>
      Math.max(...[['measure', 'SQLite', 'PostgreSQL', 'goal'], ...rows].map((r) => r[c].length)),
    );
    const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
    console.log(
      `cases: ${CASES.toLocaleString('en')}; PostgreSQL ${cluster.version} on loopback (fsync on); load: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log(line(['measure', 'SQLite', 'PostgreSQL', 'goal']));
    console.log(line(widths.map((w) => '-'.repeat(w))));
    for (const row of rows) console.log(line(row));
  } finally {
    await Promise.all(pools.map(closePool));
    cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
