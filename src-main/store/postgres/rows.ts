// Rows as node-postgres returns them (bigint as text, timestamptz as Date, jsonb parsed, booleans) and their
// mapping to the same domain records the SQLite engine returns.
import type { AuditRecord, AuditStatus } from '@domain/audits';
import type { ReviewKind, ReviewRecord, ReviewSource } from '@domain/reviews';
import type { AnalysisSource } from '@domain/review-analysis';
import type { Category, RiskLevel } from '@domain/types';
import type { LevelProbs, VerdictProvenance } from '@domain/verdict-provenance';

export interface PgReviewRow {
  id: string;
  case_id: string;
  kind: ReviewKind;
  risk: number | null;
  category: string | null;
  analysis: string | null;
  analysis_source: AnalysisSource | null;
  note: string | null;
  reviewer: string;
  source: ReviewSource | 'imported';
  undoes_review_id: string | null;
  created_at: Date;
  pack_id: string | null;
}

export interface PgAuditRow {
  id: string;
  case_id: string;
  profile_id: string;
  engine: string;
  model_id: string;
  prompt_sha256: string;
  prompt_hash_ok: boolean;
  status: AuditStatus;
  risk: number | null;
  category: string | null;
  analysis: string | null;
  parse_error: string | null;
  raw_output: string;
  image_missing: boolean;
  strict_format: boolean;
  prompt_tokens: number;
  cached_prompt_tokens: number;
  generated_tokens: number;
  prompt_ms: number;
  generate_ms: number;
  total_ms: number;
  created_at: Date;
  level_probs: LevelProbs | null;
  level_probs_note: string | null;
  provenance: VerdictProvenance | null;
}

export function toReviewRecord(row: PgReviewRow): ReviewRecord {
  return {
    id: Number(row.id),
    caseId: row.case_id,
    kind: row.kind,
    risk: row.risk as RiskLevel | null,
    category: row.category as Category | null,
    analysis: row.analysis,
    analysisSource: row.analysis_source,
    note: row.note,
    reviewer: row.reviewer,
    // Carried in by `team push` from a local workspace: for the contract's callers it came from elsewhere, as a
    // pack's decisions do.
    source: row.source === 'imported' ? 'pack' : row.source,
    packId: row.pack_id,
    undoesReviewId: row.undoes_review_id === null ? null : Number(row.undoes_review_id),
    createdAt: row.created_at.toISOString(),
  };
}

export function toAuditRecord(row: PgAuditRow): AuditRecord {
  return {
    id: Number(row.id),
    caseId: row.case_id,
    profileId: row.profile_id,
    engine: row.engine as AuditRecord['engine'],
    modelId: row.model_id,
    promptSha256: row.prompt_sha256,
    promptHashOk: row.prompt_hash_ok,
    status: row.status,
    risk: row.risk as RiskLevel | null,
    category: row.category as Category | null,
    analysis: row.analysis,
    parseError: row.parse_error,
    rawOutput: row.raw_output,
    imageMissing: row.image_missing,
    strictFormat: row.strict_format,
    promptTokens: row.prompt_tokens,
    cachedPromptTokens: row.cached_prompt_tokens,
    generatedTokens: row.generated_tokens,
    promptMs: row.prompt_ms,
    generateMs: row.generate_ms,
    totalMs: row.total_ms,
    createdAt: row.created_at.toISOString(),
    levelProbs: row.level_probs,
    levelProbsNote: row.level_probs_note,
    provenance: row.provenance,
  };
}
