-- The team database's tables, mirroring the SQLite workspace at its schema 10 (src-main/store/migrations/):
-- the same records, the same denormalised model_*/human_* columns on cases so the queue sorts and filters from
-- indexes, with PostgreSQL types (identity keys, timestamptz, jsonb, bytea). What only a team has (who did it,
-- leases, review claims, assignments) is added in the migrations after this one.

CREATE TABLE store_meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
-- Named in every pack this database writes; decisions files for another store are refused.
INSERT INTO store_meta (key, value) VALUES ('store_id', md5(random()::text || clock_timestamp()::text));

-- Images are content-addressed and, unlike the SQLite workspace (files on disk), kept in the database: every
-- workstation reads them from here and caches them locally, verifying the hash. The bytes are stored first
-- (image_data, as ImageStore.put does before any case refers to them), the decoded facts with the case (images).
-- Same 64 MiB cap as the import.
CREATE TABLE image_data (
  sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  data   bytea NOT NULL CHECK (octet_length(data) > 0 AND octet_length(data) <= 67108864)
);
CREATE TABLE images (
  sha256     text PRIMARY KEY REFERENCES image_data (sha256),
  mime       text NOT NULL CHECK (mime IN ('image/png', 'image/jpeg', 'image/webp', 'image/gif')),
  width      integer NOT NULL CHECK (width > 0),
  height     integer NOT NULL CHECK (height > 0),
  bytes      integer NOT NULL CHECK (bytes > 0 AND bytes <= 67108864),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE import_batches (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_file text NOT NULL,
  format      text NOT NULL,
  actor       text NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  imported    integer NOT NULL DEFAULT 0,
  duplicates  integer NOT NULL DEFAULT 0,
  rejected    integer NOT NULL DEFAULT 0
);

-- seq is the stable integer key (newest-first order); id is the source's id or a content hash.
CREATE TABLE cases (
  seq                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id                   text NOT NULL UNIQUE,
  query                text NOT NULL,
  thinking             text NOT NULL,
  response             text NOT NULL,
  image_sha256         text REFERENCES images (sha256),
  image_ref            text,
  image_missing        boolean NOT NULL DEFAULT false,
  gold                 double precision,
  source_file          text NOT NULL,
  source_record        integer NOT NULL,
  import_batch         bigint REFERENCES import_batches (id),
  meta                 jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(meta) = 'object'),
  created_at           timestamptz NOT NULL DEFAULT now(),
  model_status         text NOT NULL DEFAULT 'none' CHECK (model_status IN ('none', 'ok', 'parse_failure', 'truncated')),
  model_risk           double precision,
  model_category       text,
  model_confidence     double precision CHECK (model_confidence IS NULL OR (model_confidence >= 0 AND model_confidence <= 1)),
  human_risk           double precision,
  human_category       text,
  reviewed_by          text,
  audit_failure        text CHECK (audit_failure IN ('failed', 'truncated')),
  audit_failure_reason text,
  audit_failed_at      timestamptz,
  -- Queue order "uncertainty", as in SQLite: parse failures and cut-off outputs, then 0.5, then disagreement with
  -- gold, then the rest, unaudited last.
  uncertainty          smallint GENERATED ALWAYS AS (
    CASE
      WHEN model_status IN ('parse_failure', 'truncated') THEN 0
      WHEN model_risk = 0.5 THEN 1
      WHEN gold IS NOT NULL AND model_risk IS NOT NULL AND model_risk <> gold THEN 2
      WHEN model_status = 'none' THEN 4
      ELSE 3
    END) STORED,
  -- Full-text search: English stems for English text; 'simple' (no stemming, no stop words) for everything else,
  -- CJK included, and for exact words and prefixes as the SQLite workspace matches them.
  search_english       tsvector GENERATED ALWAYS AS (to_tsvector('english', query || ' ' || thinking || ' ' || response)) STORED,
  search_simple        tsvector GENERATED ALWAYS AS (to_tsvector('simple', query || ' ' || thinking || ' ' || response)) STORED
);
CREATE INDEX cases_image ON cases (image_sha256) WHERE image_sha256 IS NOT NULL;
CREATE INDEX cases_gold ON cases (gold, seq);
CREATE INDEX cases_model_risk ON cases (model_risk DESC NULLS LAST, seq);
CREATE INDEX cases_uncertainty ON cases (uncertainty, seq);
CREATE INDEX cases_human_risk ON cases (human_risk, seq);
CREATE INDEX cases_model_status ON cases (model_status, seq);
CREATE INDEX cases_human_risk_model_risk ON cases (human_risk, model_risk DESC NULLS LAST, seq);
CREATE INDEX cases_model_category ON cases (model_category, seq);
CREATE INDEX cases_human_category ON cases (human_category, seq);
CREATE INDEX cases_queue_state ON cases (model_status, human_risk, model_risk, gold, model_category, human_category);
CREATE INDEX cases_least_confident ON cases ((model_confidence IS NULL), model_confidence, seq);
CREATE INDEX cases_audit_failure ON cases (audit_failure, seq) WHERE audit_failure IS NOT NULL;
CREATE INDEX cases_search_english ON cases USING gin (search_english);
CREATE INDEX cases_search_simple ON cases USING gin (search_simple);

