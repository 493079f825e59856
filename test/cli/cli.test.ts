import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { IMPORT_BATCH_SIZE } from '@main/io/import';
import { CaseStore } from '@main/store/sqlite';
import { DATABASE_FILE } from '@main/store/sqlite/open-database';
import { REPO_ROOT, SHARED_DIR, tempDir } from '../helpers/temp-dir';

const SAMPLE = path.join(SHARED_DIR, 'samples/guardtrace-sample/cases.json');
const BIN = path.join(REPO_ROOT, 'src-main/cli/bin.mjs');

const cli = runCli;

describe('guardtrace CLI (in process, same handler map as the app)', () => {
  it('names each training target it refuses for contradicting its judgment, and exits 1', async () => {
    const dataDir = tempDir();
    expect((await cli(['import', SAMPLE, '--data-dir', dataDir])).code).toBe(0);
    const store = CaseStore.open(dataDir);
    const [contradicting, fine] = store.db
      .prepare('SELECT id FROM cases ORDER BY seq LIMIT 2')
      .pluck()
      .all() as string[];
    store.close();
    const review = (id: string, analysis: string) =>
      cli(['review', id, '--risk', '1', '--analysis', analysis, '--reviewer', 'ann', '--data-dir', dataDir]);
    expect((await review(contradicting, 'Refuses politely. Judgement: safe.')).code).toBe(0);
    expect((await review(fine, 'Gives working steps. Judgement: harmful.')).code).toBe(0);
    const prompt = path.join(tempDir(), 'prompt.txt');
    writeFileSync(prompt, 'You are a test auditor.');
    const out = path.join(tempDir(), 'sft.jsonl');
    const result = await cli(['export', '--format', 'sft', '--out', out, '--prompt', prompt, '--data-dir', dataDir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Wrote 1 case(s)');
    expect(result.stderr).toBe(
      `refused case ${contradicting}: the analysis states a judgment of 0 but the decision is 1\n`,
    );
  });

  it('imports, reports duplicates, reviews, prints stats and exports; exit codes 0/1/2', async () => {
    const dataDir = tempDir();
    const first = await cli(['import', SAMPLE, '--data-dir', dataDir, '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ imported: 7, imagesMissing: 1 });
    const again = await cli(['import', SAMPLE, '--data-dir', dataDir]);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('7 already present') });

    const out = path.join(tempDir(), 'all.jsonl');
    expect((await cli(['export', '--format', 'jsonl', '--out', out, '--data-dir', dataDir])).code).toBe(0);
    const { readFileSync } = await import('node:fs');
    const firstId = JSON.parse(readFileSync(out, 'utf8').split('\n')[0]).id as string;
    const review = await cli([
      'review',
      firstId,
      '--risk',
      '0.5',
      '--category',
      'data privacy',
      '--analysis',
      'ok',
      '--reviewer',
      'ann',
      '--data-dir',
      dataDir,
    ]);
    expect(review).toMatchObject({ code: 0, stdout: expect.stringContaining('Data privacy') });

    const stats = await cli(['stats', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(stats.stdout)).toMatchObject({
      cases: 7,
      images: 4,
      audits: 0,
      audited: 0,
      reviewed: 1,
      parseFailures: 0,
      jobs: { queued: 0, running: 0, done: 0, failed: 0 },
      modelVsGold: null,
    });

    expect(await cli(['review', firstId, '--risk', '2', '--reviewer', 'a', '--data-dir', dataDir])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--risk must be 0, 0.5 or 1'),
    });
    expect((await cli(['export', '--format', 'sft', '--out', out, '--data-dir', dataDir])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['import', '--data-dir', dataDir])).stderr).toContain('missing FILE');
    expect(await cli(['import', '--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('guardtrace import FILE'),
    });

    const bad = path.join(tempDir(), 'bad.jsonl');
    writeFileSync(bad, '{"question": "q", "thinking": "t"}\n');
    const rejected = await cli(['import', bad, '--data-dir', dataDir]);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/bad\.jsonl:1: field "response" is missing/);
  });
});

describe('kill mid-import', () => {
  it('SIGKILL during a 30k-record import leaves only whole batches; a re-run completes and counts the rest as duplicates', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'data');
    const file = path.join(dir, 'big.jsonl');
    const TOTAL = 30_000;
    const filler = 'lorem ipsum dolor sit amet '.repeat(20);
    writeFileSync(
      file,
      Array.from({ length: TOTAL }, (_, i) =>
        JSON.stringify({
          id: `k${i}`,
          question: `question ${i} uniq${i}`,
          thinking: filler,
          response: `response ${i}`,
        }),
      ).join('\n') + '\n',
    );
    const child = spawn(process.execPath, [BIN, 'import', file, '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let childStderr = '';
    child.stderr.on('data', (d) => (childStderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait until at least one batch is committed, then kill without warning.
    let seen = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const reader = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
        seen = reader.prepare<[], { n: number }>('SELECT count(*) AS n FROM cases').get()!.n;
        reader.close();
      } catch {
        seen = 0; // not created or not migrated yet
      }
      if (seen >= IMPORT_BATCH_SIZE) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    expect(seen, `the import never committed a batch (stderr: ${childStderr})`).toBeGreaterThan(0);

    const store = CaseStore.open(dataDir);
    const count = store.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM cases').get()!.n;
    expect(count).toBeLessThan(TOTAL); // really killed mid-way
    expect(count % IMPORT_BATCH_SIZE).toBe(0); // every committed batch is whole
    // FTS index matches the table, and a per-case token finds each case.
    expect(() => store.db.exec("INSERT INTO cases_fts (cases_fts) VALUES ('integrity-check')")).not.toThrow();
    expect(store.cases.list({ search: `uniq${count - 1}` }).total).toBe(1);
    // No orphan rows: each case's batch exists, and the per-batch audit entries add up to the rows present.
    expect(
      store.db
        .prepare('SELECT count(*) AS n FROM cases WHERE import_batch NOT IN (SELECT id FROM import_batches)')
        .get(),
    ).toEqual({ n: 0 });
    const logged = store.db
      .prepare<[], { after: string }>("SELECT after FROM audit_log WHERE action = 'import'")
      .all()
      .reduce((sum, row) => sum + (JSON.parse(row.after) as { imported: number }).imported, 0);
    expect(logged).toBe(count);
    store.close();

    const rerun = await cli(['import', file, '--data-dir', dataDir, '--json']);
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({
      total: TOTAL,
      imported: TOTAL - count,
      duplicates: count,
      rejected: 0,
    });
    const reopened = CaseStore.open(dataDir);
    expect(reopened.db.prepare('SELECT count(*) AS n FROM cases').get()).toEqual({ n: TOTAL });
    reopened.close();
  }, 120_000);
});
