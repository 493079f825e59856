// The one place an engine is chosen: a data folder opens the SQLite engine, a postgres:// URL a team database.
// Callers outside store/ import only this file and contract.ts (test/architecture/layering.test.ts holds them to it).
import type { OpenStoreOptions, Store, StoreLocation } from './contract';
import { openPostgresStore } from './postgres/postgres-store';
import { openSqliteStore } from './sqlite/sqlite-store';
import { writeIntentBuffer } from './sqlite/write-intent';

export type { OpenStoreOptions, Store, StoreLocation } from './contract';
// Team-database administration, for the CLI's `team init` / `team add-user` and the settings' connection test.
export { DATABASE_URL_ENV, isPostgresUrl, storeUrlFrom, teamAddUser, teamInit, teamWhoAmI } from './postgres/admin';

const DATABASE_URL = /^postgres(ql)?:\/\//i;

/** A `--store`/setting value: a postgres:// URL is a team database, anything else a data folder. */
export function storeLocationOf(value: string): StoreLocation {
  return DATABASE_URL.test(value) ? { kind: 'url', url: value } : { kind: 'folder', dataDir: value };
}

/** The URL with its password replaced, for messages and logs. */
export function redactStoreUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

export async function openStore(location: StoreLocation | string, options: OpenStoreOptions = {}): Promise<Store> {
  const where = typeof location === 'string' ? storeLocationOf(location) : location;
  if (where.kind === 'folder') return openSqliteStore(where.dataDir, options);
  return openPostgresStore(where.url, options);
}

/**
 * This thread's announced writers for `location` (see BulkImporter.writerSignal), for an import started on another
 * thread before this thread has a Store open: SQLite's single write lock is shared by every connection to the file.
 */
export function writerSignalFor(location: StoreLocation): SharedArrayBuffer | null {
  return location.kind === 'folder' ? writeIntentBuffer() : null;
}
