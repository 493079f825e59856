// The latest audit of a case failed (the engine errored on it, its input was too long) or was cut off: the
// case says so, with the reason, until a verdict is recorded for it (migration 0008's columns on `cases`).
import type { AuditFailureState } from '@domain/audit-failure';
import { nowIso } from './clock';
import type { Db } from './open-database';

export class AuditFailureRepository {
  private readonly setStmt;
  private readonly clearStmt;
  private readonly getStmt;

  constructor(db: Db) {
    this.setStmt = db.prepare(
      'UPDATE cases SET audit_failure = ?, audit_failure_reason = ?, audit_failed_at = ? WHERE id = ?',
    );
    this.clearStmt = db.prepare(
      'UPDATE cases SET audit_failure = NULL, audit_failure_reason = NULL, audit_failed_at = NULL WHERE id = ? AND audit_failure IS NOT NULL',
    );
    this.getStmt = db.prepare<
      [string],
      {
        audit_failure: AuditFailureState['kind'] | null;
        audit_failure_reason: string | null;
        audit_failed_at: string | null;
      }
    >('SELECT audit_failure, audit_failure_reason, audit_failed_at FROM cases WHERE id = ?');
  }

  record(caseId: string, kind: AuditFailureState['kind'], reason: string): void {
    this.setStmt.run(kind, reason, nowIso(), caseId);
  }

  clear(caseId: string): void {
    this.clearStmt.run(caseId);
  }

  get(caseId: string): AuditFailureState | null {
    const row = this.getStmt.get(caseId);
    if (!row?.audit_failure) return null;
    return { kind: row.audit_failure, reason: row.audit_failure_reason ?? '', at: row.audit_failed_at ?? '' };
  }
}
