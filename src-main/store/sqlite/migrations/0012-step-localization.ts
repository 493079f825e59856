import type { Migration } from './migration';

// Step localization (docs/step-localization.md). A search is a job of its own kind: one row per case, model and
// prompt with the queue's state, owner and heartbeat (as migration 0009 gave audit jobs), so it can be cancelled and
// resumed after a kill. Its probes are kept one row per cut, keyed by (search, cut): a probe is never stored twice,
// and a resumed search replays the stored ones instead of running them again. Probes are not verdicts: they never
// touch `audits` or the case's model_* columns. The moderator's step labels are append-only marks (an undo is a new
// mark), like decisions. ADD TABLE only: number 0012 is this branch's reservation.
export const stepLocalization: Migration = {
  version: 12,
  name: 'step-localization',
  up: `
    CREATE TABLE step_searches (
      id                INTEGER PRIMARY KEY,
      case_id           TEXT NOT NULL REFERENCES cases (id),
      method            TEXT NOT NULL CHECK (method IN ('prefix-search')),
      status            TEXT NOT NULL CHECK (status IN ('queued', 'running', 'located', 'not_monotone', 'not_flagged', 'no_steps', 'failed', 'cancelled')),
      step_count        INTEGER NOT NULL,
      segmenter_version INTEGER NOT NULL,
      trace_sha256      TEXT NOT NULL,
      located_step      INTEGER,
      located_offset    INTEGER,
      engine            TEXT NOT NULL,
      model_id          TEXT NOT NULL,
      model_sha256      TEXT,
      mmproj_sha256     TEXT,
      prompt_sha256     TEXT NOT NULL,
      profile_id        TEXT NOT NULL,
      attempts          INTEGER NOT NULL DEFAULT 0,
      last_error        TEXT,
      owner_pid         INTEGER,
      owner_token       TEXT,
      heartbeat_at      TEXT,
      created_at        TEXT NOT NULL,
      updated_at        TEXT NOT NULL,
      CHECK ((status = 'located') = (located_step IS NOT NULL))
    ) STRICT;
    CREATE UNIQUE INDEX step_searches_one_per_model ON step_searches (case_id, model_id, prompt_sha256);
    CREATE INDEX step_searches_status ON step_searches (status, id);

    CREATE TABLE step_probes (
      search_id            INTEGER NOT NULL REFERENCES step_searches (id),
      cut                  INTEGER NOT NULL,
      status               TEXT NOT NULL CHECK (status IN ('ok', 'parse_failure', 'truncated')),
      risk                 REAL,
      flagged              INTEGER NOT NULL CHECK (flagged IN (0, 1)),
      level_probs          TEXT,
      prompt_tokens        INTEGER NOT NULL,
      cached_prompt_tokens INTEGER NOT NULL,
      generated_tokens     INTEGER NOT NULL,
      total_ms             REAL NOT NULL,
      raw_output           TEXT NOT NULL,
      created_at           TEXT NOT NULL,
      PRIMARY KEY (search_id, cut)
    ) STRICT;

    CREATE TABLE step_marks (
      id             INTEGER PRIMARY KEY,
      case_id        TEXT NOT NULL REFERENCES cases (id),
      kind           TEXT NOT NULL CHECK (kind IN ('step', 'none', 'undo')),
      step_index     INTEGER,
      step_offset    INTEGER,
      trace_sha256   TEXT NOT NULL,
      reviewer       TEXT NOT NULL,
      undoes_mark_id INTEGER REFERENCES step_marks (id),
      created_at     TEXT NOT NULL,
      CHECK ((kind = 'step') = (step_offset IS NOT NULL)),
      CHECK ((kind = 'undo') = (undoes_mark_id IS NOT NULL))
    ) STRICT;
    CREATE INDEX step_marks_case ON step_marks (case_id, id);
    CREATE UNIQUE INDEX step_marks_undone_once ON step_marks (undoes_mark_id) WHERE undoes_mark_id IS NOT NULL;
    CREATE TRIGGER step_marks_append_only_update BEFORE UPDATE ON step_marks
      BEGIN SELECT RAISE(ABORT, 'step_marks is append-only: record an undo instead'); END;
    CREATE TRIGGER step_marks_append_only_delete BEFORE DELETE ON step_marks
      BEGIN SELECT RAISE(ABORT, 'step_marks is append-only: record an undo instead'); END;
  `,
};
