import type { Migration } from './migration';

// Guard-model profiles, reference decoding and confidence (docs/store.md, "Migration 0006"):
// - audits: profile_id (existing rows are GuardTrace-VL verdicts); status 'truncated' (the output hit the token limit:
//   stored, never a verdict); risk no longer limited to 0/0.5/1, since a profile owns its levels and validates them;
//   level_probs (JSON object keyed by level, e.g. {"0":0.91,"0.5":0.06,"1":0.03}) or NULL with level_probs_note;
//   provenance (JSON: engine, file hashes, prompt hash, image budget, decoding settings, app version, reference).
// - cases: model_status also 'truncated'; model_risk, human_risk and gold no longer limited to 0/0.5/1;
//   model_confidence = p(the level the model chose), denormalised like the other model_* columns so "least confident
//   first" pages from an index.
// SQLite cannot drop a CHECK constraint in place: both tables are rebuilt (create, copy, drop, rename), and every
// index and trigger on cases is created again. seq values are kept, so the external-content FTS index stays valid.
export const verdictProfilesProvenance: Migration = {
  version: 6,
  name: 'verdict-profiles-provenance',
  rebuildsTables: true,
  up: `
    CREATE TABLE audits_new (
      id                   INTEGER PRIMARY KEY,
      case_id              TEXT NOT NULL REFERENCES cases (id),
      profile_id           TEXT NOT NULL,
      engine               TEXT NOT NULL,
      model_id             TEXT NOT NULL,
      prompt_sha256        TEXT NOT NULL,
      prompt_hash_ok       INTEGER NOT NULL CHECK (prompt_hash_ok IN (0, 1)),
      status               TEXT NOT NULL CHECK (status IN ('ok', 'parse_failure', 'truncated')),
      risk                 REAL,
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
      level_probs          TEXT CHECK (level_probs IS NULL OR (json_valid(level_probs) AND json_type(level_probs) = 'object')),
      level_probs_note     TEXT,
      provenance           TEXT CHECK (provenance IS NULL OR (json_valid(provenance) AND json_type(provenance) = 'object')),
      CHECK ((status = 'ok') = (risk IS NOT NULL)),
      UNIQUE (case_id, model_id, prompt_sha256)
    ) STRICT;
    INSERT INTO audits_new (id, case_id, profile_id, engine, model_id, prompt_sha256, prompt_hash_ok, status, risk,
        category, analysis, parse_error, raw_output, image_missing, strict_format, prompt_tokens, cached_prompt_tokens,
        generated_tokens, prompt_ms, generate_ms, total_ms, created_at, level_probs, level_probs_note, provenance)
      SELECT id, case_id, 'guardtrace-vl', engine, model_id, prompt_sha256, prompt_hash_ok, status, risk,
        category, analysis, parse_error, raw_output, image_missing, strict_format, prompt_tokens, cached_prompt_tokens,
        generated_tokens, prompt_ms, generate_ms, total_ms, created_at, NULL,
        'stored before confidence was recorded', NULL
      FROM audits;
    DROP TABLE audits;
    ALTER TABLE audits_new RENAME TO audits;

    CREATE TABLE cases_new (
      seq              INTEGER PRIMARY KEY,
      id               TEXT NOT NULL UNIQUE,
      query            TEXT NOT NULL,
      thinking         TEXT NOT NULL,
      response         TEXT NOT NULL,
      image_sha256     TEXT REFERENCES images (sha256),
      image_ref        TEXT,
      image_missing    INTEGER NOT NULL DEFAULT 0 CHECK (image_missing IN (0, 1)),
      gold             REAL,
      source_file      TEXT NOT NULL,
      source_record    INTEGER NOT NULL,
      import_batch     INTEGER REFERENCES import_batches (id),
      meta             TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
      created_at       TEXT NOT NULL,
      model_status     TEXT NOT NULL DEFAULT 'none' CHECK (model_status IN ('none', 'ok', 'parse_failure', 'truncated')),
      model_risk       REAL,
      model_category   TEXT,
      human_risk       REAL,
      human_category   TEXT,
      reviewed_by      TEXT,
      -- Queue order "uncertainty": parse failures and cut-off outputs, then 0.5, then disagreement with gold, then
      -- the rest, unaudited last.
      uncertainty      INTEGER GENERATED ALWAYS AS (
        CASE
          WHEN model_status IN ('parse_failure', 'truncated') THEN 0
          WHEN model_risk = 0.5 THEN 1
          WHEN gold IS NOT NULL AND model_risk IS NOT NULL AND model_risk <> gold THEN 2
          WHEN model_status = 'none' THEN 4
          ELSE 3
        END) VIRTUAL,
      model_confidence REAL CHECK (model_confidence IS NULL OR (model_confidence >= 0 AND model_confidence <= 1))
    ) STRICT;
    INSERT INTO cases_new (seq, id, query, thinking, response, image_sha256, image_ref, image_missing, gold,
        source_file, source_record, import_batch, meta, created_at, model_status, model_risk, model_category,
        human_risk, human_category, reviewed_by, model_confidence)
      SELECT seq, id, query, thinking, response, image_sha256, image_ref, image_missing, gold,
        source_file, source_record, import_batch, meta, created_at, model_status, model_risk, model_category,
        human_risk, human_category, reviewed_by, NULL
      FROM cases;
    DROP TABLE cases;
    ALTER TABLE cases_new RENAME TO cases;

    CREATE INDEX cases_image ON cases (image_sha256) WHERE image_sha256 IS NOT NULL;
    CREATE INDEX cases_gold ON cases (gold, seq);
    CREATE INDEX cases_model_risk ON cases (model_risk DESC, seq);
    CREATE INDEX cases_uncertainty ON cases (uncertainty, seq);
    CREATE INDEX cases_human_risk ON cases (human_risk, seq);
    CREATE INDEX cases_model_status ON cases (model_status, seq);
    CREATE INDEX cases_human_risk_model_risk ON cases (human_risk, model_risk DESC, seq);
    CREATE INDEX cases_model_category ON cases (model_category, seq);
    CREATE INDEX cases_human_category ON cases (human_category, seq);
    CREATE INDEX cases_queue_state ON cases (model_status, human_risk, model_risk, gold, model_category, human_category);
    -- "least confident first": cases with a confidence, lowest first, then the rest.
    CREATE INDEX cases_least_confident ON cases (model_confidence IS NULL, model_confidence, seq);

    CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases WHEN NOT EXISTS (SELECT 1 FROM cases_fts_deferred) BEGIN
      INSERT INTO cases_fts (rowid, query, thinking, response) VALUES (new.seq, new.query, new.thinking, new.response);
    END;
    CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases BEGIN
      INSERT INTO cases_fts (cases_fts, rowid, query, thinking, response) VALUES ('delete', old.seq, old.query, old.thinking, old.response);
    END;
    CREATE TRIGGER cases_fts_update AFTER UPDATE OF query, thinking, response ON cases BEGIN
      INSERT INTO cases_fts (cases_fts, rowid, query, thinking, response) VALUES ('delete', old.seq, old.query, old.thinking, old.response);
      INSERT INTO cases_fts (rowid, query, thinking, response) VALUES (new.seq, new.query, new.thinking, new.response);
    END;
  `,
};
