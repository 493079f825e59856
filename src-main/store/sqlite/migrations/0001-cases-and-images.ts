import type { Migration } from './migration';

// Images are content-addressed: the row holds what the queue needs (type, size), the bytes live on disk
// under <dataDir>/images/ (see store/images.ts for why not BLOBs).
export const casesAndImages: Migration = {
  version: 1,
  name: 'cases-and-images',
  up: `
    CREATE TABLE images (
      sha256     TEXT PRIMARY KEY CHECK (length(sha256) = 64),
      mime       TEXT NOT NULL CHECK (mime IN ('image/png', 'image/jpeg', 'image/webp', 'image/gif')),
      width      INTEGER NOT NULL CHECK (width > 0),
      height     INTEGER NOT NULL CHECK (height > 0),
      bytes      INTEGER NOT NULL CHECK (bytes > 0),
      created_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE import_batches (
      id          INTEGER PRIMARY KEY,
      source_file TEXT NOT NULL,
      format      TEXT NOT NULL,
      actor       TEXT NOT NULL,
      started_at  TEXT NOT NULL,
      finished_at TEXT,
      imported    INTEGER NOT NULL DEFAULT 0,
      duplicates  INTEGER NOT NULL DEFAULT 0,
      rejected    INTEGER NOT NULL DEFAULT 0
    ) STRICT;

    -- seq is the stable integer key (FTS rowid, newest-first order); id is the source's id or a content hash.
    CREATE TABLE cases (
      seq           INTEGER PRIMARY KEY,
      id            TEXT NOT NULL UNIQUE,
      query         TEXT NOT NULL,
      thinking      TEXT NOT NULL,
      response      TEXT NOT NULL,
      image_sha256  TEXT REFERENCES images (sha256),
      image_ref     TEXT,
      image_missing INTEGER NOT NULL DEFAULT 0 CHECK (image_missing IN (0, 1)),
      gold          REAL CHECK (gold IN (0, 0.5, 1)),
      source_file   TEXT NOT NULL,
      source_record INTEGER NOT NULL,
      import_batch  INTEGER REFERENCES import_batches (id),
      meta          TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
      created_at    TEXT NOT NULL
    ) STRICT;
    CREATE INDEX cases_image ON cases (image_sha256) WHERE image_sha256 IS NOT NULL;
    CREATE INDEX cases_gold ON cases (gold, seq);
  `,
};
