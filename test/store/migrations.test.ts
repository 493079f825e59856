import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASE_FILE, applyPragmas, migrate, openDatabase, schemaVersion } from '@main/store/sqlite/open-database';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '@main/store/sqlite/migrations';
import { tempDir } from '../helpers/temp-dir';

function databaseAt(version: number) {
  const dir = tempDir();
  const db = new Database(path.join(dir, DATABASE_FILE));
  applyPragmas(db, 'test');
  migrate(db, MIGRATIONS.slice(0, version));
  return { db, dir };
}

const insertCase = (db: Database.Database, id: string, query = 'how do I pick a lock') =>
  db
    .prepare(
      `INSERT INTO cases (id, query, thinking, response, gold, source_file, source_record, created_at)
       VALUES (?, ?, 'thinking text', 'response text', 0.5, 'cases.json', 1, '2026-01-01T00:00:00Z')`,
    )
    .run(id, query);

describe('migrations', () => {
  it('are numbered consecutively from 1', () => {
    const expected = Array.from({ length: MIGRATIONS.length }, (_, i) => i + 1);
    expect(MIGRATIONS.map((m) => m.version)).toEqual(expected);
    expect(LATEST_SCHEMA_VERSION).toBe(expected.at(-1));
  });

  it('0016 adds trusted_keys to a filled database: one name per key, one key per name, names case-blind', () => {
    const { db } = databaseAt(15);
    insertCase(db, 'kept');
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'trusted_keys'").pluck().get()).toBe(0);
    migrate(db, MIGRATIONS);
    expect(schemaVersion(db)).toBe(16);
    expect(db.prepare('SELECT id FROM cases').pluck().all()).toEqual(['kept']);
    const insert = db.prepare(
      "INSERT INTO trusted_keys (public_key, fingerprint, name, enrolled_at, enrolled_by) VALUES (?, 'f', ?, 'now', 'lea')",
    );
    const key = (c: string) => `${c.repeat(43)}=`;
    insert.run(key('A'), 'ann');
    expect(() => insert.run(key('A'), 'bob')).toThrow(/UNIQUE constraint failed/);
    expect(() => insert.run(key('B'), 'ANN')).toThrow(/UNIQUE constraint failed/);
    expect(() => insert.run('short', 'cy')).toThrow(/CHECK constraint failed/);
    expect(() => insert.run(key('C'), '')).toThrow(/CHECK constraint failed/);
    insert.run(key('B'), 'bob');
    expect(db.prepare('SELECT name FROM trusted_keys ORDER BY name').pluck().all()).toEqual(['ann', 'bob']);
  });

  it('0014 lets a decision carry any level of its profile, keeping every review, id and constraint', () => {
    const db = new Database(path.join(tempDir(), DATABASE_FILE));
    applyPragmas(db, 'test');
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version <= 10),
    );
    db.prepare(
      "INSERT INTO cases (id, query, thinking, response, source_file, source_record, meta, created_at) VALUES ('a', 'q', 't', 'r', 'f', 1, '{}', 'now')",
    ).run();
    const insert = db.prepare(
      "INSERT INTO reviews (case_id, kind, risk, reviewer, source, undoes_review_id, created_at, analysis_source) VALUES ('a', ?, ?, 'ann', 'manual', ?, 'now', ?)",
    );
    insert.run('decision', 0.5, null, 'human');
    insert.run('undo', null, 1, null);
    expect(() => insert.run('decision', 3, null, null)).toThrow(/CHECK constraint failed/);
    migrate(db, MIGRATIONS);
    expect(
      db.prepare('SELECT id, kind, risk, undoes_review_id, analysis_source FROM reviews ORDER BY id').all(),
    ).toEqual([
      { id: 1, kind: 'decision', risk: 0.5, undoes_review_id: null, analysis_source: 'human' },
      { id: 2, kind: 'undo', risk: null, undoes_review_id: 1, analysis_source: null },
    ]);
    insert.run('decision', 3, null, null);
    expect(() => insert.run('decision', null, null, null)).toThrow(/CHECK constraint failed/);
    expect(() => insert.run('undo', null, 1, null)).toThrow(/UNIQUE constraint failed/);
    expect(() => insert.run('decision', 1, null, 'guessed')).toThrow(/CHECK constraint failed/);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('0001 creates STRICT cases and images tables that reject wrongly typed values', () => {
    const { db } = databaseAt(1);
    expect(schemaVersion(db)).toBe(1);
    insertCase(db, 'a');
    expect(() =>
      db
        .prepare(
          `INSERT INTO images (sha256, mime, width, height, bytes, created_at) VALUES (?, 'image/png', 'wide', 1, 1, 'x')`,
        )
        .run('f'.repeat(64)),
    ).toThrow(/cannot store TEXT value in INTEGER column/);
    expect(() => db.prepare("UPDATE cases SET gold = 0.7 WHERE id = 'a'").run()).toThrow(/CHECK constraint/);
    db.close();
  });

  it('0002 adds verdict/decision columns to existing cases without touching their data', () => {
    const { db } = databaseAt(1);
    insertCase(db, 'kept');
    migrate(db, MIGRATIONS.slice(0, 2));
    const row = db
      .prepare("SELECT query, gold, model_status, model_risk, human_risk, uncertainty FROM cases WHERE id = 'kept'")
      .get();
    expect(row).toEqual({
      query: 'how do I pick a lock',
      gold: 0.5,
      model_status: 'none',
      model_risk: null,
      human_risk: null,
      uncertainty: 4,
    });
    // one live job per case/model/prompt
    const job = db.prepare(
      "INSERT INTO jobs (case_id, model_id, prompt_sha256, status, created_at, updated_at) VALUES ('kept', 'm', 'p', 'queued', 'x', 'x')",
    );
    job.run();
    expect(() => job.run()).toThrow(/UNIQUE/);
    db.close();
  });

  it('0003 makes the audit log append-only, enforced by SQL triggers', () => {
    const { db } = databaseAt(3);
    db.prepare(
      "INSERT INTO audit_log (at, actor, action, case_id, after) VALUES ('t', 'ann', 'review.submit', NULL, '{}')",
    ).run();
    expect(() => db.prepare("UPDATE audit_log SET actor = 'mallory'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(db.prepare('SELECT actor FROM audit_log').all()).toEqual([{ actor: 'ann' }]);
    db.close();
  });

  it('0004 indexes the texts of cases that existed before it, and keeps the index in step afterwards', () => {
    const { db } = databaseAt(3);
    insertCase(db, 'old', 'lockpicking before the index');
    migrate(db, MIGRATIONS);
    insertCase(db, 'new', 'lockpicking after the index');
    const search = () =>
      db
        .prepare(
          "SELECT c.id FROM cases_fts JOIN cases c ON c.seq = cases_fts.rowid WHERE cases_fts MATCH 'lockpicking' ORDER BY c.id",
        )
        .all();
    expect(search()).toEqual([{ id: 'new' }, { id: 'old' }]);
    db.prepare("UPDATE cases SET query = 'something else' WHERE id = 'old'").run();
    expect(search()).toEqual([{ id: 'new' }]);
    db.close();
  });

  it('0005 adds the queue indexes and the FTS deferral switch to a filled database, keeping rows and index intact', () => {
    const { db } = databaseAt(4);
    insertCase(db, 'old', 'lockpicking before the indexes');
    db.prepare(
      "UPDATE cases SET model_status = 'ok', model_risk = 1, model_category = 'Cybersecurity', human_risk = 0.5 WHERE id = 'old'",
    ).run();
    const before = db.prepare('SELECT * FROM cases ORDER BY seq').all();
    migrate(db, MIGRATIONS.slice(0, 5));
    expect(schemaVersion(db)).toBe(5);
    expect(db.prepare('SELECT * FROM cases ORDER BY seq').all()).toEqual(before);
    const indexes = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases' AND name NOT LIKE 'sqlite_%'",
      )
      .pluck()
      .all();
    expect(indexes).toEqual(
      expect.arrayContaining([
        'cases_human_risk_model_risk',
        'cases_model_category',
        'cases_human_category',
        'cases_queue_state',
      ]),
    );
    expect(
      db
        .prepare('EXPLAIN QUERY PLAN SELECT seq FROM cases WHERE human_risk IS NULL ORDER BY model_risk DESC, seq ASC')
        .all(),
    ).toEqual([
      expect.objectContaining({ detail: expect.stringContaining('COVERING INDEX cases_human_risk_model_risk') }),
    ]);
    // The switch is off (no row), so a plain insert is still indexed by the trigger.
    expect(db.prepare('SELECT count(*) FROM cases_fts_deferred').pluck().get()).toBe(0);
    insertCase(db, 'new', 'lockpicking after the indexes');
    const search = () =>
      db
        .prepare(
          "SELECT c.id FROM cases_fts JOIN cases c ON c.seq = cases_fts.rowid WHERE cases_fts MATCH 'lockpicking' ORDER BY c.id",
        )
        .pluck()
        .all();
    expect(search()).toEqual(['new', 'old']);
    // rank = 1: also checks the index against the cases table it is built from.
    expect(() => db.exec("INSERT INTO cases_fts (cases_fts, rank) VALUES ('integrity-check', 1)")).not.toThrow();
    // While the switch row exists (only ever inside an import transaction), the trigger stays quiet.
    db.transaction(() => {
      db.prepare('INSERT INTO cases_fts_deferred (one) VALUES (1)').run();
      insertCase(db, 'deferred', 'lockpicking deferred');
      expect(search()).toEqual(['new', 'old']);
      db.prepare(
        "INSERT INTO cases_fts (rowid, query, thinking, response) SELECT seq, query, thinking, response FROM cases WHERE id = 'deferred'",
      ).run();
      db.prepare('DELETE FROM cases_fts_deferred').run();
    })();
    expect(search()).toEqual(['deferred', 'new', 'old']);
    expect(() => db.prepare('INSERT INTO cases_fts_deferred (one) VALUES (2)').run()).toThrow(/CHECK constraint/);
    db.close();
  });

  it('0006 rebuilds audits and cases for profiles, truncated verdicts, confidence and provenance, keeping every row', () => {
    const { db } = databaseAt(5);
    insertCase(db, 'kept', 'lockpicking before the rebuild');
    insertCase(db, 'other', 'bread recipe');
    db.prepare(
      "UPDATE cases SET model_status = 'ok', model_risk = 1, model_category = 'Cybersecurity', human_risk = 0.5, human_category = 'Cybersecurity', reviewed_by = 'ann' WHERE id = 'kept'",
    ).run();
    db.prepare(
      `INSERT INTO audits (case_id, engine, model_id, prompt_sha256, prompt_hash_ok, status, risk, category, analysis,
         raw_output, image_missing, strict_format, prompt_tokens, cached_prompt_tokens, generated_tokens, prompt_ms,
         generate_ms, total_ms, created_at)
       VALUES ('kept', 'llama.node', 'm', 'p', 1, 'ok', 1, 'Cybersecurity', 'bad', 'raw', 0, 0, 10, 0, 5, 1, 1, 2, 't')`,
    ).run();
    db.prepare(
      "INSERT INTO reviews (case_id, kind, risk, reviewer, source, created_at) VALUES ('kept', 'decision', 0.5, 'ann', 'manual', 't')",
    ).run();
    db.prepare(
      "INSERT INTO jobs (case_id, model_id, prompt_sha256, status, created_at, updated_at) VALUES ('other', 'm', 'p', 'queued', 't', 't')",
    ).run();
    const casesBefore = db.prepare('SELECT * FROM cases ORDER BY seq').all();
    const auditsBefore = db.prepare('SELECT * FROM audits ORDER BY id').all();

    migrate(db, MIGRATIONS.slice(0, 6));
    expect(schemaVersion(db)).toBe(6);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    // Every row and value survives; the new columns start empty (existing verdicts were GuardTrace-VL's).
    expect(db.prepare('SELECT * FROM cases ORDER BY seq').all()).toEqual(
      casesBefore.map((row) => ({ ...(row as object), model_confidence: null })),
    );
    expect(db.prepare('SELECT * FROM audits ORDER BY id').all()).toEqual(
      auditsBefore.map((row) => ({
        ...(row as object),
        profile_id: 'guardtrace-vl',
        level_probs: null,
        level_probs_note: 'stored before confidence was recorded',
        provenance: null,
      })),
    );
    expect(db.prepare('SELECT count(*) FROM reviews').pluck().get()).toBe(1);
    expect(db.prepare('SELECT count(*) FROM jobs').pluck().get()).toBe(1);
    expect(db.pragma('foreign_key_check')).toEqual([]);

    // The full-text index still matches the (same-seq) rows, and the rebuilt triggers keep it in step.
    const search = (word: string) =>
      db
        .prepare(
          'SELECT c.id FROM cases_fts JOIN cases c ON c.seq = cases_fts.rowid WHERE cases_fts MATCH ? ORDER BY c.id',
        )
        .pluck()
        .all(word);
    expect(search('lockpicking')).toEqual(['kept']);
    insertCase(db, 'new', 'lockpicking after the rebuild');
    expect(search('lockpicking')).toEqual(['kept', 'new']);
    db.prepare("UPDATE cases SET query = 'changed' WHERE id = 'kept'").run();
    expect(search('lockpicking')).toEqual(['new']);
    expect(() => db.exec("INSERT INTO cases_fts (cases_fts, rank) VALUES ('integrity-check', 1)")).not.toThrow();

    // A profile with other levels fits: levels are the profile's to validate, not the schema's.
    const audit = db.prepare(
      `INSERT INTO audits (case_id, profile_id, engine, model_id, prompt_sha256, prompt_hash_ok, status, risk,
         raw_output, image_missing, strict_format, prompt_tokens, cached_prompt_tokens, generated_tokens, prompt_ms,
         generate_ms, total_ms, created_at, level_probs, level_probs_note, provenance)
       VALUES (?, 'test-four-levels', 'llama.node', ?, 'p', 1, ?, ?, 'raw', 0, 0, 1, 0, 1, 1, 1, 1, 't', ?, NULL, ?)`,
    );
    audit.run('other', 'm2', 'ok', 3, '{"0":0.1,"1":0.1,"2":0.1,"3":0.7}', '{"reference":false}');
    db.prepare(
      "UPDATE cases SET model_status = 'ok', model_risk = 3, human_risk = 2, gold = 3 WHERE id = 'other'",
    ).run();
    audit.run('other', 'm3', 'truncated', null, null, null);
    db.prepare("UPDATE cases SET model_status = 'truncated', model_risk = NULL WHERE id = 'other'").run();
    expect(db.prepare("SELECT uncertainty FROM cases WHERE id = 'other'").pluck().get()).toBe(0);

    // The constraints that are not about levels still hold.
    expect(() => audit.run('other', 'm4', 'bogus', null, null, null)).toThrow(/CHECK constraint/);
    expect(() => audit.run('other', 'm4', 'ok', null, null, null)).toThrow(/CHECK constraint/);
    expect(() => audit.run('other', 'm4', 'truncated', 1, null, null)).toThrow(/CHECK constraint/);
    expect(() => audit.run('other', 'm4', 'ok', 1, 'not json', null)).toThrow(/CHECK constraint/);
    expect(() => audit.run('other', 'm4', 'ok', 1, '[0.5]', null)).toThrow(/CHECK constraint/);
    expect(() => audit.run('other', 'm2', 'ok', 1, null, null)).toThrow(/UNIQUE/);
    expect(() => audit.run('ghost', 'm4', 'ok', 1, null, null)).toThrow(/FOREIGN KEY/);
    expect(() => db.prepare("UPDATE cases SET model_status = 'bogus' WHERE id = 'other'").run()).toThrow(/CHECK/);
    expect(() => db.prepare("UPDATE cases SET model_confidence = 1.5 WHERE id = 'other'").run()).toThrow(/CHECK/);
    expect(() => db.prepare("DELETE FROM cases WHERE id = 'kept'").run()).toThrow(/FOREIGN KEY/);

    // "least confident first" pages from its index.
    expect(
      db
        .prepare(
          'EXPLAIN QUERY PLAN SELECT seq FROM cases ORDER BY model_confidence IS NULL, model_confidence ASC, seq ASC LIMIT 100',
        )
        .all(),
    ).toEqual([expect.objectContaining({ detail: expect.stringContaining('cases_least_confident') })]);
    db.close();
  });

  it('0015 keeps the probes stored before it, with no record of how they ended, and takes only the known endings', () => {
    const { db } = databaseAt(14);
    insertCase(db, 'a');
    db.prepare(
      `INSERT INTO step_searches (case_id, method, status, step_count, segmenter_version, trace_sha256, engine, model_id,
         prompt_sha256, profile_id, created_at, updated_at)
       VALUES ('a', 'prefix-search', 'running', 4, 1, 't', 'e', 'm', 'p', 'guardtrace-vl', 'now', 'now')`,
    ).run();
    const insertProbe = (cut: number, extra: string, value: string) =>
      db
        .prepare(
          `INSERT INTO step_probes (search_id, cut, status, risk, flagged, prompt_tokens, cached_prompt_tokens,
             generated_tokens, total_ms, raw_output, created_at${extra})
           VALUES (1, ${cut}, 'ok', 1, 1, 10, 0, 3, 1, 'r', 'now'${value})`,
        )
        .run();
    insertProbe(2, '', '');
    migrate(db, MIGRATIONS);
    insertProbe(3, ', judgment_stop', ", 'after_judgment'");
    expect(db.prepare('SELECT cut, judgment_stop FROM step_probes ORDER BY cut').all()).toEqual([
      { cut: 2, judgment_stop: null },
      { cut: 3, judgment_stop: 'after_judgment' },
    ]);
    expect(() => insertProbe(4, ', judgment_stop', ", 'somewhere'")).toThrow(/CHECK constraint failed/);
    db.close();
  });

  it('rolls a rebuilding migration back whole when a reference would dangle, and turns foreign keys back on', () => {
    const { db } = databaseAt(5);
    insertCase(db, 'kept');
    db.prepare(
      "INSERT INTO jobs (case_id, model_id, prompt_sha256, status, created_at, updated_at) VALUES ('kept', 'm', 'p', 'queued', 't', 't')",
    ).run();
    const dropsCases = {
      version: 6,
      name: 'loses-a-case',
      rebuildsTables: true,
      up: `CREATE TABLE cases_new (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE) STRICT;
           DROP TABLE cases; ALTER TABLE cases_new RENAME TO cases;`,
    };
    let message = '';
    try {
      migrate(db, [...MIGRATIONS.slice(0, 5), dropsCases]);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/would reference missing rows/);
    expect(schemaVersion(db)).toBe(5);
    expect(db.prepare('SELECT id FROM cases').pluck().all()).toEqual(['kept']);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('refuses a database written by a newer version, and leaves it untouched', () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openDatabase(dir)).toThrow(/newer GuardTrace Workstation.*Update the app/);
    const again = new Database(path.join(dir, DATABASE_FILE));
    expect(again.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION + 1);
    again.close();
  });

  it('rolls a failing migration back whole and keeps the previous version', () => {
    const { db } = databaseAt(1);
    const broken = [
      ...MIGRATIONS.slice(0, 1),
      { version: 2, name: 'broken', up: 'CREATE TABLE half_done (x INTEGER) STRICT; SELECT * FROM no_such_table;' },
    ];
    expect(() => migrate(db, broken)).toThrow(/Migration 2 \(broken\) failed/);
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get()).toBeUndefined();
    db.close();
  });

  it('opens with WAL, foreign keys and full sync on', () => {
    const db = openDatabase(tempDir());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(() =>
      db
        .prepare(
          "INSERT INTO audits (case_id, profile_id, engine, model_id, prompt_sha256, prompt_hash_ok, status, risk, raw_output, image_missing, strict_format, prompt_tokens, cached_prompt_tokens, generated_tokens, prompt_ms, generate_ms, total_ms, created_at) VALUES ('ghost', 'guardtrace-vl', 'e', 'm', 'p', 1, 'ok', 0, '', 0, 0, 0, 0, 0, 0, 0, 0, 't')",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
    db.close();
  });
});
