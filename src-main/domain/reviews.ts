// Human decisions on a case. Reviews are append-only: an undo is a row of its own, never a deletion.
import type { AnalysisSource } from './review-analysis';
import type { Category, RiskLevel } from './types';

/** Where a decision came from; checked at the store's door, and by the reviews table's CHECK. */
/** 'pack': imported from a reviewer's decisions file (team review, docs/team-review.md). */
export const REVIEW_SOURCES = ['manual', 'accept_model', 'bulk_accept', 'cli', 'pack'] as const;
export type ReviewSource = (typeof REVIEW_SOURCES)[number];

/** 'adjudication': the adjudicator's decision, which overrides the reviewers' (team review). */
export type ReviewKind = 'decision' | 'undo' | 'adjudication';

export interface ReviewRecord {
  id: number;
  caseId: string;
  kind: ReviewKind;
  risk: RiskLevel | null;
  category: Category | null;
  analysis: string | null;
  /** Where the analysis came from (model, edited, human) or why there is none (withheld); null on older rows. */
  analysisSource: AnalysisSource | null;
  note: string | null;
  reviewer: string;
  source: ReviewSource;
  /** The assignment pack a decision was imported from (source 'pack'), else null. */
  packId: string | null;
  undoesReviewId: number | null;
  createdAt: string;
}

export interface ReviewInput {
  caseId: string;
  risk: RiskLevel;
  category?: Category | null;
  analysis?: string | null;
  note?: string | null;
  reviewer: string;
  source?: ReviewSource;
}
