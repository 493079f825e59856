// Online backups with SQLite's backup API: consistent while the app or an audit keeps writing, unlike a file copy
// of a WAL database. Written to a temp file beside the target, checked, then renamed into place.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { BackupSummary } from '../contract';
import type { Db } from './open-database';
import { StoreError } from '../errors';

export type { BackupSummary };

export async function backupDatabase(db: Db, out: string): Promise<BackupSummary> {
  const started = performance.now();
  const target = path.resolve(out);
  const temp = `${target}.${process.pid}.tmp`;
  try {
    await db.backup(temp);
    const copy = new Database(temp, { fileMustExist: true });
    try {
      // A self-contained file: no -wal/-shm beside it (opening the restored copy switches WAL back on).
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok')
        throw new StoreError('corrupt', `The backup failed its check (${String(check)}); ${out} was not written.`);
    } finally {
      copy.close();
    }
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return { out: target, bytes: statSync(target).size, ms: Math.round(performance.now() - started) };
}

/** The app's daily backup: <dataDir>/backups/guardtrace-YYYY-MM-DD.sqlite, keeping the newest `keep`. */
export async function dailyBackup(db: Db, dataDir: string, keep = 7, now = new Date()): Promise<BackupSummary | null> {
  const dir = path.join(dataDir, 'backups');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = `guardtrace-${now.toISOString().slice(0, 10)}.sqlite`;
  const existing = readdirSync(dir).filter((file) => /^guardtrace-\d{4}-\d{2}-\d{2}\.sqlite$/.test(file));
  const summary = existing.includes(name) ? null : await backupDatabase(db, path.join(dir, name));
  const all = readdirSync(dir)
    .filter((file) => /^guardtrace-\d{4}-\d{2}-\d{2}\.sqlite$/.test(file))
    .sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) rmSync(path.join(dir, old), { force: true });
  return summary;
}
