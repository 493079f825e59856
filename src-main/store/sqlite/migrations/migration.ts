export interface Migration {
  /** Becomes PRAGMA user_version once applied; versions are consecutive from 1. */
  version: number;
  name: string;
  /** SQL run inside one transaction together with the user_version bump. */
  up: string;
  /**
   * The migration rebuilds a table other tables reference (create, copy, drop, rename). SQLite's documented procedure
   * needs foreign-key enforcement off while the old table is dropped (PRAGMA foreign_keys cannot change inside a
   * transaction), so the runner turns it off around the transaction and runs PRAGMA foreign_key_check before commit:
   * any dangling reference rolls the whole migration back.
   */
  rebuildsTables?: boolean;
}
