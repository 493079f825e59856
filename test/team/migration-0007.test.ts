import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '@main/store/sqlite/migrations';
import { DATABASE_FILE, applyPragmas, migrate } from '@main/store/sqlite/open-database';
import { tempDir } from '../helpers/temp-dir';

describe('migration 0007', () => {
  it('rebuilds reviews keeping every row and id, and carries the decisions in force over', () => {
    const dir = tempDir();
    const db = new Database(path.join(dir, DATABASE_FILE));
    applyPragmas(db, 'test');
    const before = MIGRATIONS.filter((m) => m.version < 7);
    migrate(db, before);
    const insertCase = db.prepare(
      `INSERT INTO cases (id, query, thinking, response, source_file, source_record, created_at)
       VALUES (?, 'q', 't', 'r', 'f', 1, '2026-01-01T00:00:00Z')`,
    );
    insertCase.run('x');
    insertCase.run('y');
    const review = db.prepare(
      `INSERT INTO reviews (case_id, kind, risk, reviewer, source, undoes_review_id, created_at)
       VALUES (?, ?, ?, ?, 'manual', ?, '2026-01-01T00:00:00Z')`,
    );
    review.run('x', 'decision', 1, 'ann', null); // 1
    review.run('x', 'decision', 0, 'bob', null); // 2: under the old rule the latest wins
    review.run('y', 'decision', 0.5, 'ann', null); // 3
    review.run('y', 'undo', null, 'ann', 3); // 4
    db.prepare("UPDATE cases SET human_risk = 0, reviewed_by = 'bob' WHERE id = 'x'").run();
    const columns = 'id, case_id, kind, risk, category, analysis, note, reviewer, source, undoes_review_id, created_at';
    const rowsBefore = db.prepare(`SELECT ${columns} FROM reviews ORDER BY id`).all();
    migrate(db, MIGRATIONS);
    expect(db.prepare(`SELECT ${columns} FROM reviews ORDER BY id`).all()).toEqual(rowsBefore);
    // The undo's foreign key follows the table to its final name.
    const schema = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'reviews'").pluck().get() as string;
    expect(schema).toMatch(/undoes_review_id INTEGER REFERENCES "reviews" \(id\)/);
    expect(db.prepare('SELECT case_id, review_id, basis FROM case_decisions').all()).toEqual([
      { case_id: 'x', review_id: 2, basis: 'single_reviewer' },
    ]);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.prepare("SELECT value FROM store_meta WHERE key = 'store_id'").pluck().get()).toMatch(/^[0-9a-f]{32}$/);
    expect(() =>
      db
        .prepare(
          `INSERT INTO reviews (case_id, kind, risk, reviewer, source, created_at) VALUES ('x', 'adjudication', NULL, 'l', 'cli', 'now')`,
        )
        .run(),
    ).toThrow(/CHECK constraint/);
    db.close();
  });
});
