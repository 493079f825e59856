import type { Migration } from './migration';

// Verdicts produced by the reference Python script (GuardTrace-VL's eval/S-Eval_test_eval.py) and imported from its
// output JSON, kept apart from the app's own audits: they are the yardstick the app's verdicts are compared with,
// never a verdict the queue acts on. One row per case and distinct output, so re-importing a file adds nothing.
export const referenceVerdicts: Migration = {
  version: 10,
  name: 'reference-verdicts',
  up: `
    CREATE TABLE reference_verdicts (
      id             INTEGER PRIMARY KEY,
      case_id        TEXT NOT NULL REFERENCES cases (id),
      status         TEXT NOT NULL CHECK (status IN ('ok', 'parse_failure')),
      risk           REAL,
      category       TEXT,
      analysis       TEXT,
      parse_error    TEXT,
      raw_output     TEXT NOT NULL,
      output_sha256  TEXT NOT NULL CHECK (length(output_sha256) = 64),
      -- {"source": "reference script (imported)", "file", "fileSha256", "record", "reference": true}
      provenance     TEXT NOT NULL CHECK (json_valid(provenance)),
      import_batch   INTEGER REFERENCES import_batches (id),
      created_at     TEXT NOT NULL,
      CHECK ((status = 'ok') = (risk IS NOT NULL)),
      UNIQUE (case_id, output_sha256)
    ) STRICT;
    CREATE INDEX reference_verdicts_case ON reference_verdicts (case_id, id);
  `,
};
