// The engines the contract suite runs against. Each entry opens a fresh, empty store; the suite runs every
// behaviour test once per entry (describe.each), so a behaviour that differs between engines is a failing test.
// A new engine adds one entry here (the PostgreSQL engine: a throwaway cluster's URL), nothing else.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { OpenStoreOptions, Store } from '@main/store/contract';
import { openStore } from '@main/store/open-store';
import { DATABASE_FILE } from '@main/store/sqlite/open-database';
import { LATEST_SCHEMA_VERSION } from '@main/store/sqlite/migrations';
import { tempDir } from '../helpers/temp-dir';

export interface EngineFactory {
  name: string;
  /** Why this engine cannot run here (then its tests are skipped, visibly), or null. */
  unavailable(): string | null;
  /** A fresh, empty store. */
  open(options?: Pick<OpenStoreOptions, 'levelSchemes'>): Promise<Store>;
  /** A second connection to the same store (another process, another workstation). */
  openAgain(store: Store): Promise<Store>;
  /** A store location whose schema was written by a newer version of the app, and how to open it. */
  openNewerSchema(): Promise<Store>;
}

export const sqliteEngine: EngineFactory = {
  name: 'sqlite',
  unavailable: () => null,
  open: (options) => openStore({ kind: 'folder', dataDir: tempDir() }, options),
  openAgain: (store) => openStore({ kind: 'folder', dataDir: store.describe }),
  openNewerSchema: async () => {
    const dataDir = tempDir();
    mkdirSync(dataDir, { recursive: true });
    const db = new Database(path.join(dataDir, DATABASE_FILE));
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    return openStore({ kind: 'folder', dataDir });
  },
};

export const ENGINE_FACTORIES: EngineFactory[] = [sqliteEngine];

/** Every engine that can run here; the others are listed as skipped with their reason. */
export function engines(): Array<[string, EngineFactory]> {
  return ENGINE_FACTORIES.map((factory) => [factory.name, factory]);
}
