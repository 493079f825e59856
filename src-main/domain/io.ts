// Importing cases from files and exporting decisions (corrections, training data).
import type { ReferenceImportCounts } from './fidelity';

export const IMPORT_FORMATS = ['guardtrace', 'jsonl', 'csv', 'guardtrace-results'] as const;
/** 'guardtrace-results': the reference script's output JSON (cases plus their reference verdicts). */
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ImportRequest {
  file: string;
  format?: ImportFormat;
  imagesDir?: string;
  actor?: string;
  /**
   * Import as GuardTrace-VL's reference evaluation feeds the model: image cases whose image name starts with
   * "S-Eval" get the fixed FigStep query (eval/S-Eval_test_eval.py), the dataset's question kept in the case's meta.
   * Always on for 'guardtrace-results', whose records the script audited that way.
   */
  asReferenceEval?: boolean;
}

export interface RecordError {
  file: string;
  /** Line number (JSONL/CSV) or array index + 1 (GuardTrace JSON). */
  record: number;
  field: string | null;
  reason: string;
}

export interface ImportSummary {
  file: string;
  format: ImportFormat;
  total: number;
  imported: number;
  duplicates: number;
  rejected: number;
  imagesMissing: number;
  errors: RecordError[];
  ms: number;
  /** Only for 'guardtrace-results': the reference verdicts it stored. */
  reference?: ReferenceImportCounts;
}

export interface ImportProgress {
  file: string;
  processed: number;
  total: number;
}

export const EXPORT_FORMATS = ['jsonl', 'csv', 'sft', 'dpo', 'steps'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** 'disagreements' = cases whose decision in force differs from the model's verdict. */
export const EXPORT_SELECTIONS = ['reviewed', 'all', 'disagreements'] as const;
export type ExportSelection = (typeof EXPORT_SELECTIONS)[number];

export interface ExportRequest {
  format: ExportFormat;
  out: string;
  only?: ExportSelection;
  withImages?: boolean;
  /** System prompt file for `sft`/`dpo`; defaults to the loaded model folder's prompt. */
  promptFile?: string;
}

export interface ExportSummary {
  out: string;
  format: ExportFormat;
  written: number;
  /** Cases left out, with why (e.g. no human analysis for sft). */
  skipped: number;
  skippedReasons: Record<string, number>;
  images: number;
  ms: number;
  /** Training targets refused because their analysis contradicts their judgment: which case, and why (first 200). */
  refused?: Array<{ caseId: string; reason: string }>;
  /**
   * sft/dpo: decisions that differ from the model's verdict (corrections, the pairs worth training on) that this
   * export left out, by reason; the queue filter "Corrections without a rationale" lists the ones a rationale fixes.
   */
  correctionsLeftOut?: { count: number; reasons: Record<string, number> };
}

/** What the Export panel and `guardtrace export` say about the corrections a training export left out; null if none. */
export function correctionsLeftOutText(summary: Pick<ExportSummary, 'correctionsLeftOut'>): string | null {
  const left = summary.correctionsLeftOut;
  if (!left || left.count === 0) return null;
  const reasons = Object.entries(left.reasons).map(([reason, n]) => `${n} ${reason}`);
  return (
    `${left.count} correction(s) left out (${reasons.join(', ')}). Add a rationale to each: Review queue, ` +
    `filter "Corrections without a rationale", then export again.`
  );
}
