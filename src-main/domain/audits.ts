// Audits: the guard model's verdicts on cases, and the audit run that produces them.
import type { EngineKind } from './engine';
import type { Category, RiskLevel } from './types';

export type AuditStatus = 'ok' | 'parse_failure';

/** The verdict parsed from the model's output; a parse failure keeps whatever could still be read. */
export type ParsedVerdict =
  | { status: 'ok'; risk: RiskLevel; category: Category | null; analysis: string }
  | { status: 'parse_failure'; error: string; category: Category | null; analysis: string | null };

/** What an engine returns for one case; the store turns it into an AuditRecord. */
export interface AuditResult {
  rawOutput: string;
  verdict: ParsedVerdict;
  imageMissing: boolean;
  engine: EngineKind;
  /** Stable identity of the model (name + quantization + file hash prefix), used for job/audit uniqueness. */
  modelId: string;
  promptSha256: string;
  promptHashOk: boolean;
  strictFormat: boolean;
  promptTokens: number;
  /** Prompt tokens reused from a cached prefix (system prompt KV reuse) rather than evaluated. */
  cachedPromptTokens: number;
  generatedTokens: number;
  timings: { promptMs: number; generateMs: number; totalMs: number };
}

export interface AuditRecord {
  id: number;
  caseId: string;
  engine: EngineKind;
  modelId: string;
  promptSha256: string;
  promptHashOk: boolean;
  status: AuditStatus;
  risk: RiskLevel | null;
  category: Category | null;
  analysis: string | null;
  parseError: string | null;
  rawOutput: string;
  imageMissing: boolean;
  strictFormat: boolean;
  promptTokens: number;
  cachedPromptTokens: number;
  generatedTokens: number;
  promptMs: number;
  generateMs: number;
  totalMs: number;
  createdAt: string;
}

export interface AuditStartRequest {
  /** Cases to audit; omitted = every case without a verdict for the loaded model and prompt. */
  caseIds?: string[];
  limit?: number;
  parallel?: number;
  strictFormat?: boolean;
  maxNewTokens?: number;
}

export type AuditRunState = 'idle' | 'running' | 'paused' | 'cancelling' | 'done';

export interface AuditProgress {
  state: AuditRunState;
  done: number;
  failed: number;
  total: number;
  casesPerMinute: number;
  etaSeconds: number | null;
  currentCaseId: string | null;
  lastError: string | null;
}

export interface AuditTokenEvent {
  caseId: string;
  text: string;
}
