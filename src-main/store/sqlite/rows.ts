// Row shapes as SQLite returns them, and their mapping to the domain's camelCase records.
import type { AuditRecord, AuditStatus } from '@domain/audits';
import type { CaseSummary, ModelStatus } from '@domain/cases';
import type { ReviewKind, ReviewRecord, ReviewSource } from '@domain/reviews';
import type { AnalysisSource } from '@domain/review-analysis';
import type { Category, RiskLevel } from '@domain/types';
import type { LevelProbs, VerdictProvenance } from '@domain/verdict-provenance';
import type { ExportRecord } from '../contract';
import { queryPreview } from '../queue-rules';

/** A `cases` row: the case columns the export record carries too, plus the denormalised queue columns. */
export interface CaseRow extends Pick<
  ExportRecord,
  | 'seq'
  | 'id'
  | 'query'
  | 'thinking'
  | 'response'
  | 'image_sha256'
  | 'image_ref'
  | 'image_missing'
  | 'gold'
  | 'source_file'
  | 'source_record'
  | 'meta'
  | 'created_at'
> {
  model_status: ModelStatus;
  model_risk: number | null;
  model_confidence: number | null;
  model_category: string | null;
  human_risk: number | null;
  human_category: string | null;
  reviewed_by: string | null;
  /** Selected for queue rows (SUMMARY_COLUMNS); optional so older row shapes still fit. */
  audit_failure?: 'failed' | 'truncated' | null;
}

export interface AuditRow {
  id: number;
  case_id: string;
  profile_id: string;
  engine: string;
  model_id: string;
  prompt_sha256: string;
  prompt_hash_ok: number;
  status: AuditStatus;
  risk: number | null;
  category: string | null;
  analysis: string | null;
  parse_error: string | null;
  raw_output: string;
  image_missing: number;
  strict_format: number;
  prompt_tokens: number;
  cached_prompt_tokens: number;
  generated_tokens: number;
  prompt_ms: number;
  generate_ms: number;
  total_ms: number;
  created_at: string;
  level_probs: string | null;
  level_probs_note: string | null;
  provenance: string | null;
}

export interface ReviewRow {
  id: number;
  case_id: string;
  kind: ReviewKind;
  risk: number | null;
  category: string | null;
  analysis: string | null;
  note: string | null;
  reviewer: string;
  source: ReviewSource;
  undoes_review_id: number | null;
  created_at: string;
  /** Migration 0008. */
  analysis_source: AnalysisSource | null;
  pack_id: string | null;
  origin_id: number | null;
}

const risk = (value: number | null): RiskLevel | null => (value === null ? null : (value as RiskLevel));
const category = (value: string | null): Category | null => value as Category | null;

/** What a queue row shows: everything but the long texts other than the query, and the meta. */
export type CaseSummaryRow = Pick<
  CaseRow,
  | 'seq'
  | 'id'
  | 'query'
  | 'image_sha256'
  | 'image_missing'
  | 'gold'
  | 'model_status'
  | 'model_risk'
  | 'model_confidence'
  | 'model_category'
  | 'human_risk'
  | 'human_category'
  | 'reviewed_by'
  | 'created_at'
  | 'audit_failure'
>;
export const SUMMARY_COLUMNS =
  'seq, id, query, image_sha256, image_missing, gold, model_status, model_risk, model_confidence, model_category, human_risk, human_category, reviewed_by, created_at, audit_failure';

export function toCaseSummary(row: CaseSummaryRow): CaseSummary {
  return {
    id: row.id,
    seq: row.seq,
    queryPreview: queryPreview(row.query),
    hasImage: row.image_sha256 !== null,
    imageMissing: row.image_missing === 1,
    gold: risk(row.gold),
    modelStatus: row.model_status,
    modelRisk: risk(row.model_risk),
    modelConfidence: row.model_confidence,
    modelCategory: category(row.model_category),
    humanRisk: risk(row.human_risk),
    humanCategory: category(row.human_category),
    reviewedBy: row.reviewed_by,
    createdAt: row.created_at,
    auditFailure: row.audit_failure ?? null,
  };
}

export function toAuditRecord(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    caseId: row.case_id,
    profileId: row.profile_id,
    engine: row.engine as AuditRecord['engine'],
    modelId: row.model_id,
    promptSha256: row.prompt_sha256,
    promptHashOk: row.prompt_hash_ok === 1,
    status: row.status,
    risk: risk(row.risk),
    category: category(row.category),
    analysis: row.analysis,
    parseError: row.parse_error,
    rawOutput: row.raw_output,
    imageMissing: row.image_missing === 1,
    strictFormat: row.strict_format === 1,
    promptTokens: row.prompt_tokens,
    cachedPromptTokens: row.cached_prompt_tokens,
    generatedTokens: row.generated_tokens,
    promptMs: row.prompt_ms,
    generateMs: row.generate_ms,
    totalMs: row.total_ms,
    createdAt: row.created_at,
    levelProbs: row.level_probs === null ? null : (JSON.parse(row.level_probs) as LevelProbs),
    levelProbsNote: row.level_probs_note,
    provenance: row.provenance === null ? null : (JSON.parse(row.provenance) as VerdictProvenance),
  };
}

export function toReviewRecord(row: ReviewRow): ReviewRecord {
  return {
    id: row.id,
    caseId: row.case_id,
    kind: row.kind,
    risk: risk(row.risk),
    category: category(row.category),
    analysis: row.analysis,
    note: row.note,
    reviewer: row.reviewer,
    source: row.source,
    undoesReviewId: row.undoes_review_id,
    createdAt: row.created_at,
    analysisSource: row.analysis_source ?? null,
    packId: row.pack_id,
  };
}
