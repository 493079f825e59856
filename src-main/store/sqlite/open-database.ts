import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { StoreError } from '../errors';
import { MIGRATIONS, type Migration } from './migrations';
import { writeTransaction } from './write-transaction';

export type Db = Database.Database;

export const DATABASE_FILE = 'guardtrace.sqlite';

export interface OpenDatabaseOptions {
  migrations?: readonly Migration[];
  /**
   * A better-sqlite3 addon built for another runtime's ABI. `npm start` runs Electron against node_modules whose
   * better-sqlite3 is built for Node (the CLI and tests need that one), so the app loads an Electron build from here.
   */
  nativeBinding?: string;
  /**
   * For commands that only read (stats, export): open with SQLITE_OPEN_READONLY, so they work on a folder the user
   * cannot write and can never change the database. Falls back to a normal open when there is no database yet or
   * its schema needs migrating (a write the first real command has to do anyway).
   */
  readOnly?: boolean;
}

/** Opens (creating if needed) the case database in dataDir, with the pragmas every connection needs, and migrates it. */
export function openDatabase(dataDir: string, options: OpenDatabaseOptions = {}): Db {
  if (options.readOnly) {
    const db = openReadOnly(dataDir, options);
    if (db) return db;
  }
  // Moderation cases and decisions: readable by this user only (0700 folder, 0600 files; the mode is ignored on Windows).
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, DATABASE_FILE);
  const db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  restrictToOwner(file);
  try {
    applyPragmas(db, file);
    // Found now, not after an import has committed into it: a malformed database is opened for reading only.
    if (refuseWritesIfMalformed(db, file)) return db;
    migrate(db, options.migrations ?? MIGRATIONS, file);
    restrictToOwner(file); // the -wal and -shm files exist by now
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function openReadOnly(dataDir: string, options: OpenDatabaseOptions): Db | null {
  const file = path.join(dataDir, DATABASE_FILE);
  if (!existsSync(file)) return null;
  const db = new Database(file, {
    readonly: true,
    fileMustExist: true,
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
  });
  try {
    const migrations = options.migrations ?? MIGRATIONS;
    const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
    const version = schemaVersion(db);
    if (version < latest) {
      db.close();
      return null;
    }
    migrate(db, migrations, file); // nothing to apply: only refuses a newer schema
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    refuseWritesIfMalformed(db, file);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** 0600 on the database (SQLite creates it, and its -wal/-shm, with the umask's mode). Best effort. */
function restrictToOwner(file: string): void {
  for (const part of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      chmodSync(part, 0o600);
    } catch {
      // not there yet (-wal/-shm), or a file system without modes
    }
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

const malformed = new WeakMap<Db, string>();

/** Why writes are refused on this connection (the database failed quick_check at open), or null. */
export function malformedReason(db: Db): string | null {
  return malformed.get(db) ?? null;
}

/**
 * Runs PRAGMA quick_check (about 130 ms for a 50 MB database on our CI machine). On a malformed database the
 * connection stays open for reading (export what can be read) with query_only on, and every write transaction
 * fails with StoreError('corrupt') saying how to recover. Returns true when the database is malformed.
 */
function refuseWritesIfMalformed(db: Db, file: string): boolean {
  let problems: string[];
  try {
    problems = (db.pragma('quick_check(5)') as Array<{ quick_check: string }>).map((row) => row.quick_check);
  } catch (error) {
    problems = [(error as Error).message];
  }
  if (problems.length === 1 && problems[0] === 'ok') return false;
  malformed.set(
    db,
    `${file} is damaged (SQLite quick_check: ${problems.join('; ').replace(/\s+/g, ' ').slice(0, 500)}), so nothing is written to it. ` +
      'To recover: close GuardTrace, move the data folder aside, and either copy your latest backup ' +
      '(guardtrace backup, or <data folder>/backups/) in as guardtrace.sqlite, or rebuild it with ' +
      '`sqlite3 guardtrace.sqlite ".recover" | sqlite3 recovered.sqlite`. Exports still read what they can.',
  );
  db.pragma('query_only = ON');
  return true;
}

export function schemaVersion(db: Db): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/**
 * Runs each pending migration in its own transaction together with its user_version bump. Each step takes the
 * write lock (BEGIN IMMEDIATE) before it reads user_version: two processes opening a new database at once then
 * run each migration exactly once, the second one finding it already applied.
 */
export function migrate(db: Db, migrations: readonly Migration[], file = 'the database'): number {
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  const refuseIfTooNew = (current: number) => {
    if (current > latest) {
      throw new StoreError(
        'schema_too_new',
        `${file} was written by a newer GuardTrace Workstation (schema ${current}, this version knows up to ${latest}). ` +
          'Update the app, or point --data-dir at another folder. The file was not changed.',
      );
    }
  };
  refuseIfTooNew(schemaVersion(db));
  for (const migration of migrations) {
    if (migration.version <= schemaVersion(db)) continue;
    const foreignKeys = db.pragma('foreign_keys', { simple: true });
    if (migration.rebuildsTables) db.pragma('foreign_keys = OFF');
    try {
      writeTransaction(db, () => {
        const current = schemaVersion(db); // under the write lock: another process may have just migrated
        refuseIfTooNew(current);
        if (migration.version <= current) return;
        db.exec(migration.up);
        if (migration.rebuildsTables) {
          const dangling = db.pragma('foreign_key_check') as unknown[];
          if (dangling.length)
            throw new Error(`${dangling.length} rows would reference missing rows after the rebuild`);
        }
        db.pragma(`user_version = ${migration.version}`);
      });
    } catch (error) {
      if (error instanceof StoreError && error.code === 'schema_too_new') throw error;
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
