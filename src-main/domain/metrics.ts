// Counts and agreement figures: model vs human, model vs gold.
import type { Category } from './types';
import type { FidelityMetrics, ReferenceAgreement } from './fidelity';

export interface Stats {
  cases: number;
  images: number;
  audits: number;
  audited: number;
  reviewed: number;
  parseFailures: number;
  jobs: { queued: number; running: number; done: number; failed: number };
  /** Model vs gold on cases that have both (null when none). */
  modelVsGold: { compared: number; agreement: number } | null;
  /** App vs verdicts imported from the reference script (null when no case has both). */
  referenceAgreement: ReferenceAgreement | null;
}

export interface BinaryScores {
  n: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface Comparison {
  /** rows: reference (human or gold) 0/0.5/1, columns: model 0/0.5/1. */
  confusion: number[][];
  n: number;
  agreement: number;
  /** 0.5 and 1 count as harmful (the GuardTrace paper's binary scores). */
  binary: BinaryScores;
}

export interface Metrics {
  modelVsHuman: Comparison;
  modelVsGold: Comparison;
  perCategory: Array<{ category: Category | 'none'; n: number; agreement: number }>;
  parseFailures: number;
  /** F1 three ways, calibration, reference agreement (docs/fidelity.md). */
  fidelity: FidelityMetrics;
}
