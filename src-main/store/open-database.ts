import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { StoreError } from './errors';
import { MIGRATIONS, type Migration } from './migrations';

export type Db = Database.Database;

export const DATABASE_FILE = 'guardtrace.sqlite';

export interface OpenDatabaseOptions {
  migrations?: readonly Migration[];
  /**
   * A better-sqlite3 addon built for another runtime's ABI. `npm start` runs Electron against node_modules whose
   * better-sqlite3 is built for Node (the CLI and tests need that one), so the app loads an Electron build from here.
   */
  nativeBinding?: string;
}

/** Opens (creating if needed) the case database in dataDir, with the pragmas every connection needs, and migrates it. */
export function openDatabase(dataDir: string, options: OpenDatabaseOptions = {}): Db {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, DATABASE_FILE);
  const db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  try {
    applyPragmas(db, file);
    migrate(db, options.migrations ?? MIGRATIONS, file);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export function applyPragmas(db: Db, file: string): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (String(mode).toLowerCase() !== 'wal') {
    throw new StoreError(
      'wal_unavailable',
      `Could not switch ${file} to write-ahead logging (got "${mode}"). Put the data directory on a local disk, not a network share.`,
    );
  }
  // FULL: a decision acknowledged to the moderator survives a power cut, not only a crash.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -32000');
}

export function schemaVersion(db: Db): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/** Runs each pending migration in its own transaction together with its user_version bump. */
export function migrate(db: Db, migrations: readonly Migration[], file = 'the database'): number {
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  const current = schemaVersion(db);
  if (current > latest) {
    throw new StoreError(
      'schema_too_new',
      `${file} was written by a newer GuardTrace Workstation (schema ${current}, this version knows up to ${latest}). ` +
        'Update the app, or point --data-dir at another folder. The file was not changed.',
    );
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    const apply = db.transaction(() => {
      db.exec(migration.up);
      if (migration.rebuildsTables) {
        const dangling = db.pragma('foreign_key_check') as unknown[];
        if (dangling.length) throw new Error(`${dangling.length} rows would reference missing rows after the rebuild`);
      }
      db.pragma(`user_version = ${migration.version}`);
    });
    const foreignKeys = db.pragma('foreign_keys', { simple: true });
    if (migration.rebuildsTables) db.pragma('foreign_keys = OFF');
    try {
      apply();
    } catch (error) {
      throw new StoreError(
        'migration_failed',
        `Migration ${migration.version} (${migration.name}) failed on ${file}: ${(error as Error).message}. ` +
          'The database was left at the previous version.',
      );
    } finally {
      if (migration.rebuildsTables) db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
    }
  }
  return schemaVersion(db);
}
