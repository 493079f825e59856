import { REVIEW_SOURCES, type ReviewInput, type ReviewRecord } from '@domain/reviews';
import { resolveAnalysis } from '@domain/review-analysis';
import type { LevelScheme } from '@domain/levels';
import { summarizeDecision, validateJudgment } from '../decision-rules';
import type { LevelSchemes } from './level-schemes';
import type { ActivityLog } from './activity-log';
import type { DecisionResolver } from './adjudication';
import type { AuditRepository } from './audits';
import type { CaseRepository } from './cases';
import { nowIso } from './clock';
import { StoreError } from '../errors';
import type { Db } from './open-database';
import { writeTransaction } from './write-transaction';
import { toReviewRecord, type ReviewRow } from './rows';

// Human decisions are append-only too: an undo is a new row pointing at the decision it takes back.
// The decision in force for a case is kept by DecisionResolver (store/adjudication.ts): with one reviewer it is
// their latest decision that no undo points at; with several, see there (agreement, dispute, adjudication).

/**
 * SQL condition: the reviews row `alias` is a decision or adjudication no undo has taken back (an adjudicator can take
 * back their adjudication the same way a reviewer takes back a decision). The one place this is defined.
 */
export function isStandingDecision(alias: string): string {
  return `${alias}.kind IN ('decision', 'adjudication') AND NOT EXISTS (SELECT 1 FROM reviews undone WHERE undone.undoes_review_id = ${alias}.id)`;
}
export class ReviewRepository {
  private readonly insertStmt;
  private readonly byIdStmt;
  private readonly lastByReviewerStmt;

  constructor(
    private readonly db: Db,
    private readonly cases: CaseRepository,
    private readonly audits: AuditRepository,
    private readonly activityLog: ActivityLog,
    private readonly resolver: DecisionResolver,
    private readonly schemes: LevelSchemes,
  ) {
    this.insertStmt = db.prepare(
      `INSERT INTO reviews (case_id, kind, risk, category, analysis, note, reviewer, source, undoes_review_id, created_at,
                            analysis_source)
       VALUES (@caseId, @kind, @risk, @category, @analysis, @note, @reviewer, @source, @undoesReviewId, @createdAt,
               @analysisSource)`,
    );
    this.byIdStmt = db.prepare<[number | bigint], ReviewRow>('SELECT * FROM reviews WHERE id = ?');
    this.lastByReviewerStmt = db.prepare<[string], ReviewRow>(
      `SELECT * FROM reviews r WHERE r.reviewer = ? AND ${isStandingDecision('r')} ORDER BY r.id DESC LIMIT 1`,
    );
  }

  /** The decision in force on the case; null when there is none or the reviewers disagree (in dispute). */
  current(caseId: string): ReviewRecord | null {
    return this.resolver.resolve(caseId).inForce;
  }

  /** Records a decision and its activity-log entry in one transaction. */
  submit(input: ReviewInput): ReviewRecord {
    return writeTransaction(this.db, () => this.submitInTransaction(input));
  }

  private submitInTransaction(input: ReviewInput): ReviewRecord {
    this.cases.row(input.caseId); // throws a readable not_found
    // In the vocabulary of the profile that judged the case (checked inside the transaction, with its verdict).
    validateReview(input, this.schemes.forCase(input.caseId));
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
    this.resolver.refresh(record.caseId);
    this.activityLog.append({
      actor: input.reviewer,
      action: record.source === 'bulk_accept' ? 'review.bulk_accept' : 'review.submit',
      caseId: input.caseId,
      before: before && summarizeDecision(before),
      after: summarizeDecision(record),
    });
    return record;
  }

  /** Takes back the reviewer's latest decision still in force; returns the undo entry, or null if none. */
  undoLast(reviewer: string): ReviewRecord | null {
    return writeTransaction(this.db, () => {
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
        // An undo made here is not part of any decisions file, even when it takes back an imported decision.
        source: target.source === 'pack' ? 'manual' : target.source,
        undoesReviewId: target.id,
        createdAt: nowIso(),
        analysisSource: null,
      });
      const restored = this.resolver.refresh(target.case_id).inForce;
      this.activityLog.append({
        actor: reviewer,
        action: 'review.undo',
        caseId: target.case_id,
        before: summarizeDecision(toReviewRecord(target)),
        after: restored && summarizeDecision(restored),
      });
      return toReviewRecord(this.byIdStmt.get(info.lastInsertRowid)!);
    });
  }

  /** Accepts the model's verdict on each case that has a parsed one; each acceptance is logged on its own case. */
  bulkAccept(caseIds: string[], reviewer: string): { accepted: number; skipped: number } {
    return writeTransaction(this.db, () => {
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
    });
  }
}

function validateReview(input: ReviewInput, scheme: LevelScheme): void {
  if (!input.reviewer || !input.reviewer.trim())
    throw new StoreError('invalid', 'A decision needs a reviewer name (Settings → Reviewer, or --reviewer).');
  validateJudgment(input, scheme);
  if (input.source !== undefined && !REVIEW_SOURCES.includes(input.source))
    throw new StoreError(
      'invalid',
      `Unknown decision source "${String(input.source)}". Use one of: ${REVIEW_SOURCES.join(', ')}.`,
    );
}
