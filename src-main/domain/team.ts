// Team review without a server: assignment packs, decisions files, adjudication and reviewer agreement.
// Record types shared by the store, the archive code, the handler map, the CLI and the renderer.
import type { AuditStatus } from './audits';
import type { QueueFilter } from '@domain/cases';
import type { ReviewInput } from '@domain/reviews';
import type { Category, RiskLevel } from './types';

/** How `pack create` hands cases to reviewers. */
export const PACK_SPLITS = ['round_robin', 'category'] as const;
export type PackSplit = (typeof PACK_SPLITS)[number];

/** File name extension of an assignment pack (a zip archive). */
export const PACK_EXTENSION = '.gtpack';
export const PACK_FORMAT = 'guardtrace-pack';
export const DECISIONS_FORMAT = 'guardtrace-decisions';
export const TEAM_FORMAT_VERSION = 1;
/** Default share of cases sent to two reviewers. */
export const DEFAULT_OVERLAP = 0.1;

/** A reviewer name becomes a file name (`DIR/<reviewer>.gtpack`): letters, digits, dot, dash, underscore. */
export const REVIEWER_NAME = /^[\p{L}\p{N}_-][\p{L}\p{N}._-]{0,63}$/u;

export interface PackCreateRequest {
  reviewers: string[];
  /** Share of the selected cases sent to two reviewers, 0..1 (default 0.1). */
  overlap?: number;
  split?: PackSplit;
  /** The queue filter that selects the cases (ignored when caseIds is given). */
  filter?: QueueFilter;
  /** An explicit selection instead of a filter. */
  caseIds?: string[];
  /** Whether the reviewer may see the model's verdict (default true). A blind pack leaves the verdicts out. */
  showModelVerdict?: boolean;
  outDir: string;
  createdBy?: string;
}

export interface PackCreated {
  packId: string;
  reviewer: string;
  file: string;
  cases: number;
  /** Cases this reviewer shares with another reviewer. */
  overlapCases: number;
  images: number;
}

export interface PackCreateSummary {
  selected: number;
  doubleReviewed: number;
  packs: PackCreated[];
}

/** The manifest at the root of every pack (`manifest.json`). */
export interface PackManifest {
  format: typeof PACK_FORMAT;
  version: number;
  packId: string;
  sourceStoreId: string;
  reviewer: string;
  createdAt: string;
  createdBy: string;
  showModelVerdict: boolean;
  caseIds: string[];
  /** sha256 of each case's content (query, thinking, response, image hash), keyed by case id. */
  caseDigests: Record<string, string>;
  /** sha256 of every other entry of the archive, keyed by its path inside the archive. */
  entries: Record<string, string>;
}

export interface PackInfo {
  packId: string;
  role: 'issued' | 'received';
  reviewer: string;
  sourceStoreId: string;
  showModelVerdict: boolean;
  cases: number;
  createdAt: string;
  /** When this workstation imported it (received packs) or wrote it (issued packs). */
  recordedAt: string;
  /** Decisions on this pack's cases, in force now (received) or imported from its reviewer (issued). */
  decided: number;
}

export interface PackImportSummary {
  packId: string;
  reviewer: string;
  file: string;
  cases: number;
  newCases: number;
  images: number;
  verdicts: number;
  /** True when this pack had been imported before: nothing was added (the import is idempotent). */
  alreadyImported: boolean;
  /** Who signed the pack: the enrolled name and fingerprint of the lead's key. */
  signedBy: { name: string; fingerprint: string };
}

/** One entry of a decisions file: a decision or an undo on one case, as the reviewer's workstation recorded it. */
export interface ExportedDecision {
  /** The review's id on the reviewer's workstation: with the pack id, what makes re-imports idempotent. */
  originId: number;
  kind: 'decision' | 'undo';
  caseId: string;
  /** The case's content digest, as in the pack manifest. */
  caseDigest: string;
  risk: RiskLevel | null;
  category: Category | null;
  analysis: string | null;
  note: string | null;
  /** The name the reviewer's workstation recorded; the lead stores the decision under the pack's reviewer. */
  localReviewer: string;
  at: string;
  /** For an undo: the originId of the decision it takes back. */
  undoesOriginId: number | null;
}

export interface DecisionsFileBody {
  format: typeof DECISIONS_FORMAT;
  version: number;
  packId: string;
  sourceStoreId: string;
  reviewerStoreId: string;
  reviewer: string;
  exportedAt: string;
  decisions: ExportedDecision[];
}

