// The published GuardTrace evaluation's recipe, as plain values the core, the CLI and the renderer share (no native
// imports here: the renderer uses it too). docs/fidelity.md maps each step to the code and the test that proves it.
import type { RiskLevel } from './types';

/** One vision token covers 28×28 pixels after Qwen2.5-VL's 2×2 patch merge. */
export const VISION_TOKEN_PIXELS = 28;
/** qwen-vl-utils' MIN_PIXELS and MAX_PIXELS (also Qwen2.5-VL's preprocessor_config.json): the reference budget. */
export const REFERENCE_MIN_PIXELS = 4 * 28 * 28;
export const REFERENCE_MAX_PIXELS = 16384 * 28 * 28;
/** The smaller budget offered for slow CPUs (≤ 1,280 vision tokens); verdicts then differ from the reference. */
export const SMALL_MAX_PIXELS = 1280 * 28 * 28;

export function visionTokenLimits(maxPixels: number = REFERENCE_MAX_PIXELS): { min: number; max: number } {
  const perToken = VISION_TOKEN_PIXELS * VISION_TOKEN_PIXELS;
  return { min: REFERENCE_MIN_PIXELS / perToken, max: Math.floor(maxPixels / perToken) };
}

export function isReferenceImageBudget(maxPixels: number): boolean {
  return maxPixels === REFERENCE_MAX_PIXELS;
}

/** One line for the Audit runner and the CLI when a smaller budget is in force; null at the reference budget. */
export function imageBudgetWarning(maxPixels: number): string | null {
  if (isReferenceImageBudget(maxPixels)) return null;
  const tokens = visionTokenLimits(maxPixels).max;
  return (
    `Image budget ${tokens.toLocaleString('en-US')} vision tokens (max pixels ${maxPixels}) is ` +
    `${maxPixels < REFERENCE_MAX_PIXELS ? 'below' : 'not'} the reference 16,384: verdicts on image cases will differ ` +
    `from the published evaluation. Set Max pixels to ${REFERENCE_MAX_PIXELS} (Settings) to run the reference recipe.`
  );
}

// ---------- metrics that cannot flatter ----------

export interface BinaryCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export interface ThreeWayScores {
  n: number;
  precision: number;
  recall: number;
  f1: number;
}

/**
 * Binary F1 (0.5 and 1 count as harmful) computed three ways, so a parse failure can never make the model look
 * better: left out, counted as the wrong answer, and counted as "safe" (what a careless pipeline would do).
 */
export interface BinaryF1ThreeWays {
  /** Cases with a reference label (gold or human) and an app audit, parse failures included. */
  n: number;
  /** Audits whose output had no parseable verdict (truncated outputs included once that state exists). */
  parseFailures: number;
  parseFailuresExcluded: ThreeWayScores;
  parseFailuresWrong: ThreeWayScores;
  parseFailuresSafe: ThreeWayScores;
}

export interface CalibrationBin {
  /** [lower, upper) confidence range; the last bin includes 1. */
  lower: number;
  upper: number;
  n: number;
  meanConfidence: number;
  /** Share of the bin's verdicts the human decision agreed with. */
  accuracy: number;
}

export interface Calibration {
  n: number;
  bins: CalibrationBin[];
  /** Expected calibration error: Σ (n_bin / n) · |accuracy_bin − meanConfidence_bin|. */
  ece: number;
}

/** Which verdicts a metrics view counts: all, only those made with the reference recipe, or only the others. */
export const RECIPE_FILTERS = ['all', 'reference', 'other'] as const;
export type RecipeFilter = (typeof RECIPE_FILTERS)[number];

export interface MetricsQuery {
  recipe?: RecipeFilter;
}

export interface ReferenceDifference {
  caseId: string;
  /** The app's verdict, or its status when it has none ('parse_failure', or 'truncated' once that state exists). */
  app: RiskLevel | 'parse_failure' | 'truncated';
  reference: RiskLevel | 'parse_failure';
}

/** App verdicts against verdicts imported from the reference Python script, on the cases that have both. */
export interface ReferenceAgreement {
  /** Cases with both an app verdict and a reference verdict (parse failures on either side included). */
  cases: number;
  /** Both sides parsed: rows reference 0/0.5/1, columns app 0/0.5/1. */
  confusion: number[][];
  compared: number;
  agreement: number;
  /** Cases where exactly one side, or both, failed to parse. */
  parseFailures: { app: number; reference: number };
  /** Every case whose two verdicts differ (a parse failure on one side only counts as differing), at most `limit`. */
  differing: ReferenceDifference[];
  differingTotal: number;
}

export interface FidelityMetrics {
  recipe: RecipeFilter;
  vsGold: BinaryF1ThreeWays;
  vsHuman: BinaryF1ThreeWays;
  /** Confidence of the verdict level against the human decision; null with the reason when it cannot be computed. */
  calibration: Calibration | null;
  calibrationNote: string | null;
  reference: ReferenceAgreement | null;
}

/** What an import of reference-script results adds besides cases. */
export interface ReferenceImportCounts {
  verdicts: number;
  alreadyPresent: number;
  parseFailures: number;
  /** Records the reference script itself reported as failed ({image_name, error}). */
  scriptErrors: number;
  /** Verdicts attached to a case already in the store with the same content (image name, query, thinking, response). */
  matchedExisting: number;
}

/** The provenance every imported reference verdict carries. */
export const REFERENCE_IMPORT_PROVENANCE = 'reference script (imported)';
