import type { Db } from './open-database';
import { writeTransaction } from './write-transaction';

/** Key/value settings stored as JSON in the database, so they travel with the data directory. */
export class SettingsRepository {
  constructor(private readonly db: Db) {}

  all(): Record<string, unknown> {
    const rows = this.db.prepare<[], { key: string; value: string }>('SELECT key, value FROM settings').all();
    return Object.fromEntries(rows.map((row) => [row.key, JSON.parse(row.value)]));
  }

  setMany(values: Record<string, unknown>): void {
    const upsert = this.db.prepare(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    writeTransaction(this.db, () => {
      for (const [key, value] of Object.entries(values)) {
        if (value !== undefined) upsert.run(key, JSON.stringify(value));
      }
    });
  }
}
