import type { ActivityLogEntry } from '@domain/activity-log';
import { nowIso } from './clock';
import type { Db } from './open-database';

interface ActivityLogRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  case_id: string | null;
  before: string | null;
  after: string | null;
}

/**
 * The activity log: the append-only history of who did what (every decision, undo, verdict and import leaves
 * one row). Its table keeps the name `audit_log` from migration 0003: renaming it would need a migration of its
 * own, and "audit" now means a model verdict only.
 */
export class ActivityLog {
  private readonly insert;
  private readonly byCase;

  constructor(db: Db) {
    this.insert = db.prepare(
      'INSERT INTO audit_log (at, actor, action, case_id, before, after) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.byCase = db.prepare<[string], ActivityLogRow>('SELECT * FROM audit_log WHERE case_id = ? ORDER BY id');
  }

  append(entry: { actor: string; action: string; caseId?: string | null; before?: unknown; after?: unknown }): void {
    this.insert.run(
      nowIso(),
      entry.actor,
      entry.action,
      entry.caseId ?? null,
      entry.before === undefined ? null : JSON.stringify(entry.before),
      entry.after === undefined ? null : JSON.stringify(entry.after),
    );
  }

  forCase(caseId: string): ActivityLogEntry[] {
    return this.byCase.all(caseId).map((row) => ({
      id: row.id,
      at: row.at,
      actor: row.actor,
      action: row.action,
      caseId: row.case_id,
      before: row.before === null ? null : JSON.parse(row.before),
      after: row.after === null ? null : JSON.parse(row.after),
    }));
  }
}
