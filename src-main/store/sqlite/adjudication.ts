import { writeTransaction } from './write-transaction';
import type { ReviewRecord } from '@domain/reviews';
import type { AdjudicationInput, AdjudicationView } from '@domain/team';
import type { LevelSchemes } from './level-schemes';
import {
  disagreementOf,
  resolveDecision,
  toReviewerDecision,
  validateJudgment,
  type ResolvedDecision,
} from '../decision-rules';
import type { ActivityLog } from './activity-log';
import type { AuditRepository } from './audits';
import type { CaseRepository } from './cases';
import { nowIso } from './clock';
import { StoreError } from '../errors';
import type { Db } from './open-database';
import { toReviewRecord, type ReviewRow } from './rows';

/** A review still in force for its reviewer: not taken back by an undo (a probe of reviews_undone_once). */
const LIVE = `NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes_review_id = reviews.id)`;

/**
 * The decision in force on a case, with several reviewers:
 * - the latest live adjudication, if any, overrides everything;
 * - otherwise each reviewer's latest live decision counts once; if they all agree, the latest of them is in force
 *   ("one reviewer" or "agreeing reviewers");
 * - if they disagree the case is in dispute and has no decision in force: cases.human_* are cleared, so a disputed
 *   case is never exported or counted as decided until someone adjudicates it.
 * The result is mirrored into case_decisions and the cases.human_* columns the queue sorts on.
 */
export class DecisionResolver {
  private readonly liveStmt;
  private readonly upsertStmt;
  private readonly clearStmt;
  private readonly updateCase;
  private readonly basisStmt;

  constructor(
    private readonly db: Db,
    private readonly schemes: LevelSchemes,
  ) {
    this.liveStmt = db.prepare<[string], ReviewRow>(
      `SELECT * FROM reviews WHERE case_id = ? AND kind IN ('decision', 'adjudication') AND ${LIVE} ORDER BY id`,
    );
    this.upsertStmt = db.prepare(
      `INSERT INTO case_decisions (case_id, review_id, basis, since) VALUES (?, ?, ?, ?)
       ON CONFLICT (case_id) DO UPDATE SET review_id = excluded.review_id, basis = excluded.basis,
         since = CASE WHEN case_decisions.basis = excluded.basis THEN case_decisions.since ELSE excluded.since END`,
    );
    this.clearStmt = db.prepare('DELETE FROM case_decisions WHERE case_id = ?');
    this.updateCase = db.prepare('UPDATE cases SET human_risk = ?, human_category = ?, reviewed_by = ? WHERE id = ?');
    this.basisStmt = db.prepare<[string], { basis: string }>('SELECT basis FROM case_decisions WHERE case_id = ?');
  }

  resolve(caseId: string): ResolvedDecision {
    return resolveDecision(this.liveStmt.all(caseId).map(toReviewRecord), this.schemes.forCase(caseId));
  }

  /** Recomputes and stores the decision in force. Run inside the transaction that changed the case's reviews. */
  refresh(caseId: string): ResolvedDecision {
    const resolved = this.resolve(caseId);
    if (resolved.basis === null) this.clearStmt.run(caseId);
    else this.upsertStmt.run(caseId, resolved.inForce?.id ?? null, resolved.basis, nowIso());
    const review = resolved.inForce;
    this.updateCase.run(review?.risk ?? null, review?.category ?? null, review?.reviewer ?? null, caseId);
    return resolved;
  }

  isDisputed(caseId: string): boolean {
    return this.basisStmt.get(caseId)?.basis === 'disputed';
  }

  disputedCount(): number {
    return this.db.prepare<[], number>("SELECT count(*) FROM case_decisions WHERE basis = 'disputed'").pluck().get()!;
  }
}

/** The adjudication view and the adjudicator's decision, a review of kind 'adjudication'. */
export class AdjudicationRepository {
  private readonly insertStmt;
  private readonly byIdStmt;

  constructor(
    private readonly db: Db,
    private readonly cases: CaseRepository,
    private readonly audits: AuditRepository,
    private readonly resolver: DecisionResolver,
    private readonly log: ActivityLog,
    private readonly schemes: LevelSchemes,
  ) {
    this.insertStmt = db.prepare(
      `INSERT INTO reviews (case_id, kind, risk, category, analysis, note, reviewer, source, created_at)
       VALUES (@caseId, 'adjudication', @risk, @category, @analysis, @note, @reviewer, @source, @createdAt)`,
    );
    this.byIdStmt = db.prepare<[number | bigint], ReviewRow>('SELECT * FROM reviews WHERE id = ?');
  }

  view(caseId: string): AdjudicationView {
    this.cases.row(caseId); // throws a readable not_found
    const resolved = this.resolver.resolve(caseId);
    const audit = this.audits.latest(caseId);
    const reviewers = resolved.perReviewer.map(toReviewerDecision);
    return {
      caseId,
      disputed: resolved.basis === 'disputed',
      disagreesOn: disagreementOf(resolved, this.schemes.forCase(caseId)),
      model: audit && {
        status: audit.status,
        risk: audit.risk,
        category: audit.category,
        analysis: audit.analysis,
      },
      reviewers,
      adjudication: resolved.adjudication && toReviewerDecision(resolved.adjudication),
      basis: resolved.basis === 'disputed' ? null : resolved.basis,
    };
  }

  /** Records the adjudicator's decision; it becomes the decision in force and settles any dispute. */
  adjudicate(input: AdjudicationInput): ReviewRecord {
    if (!input.reviewer?.trim())
      throw new StoreError(
        'invalid',
        "An adjudication needs the adjudicator's name (Settings → Reviewer, or --reviewer).",
      );
    return writeTransaction(this.db, () => {
      this.cases.row(input.caseId);
      validateJudgment(input, this.schemes.forCase(input.caseId));
      const before = this.resolver.resolve(input.caseId);
      const info = this.insertStmt.run({
        caseId: input.caseId,
        risk: input.risk,
        category: input.category ?? null,
        analysis: input.analysis ?? null,
        note: input.note ?? null,
        reviewer: input.reviewer.trim(),
        source: input.source ?? 'manual',
        createdAt: nowIso(),
      });
      const record = toReviewRecord(this.byIdStmt.get(info.lastInsertRowid)!);
      this.resolver.refresh(input.caseId);
      this.log.append({
        actor: record.reviewer,
        action: 'review.adjudicate',
        caseId: input.caseId,
        before: {
          basis: before.basis,
          reviewers: before.perReviewer.map((review) => ({
            reviewId: review.id,
            reviewer: review.reviewer,
            risk: review.risk,
            category: review.category,
          })),
        },
        after: { reviewId: record.id, risk: record.risk, category: record.category, note: record.note },
      });
      return record;
    });
  }
}
