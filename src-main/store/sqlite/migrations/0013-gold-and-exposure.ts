import type { Migration } from './migration';

// Gold cases: the known answers a lead sets (docs/quality.md). Kept in their own table, never on the case row, so
// that nothing a reviewer's screen reads (cases.list, cases.get, packs) can carry the mark; changes go to the
// activity log (audit_log) as gold_set / gold_unset with the values before and after.
//
// Exposure events: what a moderator was shown (an image revealed, a case judged harmful) and their breaks, for the
// status bar's counter and the lead's limits. Local to this workstation; reported to nobody per person.
export const goldAndExposure: Migration = {
  version: 13,
  name: 'gold-and-exposure',
  up: `
    CREATE TABLE gold_cases (
      case_id     TEXT PRIMARY KEY REFERENCES cases (id),
      risk        REAL NOT NULL CHECK (risk IN (0, 0.5, 1)),
      category    TEXT,
      explanation TEXT,
      source      TEXT NOT NULL CHECK (source IN ('manual', 'adjudication', 'imported_label')),
      set_by      TEXT NOT NULL,
      set_at      TEXT NOT NULL
    ) STRICT;

    CREATE TABLE exposure_events (
      id        INTEGER PRIMARY KEY,
      moderator TEXT NOT NULL,
      kind      TEXT NOT NULL CHECK (kind IN ('image_revealed', 'harmful_judged', 'break_started', 'break_taken')),
      case_id   TEXT,
      at        TEXT NOT NULL
    ) STRICT;
    CREATE INDEX exposure_events_moderator ON exposure_events (moderator, at);
  `,
};
