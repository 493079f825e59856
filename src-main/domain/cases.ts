// Cases and the review queue: what a moderator lists, filters and opens.
import type { AuditFailureState } from './audit-failure';
import type { ActivityLogEntry } from './activity-log';
import type { AuditRecord, AuditStatus } from './audits';
import type { ReviewRecord } from './reviews';
import type { Category, RiskLevel } from './types';

/** Queue filters by state; 'disagree' = the model's verdict and the decision in force differ. */
export const CASE_STATUS_FILTERS = [
  'all',
  'not_audited',
  'audited',
  'reviewed',
  'unreviewed',
  'disagree',
  'parse_failure',
  'truncated', // the model's output hit the token limit
  'audit_failed', // the latest audit failed or was cut off (cases.audit_failure)
] as const;
export type CaseStatusFilter = (typeof CASE_STATUS_FILTERS)[number];

export const QUEUE_SORTS = ['model_risk', 'uncertainty', 'newest', 'least_confident'] as const;
export type QueueSort = (typeof QUEUE_SORTS)[number];

/** The latest model verdict of a case, as the queue sees it ('none' = never audited). */
export type ModelStatus = 'none' | AuditStatus;

export interface QueueFilter {
  status?: CaseStatusFilter;
  modelRisk?: RiskLevel;
  humanRisk?: RiskLevel;
  gold?: RiskLevel;
  /** Matches the model's category or the human's category. */
  category?: Category;
  /** FTS5 search over query, thinking and response (plain words; quoted by the store). */
  search?: string;
  /** Cases of this assignment pack (team review). */
  pack?: string;
  /** Only cases whose reviewers disagree and no adjudication settled (team review). */
  disputed?: boolean;
  /** Corrections without a rationale: the decision in force differs from the model's verdict (or the model's
   *  output had none) and carries no analysis, so the sft/dpo exports leave it out. */
  needsRationale?: boolean;
}

export interface QueueQuery extends QueueFilter {
  sort?: QueueSort;
  offset?: number;
  limit?: number;
}

export interface CaseSummary {
  id: string;
  seq: number;
  queryPreview: string;
  hasImage: boolean;
  imageMissing: boolean;
  gold: RiskLevel | null;
  modelStatus: ModelStatus;
  /** p(the level the model chose) where the judgment was written; null when unknown. */
  modelConfidence: number | null;
  modelRisk: RiskLevel | null;
  modelCategory: Category | null;
  humanRisk: RiskLevel | null;
  humanCategory: Category | null;
  reviewedBy: string | null;
  createdAt: string;
  /** The latest audit failed or was cut off (the row says so instead of an older verdict); null otherwise. */
  auditFailure: 'failed' | 'truncated' | null;
}

export interface QueuePage {
  total: number;
  offset: number;
  rows: CaseSummary[];
}

export type FilterCounts = Record<CaseStatusFilter, number>;

/**
 * The counts the queue's status filters show. null: withheld from a blind reviewer, because the count depends on
 * the model's risk ('disagree'); with a search narrowed to one case it would say what the model said of it.
 */
export type QueueCounts = Record<CaseStatusFilter, number | null>;

export interface ImageRef {
  sha256: string;
  mime: string;
  width: number;
  height: number;
  bytes: number;
}

/** What auditing a case needs: the three texts and the image it names, if any (by hash, or a reference to a missing one). */
export interface CaseContent {
  id: string;
  query: string;
  thinking: string;
  response: string;
  imageSha256: string | null;
  imageRef: string | null;
  /** The source named an image that could not be found or decoded. */
  imageMissing: boolean;
}

export interface CaseDetail {
  id: string;
  seq: number;
  query: string;
  thinking: string;
  response: string;
  image: ImageRef | null;
  /** The source named an image (imageRef) that could not be found or decoded. */
  imageMissing: boolean;
  imageRef: string | null;
  gold: RiskLevel | null;
  sourceFile: string;
  sourceRecord: number;
  meta: Record<string, unknown>;
  createdAt: string;
  latestAudit: AuditRecord | null;
  /** The latest audit failed or was cut off, and why; null when it gave output (or none was tried). */
  auditFailure: AuditFailureState | null;
  /** The decision in force (see store/adjudication.ts), if any; null while the case is in dispute. */
  currentReview: ReviewRecord | null;
  history: ActivityLogEntry[];
  /** Blind review: the verdict and the gold label were withheld until the reviewer's first choice (`cases.reveal`). */
  blindWithheld?: boolean;
}
