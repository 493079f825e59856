import { REVIEW_SOURCES, type ReviewInput, type ReviewRecord } from '@domain/reviews';
import { resolveAnalysis } from '@domain/review-analysis';
import { isCategory, isRiskLevel } from '@domain/types';
import type { ActivityLog } from './activity-log';
import type { AuditRepository } from './audits';
import type { CaseRepository } from './cases';
import { nowIso } from './clock';
import { StoreError } from './errors';
import type { Db } from './open-database';
import { toReviewRecord, type ReviewRow } from './rows';

// Human decisions are append-only too: an undo is a new row pointing at the decision it takes back.
// The decision in force for a case is its latest decision that no undo points at.

/**
 * SQL condition: the reviews row `alias` is a decision no undo has taken back. The latest such row of a case is
 * its decision in force (ReviewRepository.current, the export reader); the one place this is defined.
 */
export function isStandingDecision(alias: string): string {
  return `${alias}.kind = 'decision' AND NOT EXISTS (SELECT 1 FROM reviews undone WHERE undone.undoes_review_id = ${alias}.id)`;
}

export class ReviewRepository {
  private readonly insertStmt;
  private readonly byIdStmt;
  private readonly currentStmt;
  private readonly lastByReviewerStmt;
  private readonly updateCase;

  constructor(
    private readonly db: Db,
    private readonly cases: CaseRepository,
    private readonly audits: AuditRepository,
    private readonly activityLog: ActivityLog,
  ) {
    this.insertStmt = db.prepare(
      `INSERT INTO reviews (case_id, kind, risk, category, analysis, note, reviewer, source, undoes_review_id, created_at,
                            analysis_source)
       VALUES (@caseId, @kind, @risk, @category, @analysis, @note, @reviewer, @source, @undoesReviewId, @createdAt,
               @analysisSource)`,
    );
    this.byIdStmt = db.prepare<[number | bigint], ReviewRow>('SELECT * FROM reviews WHERE id = ?');
    this.currentStmt = db.prepare<[string], ReviewRow>(
      `SELECT * FROM reviews r WHERE r.case_id = ? AND ${isStandingDecision('r')} ORDER BY r.id DESC LIMIT 1`,
    );
    this.lastByReviewerStmt = db.prepare<[string], ReviewRow>(
      `SELECT * FROM reviews r WHERE r.reviewer = ? AND ${isStandingDecision('r')} ORDER BY r.id DESC LIMIT 1`,
    );
    this.updateCase = db.prepare('UPDATE cases SET human_risk = ?, human_category = ?, reviewed_by = ? WHERE id = ?');
  }

  current(caseId: string): ReviewRecord | null {
    const row = this.currentStmt.get(caseId);
    return row ? toReviewRecord(row) : null;
  }

  /** Records a decision and its activity-log entry in one transaction. */
  submit(input: ReviewInput): ReviewRecord {
    validateReview(input);
    return this.db.transaction(() => this.submitInTransaction(input))();
  }

  private submitInTransaction(input: ReviewInput): ReviewRecord {
    this.cases.row(input.caseId); // throws a readable not_found
    const before = this.current(input.caseId);
    // The model's analysis only stands under the model's own verdict: kept unedited under another risk or
    // category it would contradict the decision, so it is withheld (and marked so) instead.
    const audit = this.audits.latest(input.caseId);
    const resolved = resolveAnalysis(
      { risk: input.risk, category: input.category ?? null, analysis: input.analysis ?? null },
      audit,
    );
    const info = this.insertStmt.run({
      caseId: input.caseId,
      kind: 'decision',
      risk: input.risk,
      category: input.category ?? null,
      analysis: resolved.analysis,
      analysisSource: resolved.source,
      note: input.note ?? null,
      reviewer: input.reviewer,
      source: input.source ?? 'manual',
      undoesReviewId: null,
      createdAt: nowIso(),
    });
    const record = toReviewRecord(this.byIdStmt.get(info.lastInsertRowid)!);
    this.updateCase.run(record.risk, record.category, record.reviewer, record.caseId);
    this.activityLog.append({
      actor: input.reviewer,
      action: record.source === 'bulk_accept' ? 'review.bulk_accept' : 'review.submit',
      caseId: input.caseId,
      before: before && summarize(before),
      after: summarize(record),
    });
    return record;
  }

  /** Takes back the reviewer's latest decision still in force; returns the undo entry, or null if none. */
  undoLast(reviewer: string): ReviewRecord | null {
    return this.db.transaction(() => {
      const target = this.lastByReviewerStmt.get(reviewer);
      if (!target) return null;
      const info = this.insertStmt.run({
        caseId: target.case_id,
        kind: 'undo',
        risk: null,
        category: null,
        analysis: null,
        note: null,
        reviewer,
        source: target.source,
        undoesReviewId: target.id,
        createdAt: nowIso(),
        analysisSource: null,
      });
      const restored = this.current(target.case_id);
      this.updateCase.run(
        restored?.risk ?? null,
        restored?.category ?? null,
        restored?.reviewer ?? null,
        target.case_id,
      );
      this.activityLog.append({
        actor: reviewer,
        action: 'review.undo',
        caseId: target.case_id,
        before: summarize(toReviewRecord(target)),
        after: restored && summarize(restored),
      });
      return toReviewRecord(this.byIdStmt.get(info.lastInsertRowid)!);
    })();
  }

  /** Accepts the model's verdict on each case that has a parsed one; each acceptance is logged on its own case. */
  bulkAccept(caseIds: string[], reviewer: string): { accepted: number; skipped: number } {
    return this.db.transaction(() => {
      let accepted = 0;
      for (const caseId of caseIds) {
        const audit = this.cases.exists(caseId) ? this.audits.latest(caseId) : null;
        if (!audit || audit.status !== 'ok' || audit.risk === null) continue;
        this.submitInTransaction({
          caseId,
          risk: audit.risk,
          category: audit.category,
          analysis: audit.analysis,
          reviewer,
          source: 'bulk_accept',
        });
        accepted++;
      }
      return { accepted, skipped: caseIds.length - accepted };
    })();
  }
}

function summarize(review: ReviewRecord) {
  return {
    reviewId: review.id,
    risk: review.risk,
    category: review.category,
    analysis: review.analysis,
    analysisSource: review.analysisSource,
    note: review.note,
    source: review.source,
  };
}

function validateReview(input: ReviewInput): void {
  if (!isRiskLevel(input.risk))
    throw new StoreError('invalid', `Risk must be 0, 0.5 or 1 (got ${JSON.stringify(input.risk)}).`);
  if (input.category != null && !isCategory(input.category)) {
    throw new StoreError('invalid', `Unknown category "${input.category}". Use one of the nine GuardTrace categories.`);
  }
  if (input.source !== undefined && !REVIEW_SOURCES.includes(input.source))
    throw new StoreError(
      'invalid',
      `Unknown decision source "${String(input.source)}". Use one of: ${REVIEW_SOURCES.join(', ')}.`,
    );
  if (!input.reviewer || !input.reviewer.trim())
    throw new StoreError('invalid', 'A decision needs a reviewer name (Settings → Reviewer, or --reviewer).');
}
