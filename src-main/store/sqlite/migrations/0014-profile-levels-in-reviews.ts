import type { Migration } from './migration';

// A decision's risk is a level of the guard-model profile that judged the case (store/sqlite/level-schemes.ts), not
// GuardTrace's 0/0.5/1: reviews loses its `risk IN (0, 0.5, 1)` CHECK (kept since 0002 and 0007) and the store
// validates each decision against the case's profile instead. SQLite cannot drop a CHECK in place, so reviews is
// rebuilt as 0007 left it (with 0008's analysis_source), every row and id kept.
export const profileLevelsInReviews: Migration = {
  version: 14,
  name: 'profile-levels-in-reviews',
  rebuildsTables: true,
  up: `
    CREATE TABLE reviews_new (
      id               INTEGER PRIMARY KEY,
      case_id          TEXT NOT NULL REFERENCES cases (id),
      kind             TEXT NOT NULL CHECK (kind IN ('decision', 'undo', 'adjudication')),
      risk             REAL,
      category         TEXT,
      analysis         TEXT,
      note             TEXT,
      reviewer         TEXT NOT NULL,
      source           TEXT NOT NULL CHECK (source IN ('manual', 'accept_model', 'bulk_accept', 'cli', 'pack')),
      undoes_review_id INTEGER REFERENCES reviews_new (id),
      created_at       TEXT NOT NULL,
      pack_id          TEXT,
      origin_id        INTEGER,
      analysis_source  TEXT CHECK (analysis_source IN ('model', 'edited', 'human', 'withheld')),
      CHECK ((kind IN ('decision', 'adjudication')) = (risk IS NOT NULL)),
      CHECK ((kind = 'undo') = (undoes_review_id IS NOT NULL)),
      CHECK ((source = 'pack') = (pack_id IS NOT NULL AND origin_id IS NOT NULL))
    ) STRICT;
    INSERT INTO reviews_new (id, case_id, kind, risk, category, analysis, note, reviewer, source, undoes_review_id,
                             created_at, pack_id, origin_id, analysis_source)
      SELECT id, case_id, kind, risk, category, analysis, note, reviewer, source, undoes_review_id,
             created_at, pack_id, origin_id, analysis_source FROM reviews;
    DROP TABLE reviews;
    ALTER TABLE reviews_new RENAME TO reviews;
    CREATE INDEX reviews_case ON reviews (case_id, id);
    CREATE INDEX reviews_reviewer ON reviews (reviewer, id);
    CREATE UNIQUE INDEX reviews_undone_once ON reviews (undoes_review_id) WHERE undoes_review_id IS NOT NULL;
    CREATE UNIQUE INDEX reviews_pack_origin ON reviews (pack_id, origin_id) WHERE pack_id IS NOT NULL;
  `,
};
