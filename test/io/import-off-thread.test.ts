// The import as the app runs it: on a worker thread with its own connection. Same summary and errors as importFile,
// every imported case searchable as soon as it reports done, and the CLI works from any current directory.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { IoError } from '@main/io/import';
import { importFileOffThread } from '@main/io/import/off-thread';
import { CaseStore } from '@main/store';
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
