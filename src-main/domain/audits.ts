// Audits: the guard model's verdicts on cases, and the audit run that produces them.
import type { FailedAuditCase } from './audit-failure';
import type { EngineKind } from './engine';
import type { Category, RiskLevel } from './types';
import type { LevelProbs, VerdictProvenance } from './verdict-provenance';

/** 'truncated': the output hit the token limit; stored and shown, never taken as a verdict. */
export type AuditStatus = 'ok' | 'parse_failure' | 'truncated';

/**
 * What the profile's parser made of the output; a parse failure keeps whatever could still be read. risk is one of the
 * profile's level values. 'truncated': generation stopped at the token limit, so the verdict is never taken as clean
 * even if a judgment can be read.
 */
export type ParsedVerdict =
  | { status: 'ok'; risk: number; category: string | null; analysis: string }
  | { status: 'parse_failure'; error: string; category: string | null; analysis: string | null }
  | { status: 'truncated'; error: string; category: string | null; analysis: string | null };

/** What an engine returns for one case; the store turns it into an AuditRecord. */
export interface AuditResult {
  profileId: string;
  rawOutput: string;
  verdict: ParsedVerdict;
  /** p(level) where the judgment was written; null with levelProbsNote saying why when not available. */
  levelProbs: LevelProbs | null;
  levelProbsNote: string | null;
  /** What produced the verdict; null only where it is not known (a verdict carried in from elsewhere without it). */
  provenance: VerdictProvenance | null;
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
  /** How an audit run with stopAtJudgment ended (absent for a verdict, which always runs to the end of its output). */
  judgmentStop?: JudgmentStop;
  timings: { promptMs: number; generateMs: number; totalMs: number };
}

/**
 * 'judgment_first': the profile's judgment-first grammar asked for the judgment alone; 'after_judgment': generation
 * was stopped right after the judgment's line; 'ran_to_end': the output ended (or hit the limit) before a judgment
 * line was complete, so nothing was saved.
 */
export type JudgmentStop = 'judgment_first' | 'after_judgment' | 'ran_to_end';

export interface AuditRecord {
  id: number;
  caseId: string;
  engine: EngineKind;
  modelId: string;
  promptSha256: string;
  promptHashOk: boolean;
  status: AuditStatus;
  /** The guard-model profile; risk is one of its levels (GuardTrace-VL: 0, 0.5, 1). */
  profileId: string;
  risk: RiskLevel | null;
  /** p(level) where the judgment was written, keyed by level ("0", "0.5", "1"); null with levelProbsNote saying why. */
  levelProbs: LevelProbs | null;
  levelProbsNote: string | null;
  /** What produced the verdict; null for verdicts stored before provenance was recorded. */
  provenance: VerdictProvenance | null;
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
  /** Every case being generated now (up to the engine's slots). */
  inFlightCaseIds?: string[];
  /** The case the moderator has open, audited before the queue (audit.prioritize); null when none. */
  priorityCaseId?: string | null;
  /** The run audits only the cases the moderator opens (audit on open), not a batch. */
  auditOnOpenOnly?: boolean;
  /** Each case of this batch that failed, with its error (the first 500). */
  failures?: FailedAuditCase[];
}

export interface AuditTokenEvent {
  caseId: string;
  text: string;
}
