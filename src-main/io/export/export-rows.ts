// Turns the store's flat export rows into the verdict objects and labels the export formats write.
import type { AuditStatus } from '@domain/audits';
import type { ImageRef } from '@domain/cases';
import type { AnalysisSource } from '@domain/review-analysis';
import type { DecisionBasis } from '@domain/team';
import type { Category, RiskLevel } from '@domain/types';
import type { LevelProbs, VerdictProvenance } from '@domain/verdict-provenance';
import type { ExportRecord as ExportRow } from '../../store/contract';

const risk = (value: number | null) => value as RiskLevel | null;
const category = (value: string | null) => value as Category | null;

export interface ModelVerdictOut {
  status: AuditStatus;
  risk: RiskLevel | null;
  category: Category | null;
  analysis: string | null;
  raw: string;
  parseError: string | null;
  modelId: string;
  engine: string;
  promptSha256: string;
  promptHashOk: boolean;
  at: string;
  profileId: string | null;
  levelProbs: LevelProbs | null;
  levelProbsNote: string | null;
  provenance: VerdictProvenance | null;
}

export interface HumanVerdictOut {
  risk: RiskLevel;
  category: Category | null;
  analysis: string | null;
  /** model, edited or human; withheld when the model's analysis was dropped; null on decisions before 0008. */
  analysisSource: AnalysisSource | null;
  note: string | null;
  reviewer: string;
  source: string;
  at: string;
  /** Where the decision in force comes from: one reviewer, agreeing reviewers, or an adjudication. */
  basis: DecisionBasis;
}

export function modelVerdict(row: ExportRow): ModelVerdictOut | null {
  if (row.model_status === null) return null;
  return {
    status: row.model_status,
    risk: risk(row.model_risk),
    category: category(row.model_category),
    analysis: row.model_analysis,
    raw: row.model_raw ?? '',
    parseError: row.model_parse_error,
    modelId: row.model_id ?? '',
    engine: row.model_engine ?? '',
    promptSha256: row.model_prompt_sha256 ?? '',
    promptHashOk: row.model_prompt_hash_ok === 1,
    at: row.model_at ?? '',
    profileId: row.model_profile_id,
    levelProbs: row.model_level_probs === null ? null : (JSON.parse(row.model_level_probs) as LevelProbs),
    levelProbsNote: row.model_level_probs_note,
    provenance: row.model_provenance === null ? null : (JSON.parse(row.model_provenance) as VerdictProvenance),
  };
}

export function humanVerdict(row: ExportRow): HumanVerdictOut | null {
  if (row.human_risk === null) return null;
  return {
    risk: row.human_risk as RiskLevel,
    category: category(row.human_category),
    analysis: row.human_analysis,
    analysisSource: row.human_analysis_source,
    note: row.human_note,
    reviewer: row.human_reviewer ?? '',
    source: row.human_source ?? '',
    at: row.human_at ?? '',
    basis: row.human_basis ?? 'single_reviewer',
  };
}

/** The label a downstream user should train or report on: the human's if reviewed, else the model's parsed one. */
export function finalLabel(row: ExportRow): {
  risk: RiskLevel;
  category: Category | null;
  analysis: string | null;
  source: 'human' | 'model';
  analysisSource: AnalysisSource | null;
  basis?: DecisionBasis;
} | null {
  if (row.human_risk !== null)
    return {
      risk: row.human_risk as RiskLevel,
      category: category(row.human_category),
      analysis: row.human_analysis,
      source: 'human',
      analysisSource: row.human_analysis_source,
      basis: row.human_basis ?? 'single_reviewer',
    };
  if (row.model_status === 'ok' && row.model_risk !== null) {
    return {
      risk: row.model_risk as RiskLevel,
      category: category(row.model_category),
      analysis: row.model_analysis,
      source: 'model',
      analysisSource: row.model_analysis === null ? null : 'model',
    };
  }
  return null;
}

export function imageOf(row: ExportRow): ImageRef | null {
  if (!row.image_sha256 || !row.image_mime) return null;
  return {
    sha256: row.image_sha256,
    mime: row.image_mime,
    width: row.image_width ?? 0,
    height: row.image_height ?? 0,
    bytes: row.image_bytes ?? 0,
  };
}
