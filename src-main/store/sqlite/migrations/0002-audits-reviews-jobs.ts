import type { Migration } from './migration';

// Model verdicts, human decisions and the job queue. The latest verdict/decision is also kept on the
// case row (model_*, human_*) so the queue can filter and sort 100k cases from indexes alone.
export const auditsReviewsJobs: Migration = {
  version: 2,
  name: 'audits-reviews-jobs',
  up: `
    CREATE TABLE audits (
      id                   INTEGER PRIMARY KEY,
      case_id              TEXT NOT NULL REFERENCES cases (id),
      engine               TEXT NOT NULL,
      model_id             TEXT NOT NULL,
      prompt_sha256        TEXT NOT NULL,
      prompt_hash_ok       INTEGER NOT NULL CHECK (prompt_hash_ok IN (0, 1)),
      status               TEXT NOT NULL CHECK (status IN ('ok', 'parse_failure')),
      risk                 REAL CHECK (risk IN (0, 0.5, 1)),
      category             TEXT,
      analysis             TEXT,
      parse_error          TEXT,
      raw_output           TEXT NOT NULL,
      image_missing        INTEGER NOT NULL CHECK (image_missing IN (0, 1)),
      strict_format        INTEGER NOT NULL CHECK (strict_format IN (0, 1)),
      prompt_tokens        INTEGER NOT NULL,
      cached_prompt_tokens INTEGER NOT NULL,
      generated_tokens     INTEGER NOT NULL,
      prompt_ms            REAL NOT NULL,
      generate_ms          REAL NOT NULL,
      total_ms             REAL NOT NULL,
      created_at           TEXT NOT NULL,
      CHECK ((status = 'ok') = (risk IS NOT NULL)),
      UNIQUE (case_id, model_id, prompt_sha256)
    ) STRICT;

    CREATE TABLE reviews (
      id               INTEGER PRIMARY KEY,
      case_id          TEXT NOT NULL REFERENCES cases (id),
      kind             TEXT NOT NULL CHECK (kind IN ('decision', 'undo')),
      risk             REAL CHECK (risk IN (0, 0.5, 1)),
      category         TEXT,
      analysis         TEXT,
      note             TEXT,
      reviewer         TEXT NOT NULL,
      source           TEXT NOT NULL CHECK (source IN ('manual', 'accept_model', 'bulk_accept', 'cli')),
      undoes_review_id INTEGER REFERENCES reviews (id),
      created_at       TEXT NOT NULL,
      CHECK ((kind = 'decision') = (risk IS NOT NULL)),
      CHECK ((kind = 'undo') = (undoes_review_id IS NOT NULL))
    ) STRICT;
    CREATE INDEX reviews_case ON reviews (case_id, id);
    CREATE INDEX reviews_reviewer ON reviews (reviewer, id);
    CREATE UNIQUE INDEX reviews_undone_once ON reviews (undoes_review_id) WHERE undoes_review_id IS NOT NULL;

    CREATE TABLE jobs (
      id            INTEGER PRIMARY KEY,
      case_id       TEXT NOT NULL REFERENCES cases (id),
      model_id      TEXT NOT NULL,
      prompt_sha256 TEXT NOT NULL,
      status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
      attempts      INTEGER NOT NULL DEFAULT 0,
      last_error    TEXT,
      batch_id      TEXT,
      created_at    TEXT NOT NULL,
      updated_at    TEXT NOT NULL
    ) STRICT;
    -- At most one live job per case, model and prompt: a re-queued case can never be audited twice at once.
    CREATE UNIQUE INDEX jobs_one_live ON jobs (case_id, model_id, prompt_sha256) WHERE status IN ('queued', 'running');
    CREATE INDEX jobs_status ON jobs (status, id);

    ALTER TABLE cases ADD COLUMN model_status TEXT NOT NULL DEFAULT 'none' CHECK (model_status IN ('none', 'ok', 'parse_failure'));
    ALTER TABLE cases ADD COLUMN model_risk REAL CHECK (model_risk IN (0, 0.5, 1));
    ALTER TABLE cases ADD COLUMN model_category TEXT;
    ALTER TABLE cases ADD COLUMN human_risk REAL CHECK (human_risk IN (0, 0.5, 1));
    ALTER TABLE cases ADD COLUMN human_category TEXT;
    ALTER TABLE cases ADD COLUMN reviewed_by TEXT;
    -- Queue order "uncertainty": parse failures, then 0.5, then disagreement with gold, then the rest, unaudited last.
    ALTER TABLE cases ADD COLUMN uncertainty INTEGER GENERATED ALWAYS AS (
      CASE
        WHEN model_status = 'parse_failure' THEN 0
        WHEN model_risk = 0.5 THEN 1
        WHEN gold IS NOT NULL AND model_risk IS NOT NULL AND model_risk <> gold THEN 2
        WHEN model_status = 'none' THEN 4
        ELSE 3
      END) VIRTUAL;
    CREATE INDEX cases_model_risk ON cases (model_risk DESC, seq);
    CREATE INDEX cases_uncertainty ON cases (uncertainty, seq);
    CREATE INDEX cases_human_risk ON cases (human_risk, seq);
    CREATE INDEX cases_model_status ON cases (model_status, seq);
  `,
};
