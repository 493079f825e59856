import type { Migration } from './migration';

// Team review (docs/team-review.md): a stable id for this data folder, assignment packs, decisions imported
// from reviewers, and disputes; `reviews` is rebuilt because its kind CHECK gains 'adjudication' (SQLite cannot
// alter a CHECK) and it gains the pack a decision came from.
//
// The rebuild keeps every row and id. The new table's self-reference (an undo points at the decision it takes
// back) names the new table, and ALTER TABLE … RENAME carries it over: so dropping the old table, whose only
// foreign-key children are its own rows, never trips a foreign-key check (foreign_keys stays ON throughout).
export const teamReview: Migration = {
  version: 7,
  name: 'team-review',
  up: `
    CREATE TABLE store_meta (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT;
    -- Named in every pack this workstation writes; decisions files for another store are refused.
    INSERT INTO store_meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))));

    CREATE TABLE reviews_new (
      id               INTEGER PRIMARY KEY,
      case_id          TEXT NOT NULL REFERENCES cases (id),
      kind             TEXT NOT NULL CHECK (kind IN ('decision', 'undo', 'adjudication')),
      risk             REAL CHECK (risk IN (0, 0.5, 1)),
      category         TEXT,
      analysis         TEXT,
      note             TEXT,
      reviewer         TEXT NOT NULL,
      source           TEXT NOT NULL CHECK (source IN ('manual', 'accept_model', 'bulk_accept', 'cli', 'pack')),
      undoes_review_id INTEGER REFERENCES reviews_new (id),
      created_at       TEXT NOT NULL,
      -- Decisions imported from a reviewer's decisions file: the pack, and the review's id on that workstation.
      pack_id          TEXT,
      origin_id        INTEGER,
      CHECK ((kind IN ('decision', 'adjudication')) = (risk IS NOT NULL)),
      CHECK ((kind = 'undo') = (undoes_review_id IS NOT NULL)),
      CHECK ((source = 'pack') = (pack_id IS NOT NULL AND origin_id IS NOT NULL))
    ) STRICT;
    INSERT INTO reviews_new (id, case_id, kind, risk, category, analysis, note, reviewer, source, undoes_review_id, created_at)
      SELECT id, case_id, kind, risk, category, analysis, note, reviewer, source, undoes_review_id, created_at FROM reviews;
    DROP TABLE reviews;
    ALTER TABLE reviews_new RENAME TO reviews;
    CREATE INDEX reviews_case ON reviews (case_id, id);
    CREATE INDEX reviews_reviewer ON reviews (reviewer, id);
    CREATE UNIQUE INDEX reviews_undone_once ON reviews (undoes_review_id) WHERE undoes_review_id IS NOT NULL;
    -- One row per reviewer-side review: importing the same decisions file twice adds nothing.
    CREATE UNIQUE INDEX reviews_pack_origin ON reviews (pack_id, origin_id) WHERE pack_id IS NOT NULL;

    -- Packs this workstation wrote (issued, lead side) or imported (received, reviewer side).
    CREATE TABLE packs (
      id              TEXT PRIMARY KEY,
      role            TEXT NOT NULL CHECK (role IN ('issued', 'received')),
      source_store_id TEXT NOT NULL,
      reviewer        TEXT NOT NULL,
      show_model      INTEGER NOT NULL CHECK (show_model IN (0, 1)),
      created_at      TEXT NOT NULL,
      created_by      TEXT NOT NULL,
      recorded_at     TEXT NOT NULL,
      file_name       TEXT NOT NULL,
      manifest_sha256 TEXT NOT NULL
    ) STRICT;
    CREATE TABLE pack_cases (
      pack_id     TEXT NOT NULL REFERENCES packs (id),
      case_id     TEXT NOT NULL REFERENCES cases (id),
      case_digest TEXT NOT NULL,
      PRIMARY KEY (pack_id, case_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX pack_cases_case ON pack_cases (case_id, pack_id);

    -- One row per decisions file imported (lead side), for the record; the reviews carry the decisions.
    CREATE TABLE decision_imports (
      id          INTEGER PRIMARY KEY,
      pack_id     TEXT NOT NULL REFERENCES packs (id),
      checksum    TEXT NOT NULL,
      exported_at TEXT NOT NULL,
      imported_at TEXT NOT NULL,
      actor       TEXT NOT NULL,
      imported    INTEGER NOT NULL,
      UNIQUE (pack_id, checksum)
    ) STRICT;

    -- The decision in force on each reviewed case and where it comes from (store/adjudication.ts keeps it):
    -- one reviewer, agreeing reviewers, an adjudication, or none because the reviewers disagree ('disputed').
    CREATE TABLE case_decisions (
      case_id   TEXT PRIMARY KEY REFERENCES cases (id),
      review_id INTEGER REFERENCES reviews (id),
      basis     TEXT NOT NULL CHECK (basis IN ('single_reviewer', 'agreeing_reviewers', 'adjudication', 'disputed')),
      since     TEXT NOT NULL,
      CHECK ((basis = 'disputed') = (review_id IS NULL))
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX case_decisions_basis ON case_decisions (basis, case_id);
    -- Decisions made before team review followed "the latest decision not undone wins"; they keep that meaning.
    INSERT INTO case_decisions (case_id, review_id, basis, since)
      SELECT r.case_id, max(r.id), 'single_reviewer', strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM reviews r
      WHERE r.kind = 'decision' AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes_review_id = r.id)
      GROUP BY r.case_id;
  `,
};
