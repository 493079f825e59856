// Practice mode (docs/quality.md): a workspace of gold cases for a new moderator, who sees the gold answer, its
// explanation and the model's verdict after each decision. Plain data.
import type { GoldScoreDetail } from './gold';
import type { Category, RiskLevel } from './types';

/** Settings.practice: set only in a practice workspace (by `guardtrace practice create`); null elsewhere. */
export interface PracticeInfo {
  createdAt: string;
  createdBy: string;
  /** The data folder the gold cases came from. */
  source: string;
  /** The model's verdict on each case when the workspace was made (shown after the trainee decides). */
  modelVerdicts: Record<string, { risk: RiskLevel | null; category: Category | null; analysis: string | null }>;
}

export interface PracticeCreateSummary {
  out: string;
  cases: number;
  images: number;
}

/** What the trainee sees after deciding a case. */
export interface PracticeFeedback {
  caseId: string;
  given: { risk: RiskLevel; category: Category | null } | null;
  gold: { risk: RiskLevel; category: Category | null; explanation: string | null };
  model: PracticeInfo['modelVerdicts'][string] | null;
  correct: boolean | null;
}

export interface PracticeSummary extends GoldScoreDetail {
  total: number;
  decided: number;
}