/** The decisions file: the body and the sha256 of its JSON text, so any change after export is detected. */
export interface DecisionsFile extends DecisionsFileBody {
  checksum: string;
  /** The reviewer's Ed25519 signature over the checksum (io/identity/signing.ts); files without one are refused. */
  signature?: { algorithm: 'ed25519'; publicKey: string; signature: string };
}

export interface DecisionsExportSummary {
  packId: string;
  out: string;
  decisions: number;
  undos: number;
  checksum: string;
}

export interface DecisionsImportSummary {
  packId: string;
  reviewer: string;
  file: string;
  /** Reviews added now (decisions and undos). */
  imported: number;
  /** Entries already imported from an earlier copy of this file. */
  alreadyPresent: number;
  /** Cases in dispute after the import, among this pack's cases. */
  disputed: number;
  /** The fingerprint of the key that signed the file (enrolled as `reviewer`). */
  signerFingerprint?: string;
}

/** A teammate's public key this workspace trusts, under the name it was enrolled as (`guardtrace team trust`). */
export interface TrustedKey {
  name: string;
  /** The raw Ed25519 public key, base64. */
  publicKey: string;
  fingerprint: string;
  enrolledAt: string;
  enrolledBy: string;
}

/** This workspace's own identity (`guardtrace identity show`). */
export interface IdentityInfo {
  name: string;
  algorithm: 'ed25519';
  fingerprint: string;
  publicKey: string;
}

/** Where the decision in force on a case comes from. */
export type DecisionBasis = 'single_reviewer' | 'agreeing_reviewers' | 'adjudication';

export interface ReviewerDecision {
  reviewId: number;
  reviewer: string;
  risk: RiskLevel;
  category: Category | null;
  analysis: string | null;
  note: string | null;
  source: string;
  packId: string | null;
  at: string;
}

export interface AdjudicationView {
  caseId: string;
  disputed: boolean;
  /** What the dispute is about (risk, category or both); empty when not disputed. */
  disagreesOn: Array<'risk' | 'category'>;
  model: {
    status: AuditStatus;
    risk: RiskLevel | null;
    category: Category | null;
    analysis: string | null;
  } | null;
  /** Each reviewer's decision in force, one per reviewer, oldest first. */
  reviewers: ReviewerDecision[];
  adjudication: ReviewerDecision | null;
  basis: DecisionBasis | null;
}

/** The adjudicator's decision: the fields of any decision, made in the app or with the CLI. */
export type AdjudicationInput = Omit<ReviewInput, 'source'> & { source?: 'manual' | 'cli' };

export interface PairAgreement {
  a: string;
  b: string;
  /** Cohen's kappa over the cases both decided; null when undefined (fewer than one case, or no variation). */
  kappa: number | null;
  n: number;
}

export interface ReviewerStats {
  reviewer: string;
  casesDecided: number;
  /** Median seconds between consecutive decisions of this reviewer (pauses over an hour left out); null if < 2. */
  medianSecondsPerDecision: number | null;
  /** Share of adjudicated cases this reviewer decided where the risk matched the adjudication; null if none. */
  agreementWithAdjudication: number | null;
  adjudicatedCases: number;
  /** Share of cases with a parsed model verdict where the reviewer's risk matched the model's; null if none. */
  agreementWithModel: number | null;
  modelCases: number;
}

export interface TeamAgreement {
  /** Krippendorff's alpha, ordinal over 0 / 0.5 / 1, all reviewers and cases; null when undefined. */
  alpha: number | null;
  /** Cases with decisions from two or more reviewers (the ones alpha and kappa are computed on). */
  units: number;
  pairs: PairAgreement[];
  perCategory: Array<{ category: Category | 'none'; alpha: number | null; units: number }>;
}

/** Everything the Metrics screen shows about the team; `guardtrace stats --json` adds it as the fields below. */
export interface TeamAgreementReport extends TeamAgreement {
  reviewers: ReviewerStats[];
  disputed: number;
}

/** Fields `guardtrace stats --json` gains for team review. */
export interface TeamStats {
  /** Cases in dispute now. */
  disputed: number;
  /** alpha and pairs as the issue names them, plus the per-category alphas and the number of units. */
  agreement: TeamAgreement;
  reviewers: ReviewerStats[];
}

export function teamStatsOf(report: TeamAgreementReport): TeamStats {
  const { reviewers, disputed, ...agreement } = report;
  return { disputed, agreement, reviewers };
}
