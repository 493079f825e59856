// Human decisions on a case. Reviews are append-only: an undo is a row of its own, never a deletion.
import type { Category, RiskLevel } from './types';

export const REVIEW_SOURCES = ['manual', 'accept_model', 'bulk_accept', 'cli'] as const;
export type ReviewSource = (typeof REVIEW_SOURCES)[number];

export const REVIEW_KINDS = ['decision', 'undo'] as const;
export type ReviewKind = (typeof REVIEW_KINDS)[number];

export interface ReviewRecord {
  id: number;
  caseId: string;
  kind: ReviewKind;
  risk: RiskLevel | null;
  category: Category | null;
  analysis: string | null;
  note: string | null;
  reviewer: string;
  source: ReviewSource;
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
