// The activity log: who did what to which case, with the state before and after.
// (Stored in the SQL table `audit_log`; the table keeps its old name because renaming it needs a migration.)

export interface ActivityLogEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  caseId: string | null;
  before: unknown;
  after: unknown;
}
