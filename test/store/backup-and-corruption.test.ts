// `guardtrace backup` (SQLite's online backup) restored into a fresh folder and opened; the app's daily backups
// keep the newest N; a database that fails quick_check is opened for reading only and refuses every write.
import { copyFileSync, mkdirSync, openSync, readdirSync, statSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type CliIo } from '@main/cli/main';
import { CaseStore } from '@main/store/sqlite';
import { dailyBackup } from '@main/store/sqlite/backup';
import { DATABASE_FILE } from '@main/store/sqlite/open-database';
import { newCase } from '../helpers/store-fixtures';
import { tempDir } from '../helpers/temp-dir';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), interactive: false };
  return { code: await main(args, io), stdout, stderr };
}

function filledStore(dataDir: string, cases = 300): CaseStore {
  const store = CaseStore.open(dataDir);
  store.transaction(() => {
    for (let i = 0; i < cases; i++)
      store.cases.insert(
        newCase(`case-${i}`, { query: `query ${i} `.repeat(40), response: `r ${i} `.repeat(40) }),
        null,
      );
  });
  store.reviews.submit({ caseId: 'case-1', risk: 1, reviewer: 'ann' });
  return store;
}

describe('backup', () => {
  it('`guardtrace backup --out FILE` copies the database while it is open, and the copy restores and opens', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const store = filledStore(dataDir); // left open, as the app would be
    const out = path.join(tempDir(), 'backup.sqlite');
    const result = await cli(['backup', '--out', out, '--data-dir', dataDir, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ out, bytes: statSync(out).size });
    store.reviews.submit({ caseId: 'case-8', risk: 0, reviewer: 'ann' }); // after the backup: not in it
    store.close();

    const restored = path.join(tempDir(), 'restored');
    mkdirSync(restored);
    copyFileSync(out, path.join(restored, DATABASE_FILE));
    const reopened = CaseStore.open(restored);
    try {
      expect(reopened.metrics.stats()).toMatchObject({ cases: 300, reviewed: 1 });
      expect(reopened.caseDetail('case-1').currentReview).toMatchObject({ risk: 1, reviewer: 'ann' });
      expect(reopened.caseDetail('case-8').currentReview).toBeNull();
      reopened.reviews.submit({ caseId: 'case-9', risk: 0.5, reviewer: 'bob' }); // writable again
    } finally {
      reopened.close();
    }
    expect(readdirSync(path.dirname(out))).toEqual(['backup.sqlite']); // no temp file left
  });

  it('the daily backup is made once a day and only the newest N are kept', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const store = filledStore(dataDir, 5);
    try {
      for (const day of ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04'])
        expect(await dailyBackup(store.db, dataDir, 3, new Date(`${day}T12:00:00Z`))).not.toBeNull();
      expect(await dailyBackup(store.db, dataDir, 3, new Date('2026-11-04T18:00:00Z'))).toBeNull(); // same day
      expect(readdirSync(path.join(dataDir, 'backups')).sort()).toEqual([
        'guardtrace-2026-11-02.sqlite',
        'guardtrace-2026-11-03.sqlite',
        'guardtrace-2026-11-04.sqlite',
      ]);
    } finally {
      store.close();
    }
  });
});

describe('a corrupt database', () => {
  it('is opened for reading only: every write is refused with how to recover', async () => {
    const dataDir = path.join(tempDir(), 'data');
    filledStore(dataDir, 400).close();
    const file = path.join(dataDir, DATABASE_FILE);
    // Garbage over pages in the middle of the file (table and index b-tree pages), not the header page.
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096 * 4, 0xa5), 0, 4096 * 4, 4096 * 6);
    closeSync(fd);

    const store = CaseStore.open(dataDir);
    try {
      expect(() => store.reviews.submit({ caseId: 'case-1', risk: 0, reviewer: 'ann' })).toThrow(
        expect.objectContaining({
          code: 'corrupt',
          message: expect.stringMatching(/is damaged .*To recover: .*backup/),
        }),
      );
      expect(() => store.transaction(() => store.cases.insert(newCase('new'), null))).toThrow(
        expect.objectContaining({ code: 'corrupt' }),
      );
      expect(store.db.pragma('query_only', { simple: true })).toBe(1);
    } finally {
      store.close();
    }
    const review = await cli(['review', 'case-1', '--risk', '0', '--reviewer', 'ann', '--data-dir', dataDir]);
    expect(review.code).not.toBe(0);
    expect(review.stderr).toMatch(/is damaged .*nothing is written to it/);
  });
});

describe('file modes', () => {
  it.skipIf(process.platform === 'win32')('the data folder is 0700, the database and image files 0600', () => {
    const dataDir = path.join(tempDir(), 'data');
    const store = CaseStore.open(dataDir);
    try {
      const sha = store.images.writeFile(Buffer.from('image bytes'));
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(path.join(dataDir, DATABASE_FILE)).mode & 0o777).toBe(0o600);
      expect(statSync(store.images.pathFor(sha)).mode & 0o777).toBe(0o600);
      expect(statSync(path.dirname(store.images.pathFor(sha))).mode & 0o777).toBe(0o700);
    } finally {
      store.close();
    }
  });
});

describe('reading commands', () => {
  it('`stats` and `export` open the database read-only; a new or outdated database is still opened normally', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const fresh = await cli(['stats', '--data-dir', dataDir, '--json']); // no database yet: created
    expect(fresh.code, fresh.stderr).toBe(0);
    filledStore(dataDir, 3).close();
    const readOnly = CaseStore.open(dataDir, { readOnly: true });
    try {
      expect(readOnly.db.readonly).toBe(true);
      expect(readOnly.metrics.stats()).toMatchObject({ cases: 3, reviewed: 1 });
      expect(() => readOnly.reviews.submit({ caseId: 'case-2', risk: 0, reviewer: 'ann' })).toThrow(/readonly/);
    } finally {
      readOnly.close();
    }
    const stats = await cli(['stats', '--data-dir', dataDir, '--json']);
    expect(JSON.parse(stats.stdout)).toMatchObject({ cases: 3 });
    const out = path.join(tempDir(), 'all.jsonl');
    expect((await cli(['export', '--format', 'jsonl', '--out', out, '--data-dir', dataDir])).code).toBe(0);
  });
});
