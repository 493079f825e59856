import type { Migration } from './migration';

// The audit log is append-only and the database itself enforces it: no code path can rewrite history.
export const auditLogAndSettings: Migration = {
  version: 3,
  name: 'audit-log-and-settings',
  up: `
    CREATE TABLE audit_log (
      id      INTEGER PRIMARY KEY,
      at      TEXT NOT NULL,
      actor   TEXT NOT NULL,
      action  TEXT NOT NULL,
      case_id TEXT,
      before  TEXT CHECK (before IS NULL OR json_valid(before)),
      after   TEXT CHECK (after IS NULL OR json_valid(after))
    ) STRICT;
    CREATE INDEX audit_log_case ON audit_log (case_id, id) WHERE case_id IS NOT NULL;
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be updated'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted'); END;

    CREATE TABLE settings (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL CHECK (json_valid(value))
    ) STRICT;
  `,
};
