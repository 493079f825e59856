import type { Migration } from './migration';

// Columns only (ALTER TABLE … ADD COLUMN), so this stays independent of the table rebuilds in 0006 and 0007.
//
// reviews.analysis_source: where a decision's analysis came from (domain/review-analysis.ts). NULL on decisions
// stored before this migration and on decisions without an analysis.
// cases.audit_failure / audit_failure_reason / audit_failed_at: the latest audit of the case failed (the engine
// errored, or the input was too long) or was cut off, and why. Cleared when a verdict is recorded.
export const reviewAnalysisSourceAndAuditFailures: Migration = {
  version: 8,
  name: 'review-analysis-source-and-audit-failures',
  up: `
    ALTER TABLE reviews ADD COLUMN analysis_source TEXT
      CHECK (analysis_source IN ('model', 'edited', 'human', 'withheld'));
    ALTER TABLE cases ADD COLUMN audit_failure TEXT CHECK (audit_failure IN ('failed', 'truncated'));
    ALTER TABLE cases ADD COLUMN audit_failure_reason TEXT;
    ALTER TABLE cases ADD COLUMN audit_failed_at TEXT;
    CREATE INDEX cases_audit_failure ON cases (audit_failure, seq) WHERE audit_failure IS NOT NULL;
  `,
};
