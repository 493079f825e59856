// The rules for human decisions that do not depend on the engine: which live reviews put a decision in force, when
// two reviewers agree, what a risk and category must be, and how a decision is written into the activity log. Both
// engines (sqlite/, postgres/) apply these, so a case resolves the same way on a workstation and on a team database.
import { isCategoryOf, isHarmful, isLevelOf, levelList, type LevelScheme } from '@domain/levels';
import type { ReviewRecord } from '@domain/reviews';
import type { AdjudicationView, DecisionBasis, ReviewerDecision } from '@domain/team';
import type { RiskLevel } from '@domain/types';
import { StoreError } from './errors';

/**
 * Two reviewers agree when their risk matches and, for a level the profile counts as harmful (GuardTrace: 0.5 and
 * 1), their category too.
 */
export function decisionsAgree(
  a: { risk: RiskLevel | null; category: string | null },
  b: { risk: RiskLevel | null; category: string | null },
  scheme: LevelScheme,
): boolean {
  return a.risk === b.risk && (!isHarmful(scheme, a.risk) || a.category === b.category);
}

export interface ResolvedDecision {
  inForce: ReviewRecord | null;
  basis: DecisionBasis | 'disputed' | null;
  /** Each reviewer's latest live decision (adjudications excluded), oldest first. */
  perReviewer: ReviewRecord[];
  adjudication: ReviewRecord | null;
}

/**
 * The decision in force on a case, from its live reviews (decisions and adjudications no undo took back, oldest
 * first):
 * - the latest live adjudication, if any, overrides everything;
 * - otherwise each reviewer's latest live decision counts once; if they all agree, the latest of them is in force
 *   ("one reviewer" or "agreeing reviewers");
 * - if they disagree the case is in dispute and has no decision in force, so a disputed case is never exported or
 *   counted as decided until someone adjudicates it.
 */
export function resolveDecision(live: readonly ReviewRecord[], scheme: LevelScheme): ResolvedDecision {
  const adjudication = live.filter((review) => review.kind === 'adjudication').at(-1) ?? null;
  const latestByReviewer = new Map<string, ReviewRecord>();
  for (const review of live) if (review.kind === 'decision') latestByReviewer.set(review.reviewer, review);
  const perReviewer = [...latestByReviewer.values()].sort((a, b) => a.id - b.id);
  if (adjudication) return { inForce: adjudication, basis: 'adjudication', perReviewer, adjudication };
  if (!perReviewer.length) return { inForce: null, basis: null, perReviewer, adjudication };
  if (perReviewer.every((review) => decisionsAgree(review, perReviewer[0], scheme))) {
    return {
      inForce: perReviewer.at(-1)!,
      basis: perReviewer.length > 1 ? 'agreeing_reviewers' : 'single_reviewer',
      perReviewer,
      adjudication,
    };
  }
  return { inForce: null, basis: 'disputed', perReviewer, adjudication };
}

/** What a disputed case's reviewers disagree on: their risk, or (same harmful risk) their category. */
export function disagreementOf(resolved: ResolvedDecision, scheme: LevelScheme): AdjudicationView['disagreesOn'] {
  if (resolved.basis !== 'disputed') return [];
  const [first, ...rest] = resolved.perReviewer;
  if (rest.some((review) => review.risk !== first.risk)) return ['risk'];
  return rest.some((review) => !decisionsAgree(review, first, scheme)) ? ['category'] : [];
}

/** A risk and category in the case's verdict vocabulary (the profile's levels and categories). */
export function validateJudgment(input: { risk: unknown; category?: string | null }, scheme: LevelScheme): void {
  if (!isLevelOf(scheme, input.risk))
    throw new StoreError(
      'invalid',
      `Risk must be ${levelList(scheme)} (got ${JSON.stringify(input.risk)}; the levels of ${scheme.profileId}).`,
    );
  if (input.category != null && !isCategoryOf(scheme, input.category))
    throw new StoreError(
      'invalid',
      `Unknown category "${input.category}". Use one of the ${scheme.profileId} categories: ${scheme.categories.join(', ')}.`,
    );
}

/** A decision as the activity log's before/after records it. */
export function summarizeDecision(review: ReviewRecord) {
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

/** One reviewer's standing decision as a lead sees it when settling a case. */
export function toReviewerDecision(review: ReviewRecord): ReviewerDecision {
  return {
    reviewId: review.id,
    reviewer: review.reviewer,
    risk: review.risk!,
    category: review.category,
    analysis: review.analysis,
    note: review.note,
    source: review.source,
    packId: review.packId,
    at: review.createdAt,
  };
}
