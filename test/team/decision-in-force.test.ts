import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CaseStore } from '@main/store/sqlite';
import { MIGRATIONS } from '@main/store/sqlite/migrations';
import { DATABASE_FILE, applyPragmas, migrate } from '@main/store/sqlite/open-database';
import { newCase, openTempStore } from '../helpers/store-fixtures';
import { tempDir } from '../helpers/temp-dir';

function seeded(): CaseStore {
  const store = openTempStore();
  store.transaction(() => {
    for (const id of ['a', 'b']) store.cases.insert(newCase(id), null);
  });
  return store;
}

describe('the decision in force with several reviewers', () => {
  it('agreeing reviewers keep a decision in force; a disagreement clears it until adjudicated', () => {
    const store = seeded();
    store.reviews.submit({ caseId: 'a', risk: 1, category: 'Cybersecurity', reviewer: 'ann' });
    expect(store.adjudication.view('a')).toMatchObject({ basis: 'single_reviewer', disputed: false });
    store.reviews.submit({ caseId: 'a', risk: 1, category: 'Cybersecurity', reviewer: 'bob' });
    expect(store.adjudication.view('a')).toMatchObject({ basis: 'agreeing_reviewers' });
    expect(store.caseDetail('a').currentReview).toMatchObject({ reviewer: 'bob', risk: 1 });

    // Same risk, other category on a harmful verdict: a dispute.
    store.reviews.submit({ caseId: 'a', risk: 1, category: 'Hate speech', reviewer: 'bob' });
    expect(store.adjudication.view('a')).toMatchObject({ disputed: true, disagreesOn: ['category'], basis: null });
    expect(store.caseDetail('a').currentReview).toBeNull();
    expect(store.cases.list({ disputed: true }).rows.map((r) => r.id)).toEqual(['a']);
    expect(store.cases.counts({}).reviewed).toBe(0);

    // bob takes it back: his earlier decision agrees with ann again.
    store.reviews.undoLast('bob');
    expect(store.adjudication.view('a')).toMatchObject({ disputed: false, basis: 'agreeing_reviewers' });

    // A risk dispute, settled by an adjudication, which can itself be taken back.
    store.reviews.submit({ caseId: 'a', risk: 0, reviewer: 'bob' });
    expect(store.adjudication.view('a').disagreesOn).toEqual(['risk']);
    store.adjudication.adjudicate({ caseId: 'a', risk: 0.5, category: 'Cybersecurity', reviewer: 'lea', note: 'n' });
    expect(store.caseDetail('a').currentReview).toMatchObject({ kind: 'adjudication', risk: 0.5 });
    expect(store.cases.list({ humanRisk: 0.5 }).rows.map((r) => r.id)).toEqual(['a']);
    expect(store.team.agreement().disputed).toBe(0);
    expect(store.reviews.undoLast('lea')?.kind).toBe('undo');
    expect(store.adjudication.view('a').disputed).toBe(true);
    expect(store.caseDetail('a').history.map((h) => h.action)).toContain('review.adjudicate');
    store.close();
  });

  it('safe verdicts agree whatever category each reviewer left', () => {
    const store = seeded();
    store.reviews.submit({ caseId: 'b', risk: 0, reviewer: 'ann' });
    store.reviews.submit({ caseId: 'b', risk: 0, category: 'Other risks', reviewer: 'bob' });
    expect(store.adjudication.view('b')).toMatchObject({ disputed: false, basis: 'agreeing_reviewers' });
    store.close();
  });

  it('refuses an adjudication it could not use, naming the field', () => {
    const store = seeded();
    expect(() => store.adjudication.adjudicate({ caseId: 'a', risk: 0.7 as 0, reviewer: 'lea' })).toThrow(
      /Risk must be/,
    );
    expect(() => store.adjudication.adjudicate({ caseId: 'a', risk: 0, reviewer: ' ' })).toThrow(/adjudicator/);
    expect(() => store.adjudication.adjudicate({ caseId: 'zz', risk: 0, reviewer: 'lea' })).toThrow(
      /No case with id "zz"/,
    );
    store.close();
  });
});

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
