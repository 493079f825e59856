// 0008 only adds columns: existing decisions and cases keep every value, the new columns start NULL and only
// take the values the app writes.
import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '@main/store/sqlite/migrations';
import { applyPragmas, DATABASE_FILE, migrate } from '@main/store/sqlite/open-database';
import { tempDir } from '../helpers/temp-dir';

describe('migration 0008 (review analysis source, case audit failures)', () => {
  it('adds the columns to a filled database without touching its rows, and checks their values', () => {
    const db = new Database(path.join(tempDir(), DATABASE_FILE));
    applyPragmas(db, 'test');
    const before0008 = MIGRATIONS.filter((m) => m.version < 8);
    migrate(db, before0008);
    db.prepare(
      `INSERT INTO cases (id, query, thinking, response, source_file, source_record, created_at)
       VALUES ('old', 'q', 't', 'r', 'cases.json', 1, '2026-01-01T00:00:00Z')`,
    ).run();
    db.prepare(
      `INSERT INTO reviews (case_id, kind, risk, analysis, reviewer, source, created_at)
       VALUES ('old', 'decision', 1, 'kept', 'ann', 'manual', '2026-01-01T00:00:00Z')`,
    ).run();
    const caseBefore = db.prepare('SELECT * FROM cases').get() as Record<string, unknown>;
    migrate(db, MIGRATIONS);
    expect(db.prepare('SELECT * FROM cases').get()).toEqual({
      ...caseBefore,
      audit_failure: null,
      audit_failure_reason: null,
      audit_failed_at: null,
    });
    expect(db.prepare('SELECT analysis, analysis_source FROM reviews').get()).toEqual({
      analysis: 'kept',
      analysis_source: null,
    });
    expect(() => db.prepare("UPDATE reviews SET analysis_source = 'guess'").run()).toThrow(/CHECK/);
    expect(() => db.prepare("UPDATE cases SET audit_failure = 'odd'").run()).toThrow(/CHECK/);
    db.prepare("UPDATE cases SET audit_failure = 'failed', audit_failure_reason = 'too long'").run();
    db.close();
  });
});
