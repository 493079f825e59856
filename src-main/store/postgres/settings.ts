// Team-wide settings (the contract's SettingsStore): everyone reads them, only a lead changes them (0004).
import type pg from 'pg';
import type { SettingsStore } from '../contract';
import { inTransaction } from './transaction';

export class PostgresSettingsStore implements SettingsStore {
  constructor(private readonly pool: pg.Pool) {}

  async all(): Promise<Record<string, unknown>> {
    const result = await this.pool.query<{ key: string; value: unknown }>(
      'SELECT key, value FROM settings ORDER BY key',
    );
    return Object.fromEntries(result.rows.map((row) => [row.key, row.value]));
  }

  async setMany(values: Record<string, unknown>): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      for (const [key, value] of Object.entries(values)) {
        await client.query(
          'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
          [key, JSON.stringify(value ?? null)],
        );
      }
    });
  }
}