CREATE TABLE audits (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id              text NOT NULL REFERENCES cases (id),
  profile_id           text NOT NULL,
  engine               text NOT NULL,
  model_id             text NOT NULL,
  prompt_sha256        text NOT NULL,
  prompt_hash_ok       boolean NOT NULL,
  status               text NOT NULL CHECK (status IN ('ok', 'parse_failure', 'truncated')),
  risk                 double precision,
  category             text,
  analysis             text,
  parse_error          text,
  raw_output           text NOT NULL,
  image_missing        boolean NOT NULL,
  strict_format        boolean NOT NULL,
  prompt_tokens        integer NOT NULL,
  cached_prompt_tokens integer NOT NULL,
  generated_tokens     integer NOT NULL,
  prompt_ms            double precision NOT NULL,
  generate_ms          double precision NOT NULL,
  total_ms             double precision NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  level_probs          jsonb CHECK (level_probs IS NULL OR jsonb_typeof(level_probs) = 'object'),
  level_probs_note     text,
  provenance           jsonb CHECK (provenance IS NULL OR jsonb_typeof(provenance) = 'object'),
  CHECK ((status = 'ok') = (risk IS NOT NULL)),
  UNIQUE (case_id, model_id, prompt_sha256)
);

CREATE TABLE packs (
  id              text PRIMARY KEY,
  role            text NOT NULL CHECK (role IN ('issued', 'received')),
  source_store_id text NOT NULL,
  reviewer        text NOT NULL,
  show_model      boolean NOT NULL,
  created_at      timestamptz NOT NULL,
  created_by      text NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  file_name       text NOT NULL,
  manifest_sha256 text NOT NULL
);
CREATE TABLE pack_cases (
  pack_id     text NOT NULL REFERENCES packs (id),
  case_id     text NOT NULL REFERENCES cases (id),
  case_digest text NOT NULL,
  PRIMARY KEY (pack_id, case_id)
);
CREATE INDEX pack_cases_case ON pack_cases (case_id, pack_id);

-- Human decisions: append-only, an undo is a new row pointing at the decision it takes back.
-- 'imported': copied from a local workspace by `guardtrace team push`, under the reviewer name it was made with.
CREATE TABLE reviews (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id          text NOT NULL REFERENCES cases (id),
  kind             text NOT NULL CHECK (kind IN ('decision', 'undo', 'adjudication')),
  risk             double precision,
  category         text,
  analysis         text,
  analysis_source  text CHECK (analysis_source IN ('model', 'edited', 'human', 'withheld')),
  note             text,
  reviewer         text NOT NULL,
  source           text NOT NULL CHECK (source IN ('manual', 'accept_model', 'bulk_accept', 'cli', 'pack', 'imported')),
  undoes_review_id bigint REFERENCES reviews (id),
  created_at       timestamptz NOT NULL DEFAULT now(),
  pack_id          text,
  origin_id        bigint,
  CHECK ((kind IN ('decision', 'adjudication')) = (risk IS NOT NULL)),
  CHECK ((kind = 'undo') = (undoes_review_id IS NOT NULL)),
  CHECK ((source = 'pack') = (pack_id IS NOT NULL AND origin_id IS NOT NULL))
);
CREATE INDEX reviews_case ON reviews (case_id, id);
CREATE INDEX reviews_reviewer ON reviews (reviewer, id);
CREATE UNIQUE INDEX reviews_undone_once ON reviews (undoes_review_id) WHERE undoes_review_id IS NOT NULL;
CREATE UNIQUE INDEX reviews_pack_origin ON reviews (pack_id, origin_id) WHERE pack_id IS NOT NULL;

CREATE TABLE decision_imports (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  pack_id     text NOT NULL REFERENCES packs (id),
  checksum    text NOT NULL,
  exported_at timestamptz NOT NULL,
  imported_at timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL,
  imported    integer NOT NULL,
  UNIQUE (pack_id, checksum)
);

-- The decision in force on each reviewed case and where it comes from (kept by guardtrace_resolve_case).
CREATE TABLE case_decisions (
  case_id   text PRIMARY KEY REFERENCES cases (id),
  review_id bigint REFERENCES reviews (id),
  basis     text NOT NULL CHECK (basis IN ('single_reviewer', 'agreeing_reviewers', 'adjudication', 'disputed')),
  since     timestamptz NOT NULL DEFAULT now(),
  CHECK ((basis = 'disputed') = (review_id IS NULL))
);
CREATE INDEX case_decisions_basis ON case_decisions (basis, case_id);

CREATE TABLE jobs (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id       text NOT NULL REFERENCES cases (id),
  model_id      text NOT NULL,
  prompt_sha256 text NOT NULL,
  status        text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  attempts      integer NOT NULL DEFAULT 0,
  last_error    text,
  batch_id      text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
-- At most one live job per case, model and prompt: a re-queued case can never be audited twice at once.
CREATE UNIQUE INDEX jobs_one_live ON jobs (case_id, model_id, prompt_sha256) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_status ON jobs (status, id);

-- The activity log: append-only (0002 adds the triggers and the identity rule).
CREATE TABLE audit_log (
  id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at      timestamptz NOT NULL DEFAULT now(),
  actor   text NOT NULL,
  action  text NOT NULL,
  case_id text,
  before  jsonb,
  after   jsonb
);
CREATE INDEX audit_log_case ON audit_log (case_id, id) WHERE case_id IS NOT NULL;

CREATE TABLE settings (
  key   text PRIMARY KEY,
  value jsonb NOT NULL
);

CREATE TABLE reference_verdicts (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id       text NOT NULL REFERENCES cases (id),
  status        text NOT NULL CHECK (status IN ('ok', 'parse_failure')),
  risk          double precision,
  category      text,
  analysis      text,
  parse_error   text,
  raw_output    text NOT NULL,
  output_sha256 text NOT NULL CHECK (length(output_sha256) = 64),
  provenance    jsonb NOT NULL,
  import_batch  bigint REFERENCES import_batches (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'ok') = (risk IS NOT NULL)),
  UNIQUE (case_id, output_sha256)
);
CREATE INDEX reference_verdicts_case ON reference_verdicts (case_id, id);
