// The import as the app runs it: on a worker thread with its own connection. Same summary and errors as importFile,
// every imported case searchable as soon as it reports done, and the CLI works from any current directory.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { IoError } from '@main/io/import';
import { importFileOffThread } from '@main/io/import/off-thread';
import { CaseStore } from '@main/store/sqlite';
import { newCase } from '../helpers/store-fixtures';
import { REPO_ROOT, tempDir } from '../helpers/temp-dir';

const lines = [
  JSON.stringify({ id: 'a', question: 'how to pick a lock', thinking: 'locksmith question', response: 'no' }),
  '{"id": "broken",',
  JSON.stringify({ id: 'b', question: 'bake bread', thinking: 'harmless', response: 'flour, water' }),
  JSON.stringify({ id: 'c', question: '', thinking: 'empty query', response: 'x' }),
];

describe('import on a worker thread', () => {
  it('reports the same per-record errors and leaves every imported case searchable when it returns', async () => {
    const dir = tempDir('guardtrace-import-worker-');
    const file = path.join(dir, 'cases.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const dataDir = path.join(dir, 'data');
    const store = CaseStore.open(dataDir);
    try {
      const progress: number[] = [];
      const summary = await importFileOffThread({ dataDir, batchSize: 2 }, { file, actor: 'ann' }, (p) =>
        progress.push(p.processed),
      );
      expect(summary).toMatchObject({ total: 4, imported: 2, rejected: 2, duplicates: 0 });
      expect(summary.errors.map((e) => e.record)).toEqual([2, 4]);
      expect(progress.at(-1)).toBe(4);
      // The main thread's own connection sees the worker's commits, full-text index included.
      expect(store.cases.list({ search: 'lock' }).rows.map((c) => c.id)).toEqual(['a']);
      expect(store.cases.list({ search: 'flour' }).rows.map((c) => c.id)).toEqual(['b']);
      const again = await importFileOffThread({ dataDir }, { file });
      expect(again).toMatchObject({ imported: 0, duplicates: 2, rejected: 2 });
    } finally {
      store.close();
    }
  });

  it('turns a whole-file problem in the worker into the same IoError', async () => {
    const dir = tempDir('guardtrace-import-worker-');
    const dataDir = path.join(dir, 'data');
    CaseStore.open(dataDir).close();
    const missing = path.join(dir, 'nope.jsonl');
    const error = await importFileOffThread({ dataDir }, { file: missing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IoError);
    expect(error).toMatchObject({ code: 'usage', message: expect.stringContaining('does not exist') });
  });

  it('turns a whole-file problem found by the record reader thread into the same IoError', async () => {
    const dir = tempDir('guardtrace-import-worker-');
    const dataDir = path.join(dir, 'data');
    const notJson = path.join(dir, 'dataset.json');
    writeFileSync(notJson, '[{"question": "unterminated"');
    const csv = path.join(dir, 'cases.csv');
    writeFileSync(csv, 'question,response\nq,r\n');
    for (const [file, expected] of [
      [notJson, 'is not valid JSON'],
      [csv, 'lacks the column(s) thinking'],
    ]) {
      const error = await importFileOffThread({ dataDir }, { file }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IoError);
      expect(error).toMatchObject({ code: 'invalid_file', message: expect.stringContaining(expected) });
    }
    const store = CaseStore.open(dataDir);
    try {
      expect(store.cases.counts({}).all).toBe(0);
    } finally {
      store.close();
    }
  });

  it('lets decisions of the importing process in before its next batch, however far the reader has read ahead', async () => {
    const dir = tempDir('guardtrace-import-worker-');
    const dataDir = path.join(dir, 'data');
    const file = path.join(dir, 'many.jsonl');
    const trace = Array.from({ length: 150 }, (_, i) => `step${i % 37}`).join(' ');
    const records = Array.from({ length: 20_000 }, (_, i) =>
      JSON.stringify({ id: `m${i}`, question: `question ${i}`, thinking: trace, response: `answer ${i}` }),
    );
    writeFileSync(file, records.join('\n') + '\n');
    const store = CaseStore.open(dataDir);
    const decided = ['d1', 'd2', 'd3', 'd4', 'd5'];
    store.transaction(() => {
      for (const id of decided) store.cases.insert(newCase(id), null);
    });
    const importBatchesCommitted = (beforeLogId = Number.MAX_SAFE_INTEGER) =>
      store.db
        .prepare<[number], number>("SELECT count(*) FROM audit_log WHERE action = 'import' AND id < ?")
        .pluck()
        .get(beforeLogId)!;
    try {
      const asked: number[] = [];
      const summary = await importFileOffThread({ dataDir, batchSize: 1000 }, { file }, (progress) => {
        if (asked.length === decided.length || progress.processed < 2000 * (asked.length + 1)) return;
        asked.push(importBatchesCommitted());
        store.reviews.submit({ caseId: decided[asked.length - 1], risk: 1, analysis: 'harmful', reviewer: 'ann' });
      });
      expect(summary).toMatchObject({ imported: 20_000, rejected: 0 });
      expect(asked).toHaveLength(decided.length);
      // Import batches committed between asking and the decision's commit: at most the one in flight, and one that
      // began in the instant between the worker's look and the decision's request for the lock.
      const overtaking = decided.map((id, i) => {
        const logId = store.db
          .prepare<[string], number>('SELECT min(id) FROM audit_log WHERE case_id = ?')
          .pluck()
          .get(id)!;
        return importBatchesCommitted(logId) - asked[i];
      });
      expect(Math.max(...overtaking)).toBeLessThanOrEqual(2);
      expect(importBatchesCommitted()).toBe(20);
    } finally {
      store.close();
    }
  }, 60_000);

  it('works from the CLI started in another directory (the worker finds tsx from the sources, not the cwd)', async () => {
    const dir = tempDir('guardtrace-import-worker-cwd-');
    writeFileSync(path.join(dir, 'cases.jsonl'), lines[0] + '\n');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(REPO_ROOT, 'src-main/cli/bin.mjs'), 'import', 'cases.jsonl', '--data-dir', 'data', '--json'],
      { cwd: dir },
    );
    expect(JSON.parse(stdout.split('\n')[0])).toMatchObject({ imported: 1, rejected: 0 });
  }, 60_000);
});
