// Blind review, enforced where the data leaves the core. A blind reviewer must not see the model's verdict,
// category, confidence or the gold label of a case before their own first choice on it; hiding them in the window
// is not enough (a queue row, a sort order, a streamed token or a DevTools look at the IPC traffic would still
// carry them), so the handler map withholds them from every payload the review screen reads, and the window's
// event forwarder drops or blanks the events that would carry them. The lead's views (metrics, adjudication,
// exports) are unchanged.
import type { AuditRecord } from '@domain/audits';
import type { ActivityLogEntry } from '@domain/activity-log';
import type {
  CaseDetail,
  CaseStatusFilter,
  CaseSummary,
  FilterCounts,
  QueueCounts,
  QueueFilter,
  QueuePage,
  QueueQuery,
} from '@domain/cases';
import type { Settings } from '@domain/settings';
import type { ApiEvents, ApiHandlers, EventName } from './contract';
import { ApiError } from './errors';

/** The order a blind reviewer gets: import order, newest first, which says nothing about the model. */
export const BLIND_SORT = 'newest' as const;

export function isBlindReviewer(settings: Pick<Settings, 'reviewer' | 'blindReviewers'>): boolean {
  return settings.blindReviewers.includes(settings.reviewer);
}

/** A blind reviewer's queue query: a neutral order, and no filter that would sort cases by what the model said. */
export function blindQueueQuery<Q extends QueueQuery>(query: Q): Q {
  assertBlindFilter(query);
  return { ...query, sort: BLIND_SORT };
}

/** Refuses the filters that select cases by the model's verdict or the gold label. */
export function assertBlindFilter(filter: QueueFilter): void {
  const leaking: string[] = (['modelRisk', 'gold', 'category'] as const).filter((key) => filter[key] !== undefined);
  if (filter.status === 'disagree') leaking.push('status');
  if (filter.needsRationale) leaking.push('needsRationale');
  if (leaking.length === 0) return;
  throw new ApiError(
    'blind_review',
    `Blind review is on for this reviewer, so the queue cannot be filtered by ${leaking
      .map((key) => FILTER_NAMES[key])
      .join(
        ', ',
      )}: that would show the model's verdict or the gold label. Clear that filter, or turn blind review off in Settings.`,
  );
}

const FILTER_NAMES: Record<string, string> = {
  modelRisk: "the model's risk",
  gold: 'the gold label',
  category: "category (it matches the model's category)",
  status: '"model and decision disagree"',
  needsRationale: '"corrections without a rationale"',
};

/** Queue rows: the model's marks and the gold label only on cases this reviewer has already decided. */
export function blindQueuePage(page: QueuePage, reviewer: string): QueuePage {
  return { ...page, rows: page.rows.map((row) => blindRow(row, reviewer)) };
}

function blindRow(row: CaseSummary, reviewer: string): CaseSummary {
  if (row.reviewedBy === reviewer) return row;
  return { ...row, gold: null, modelConfidence: null, modelRisk: null, modelCategory: null };
}

/**
 * Status counts that are worked out from the model's risk. The queue's other counts say only what a blind
 * reviewer's rows already show (audited or not, reviewed or not, an audit that failed, was cut off or did not
 * parse); this one compares the model's risk with the decision in force, and a search narrowed to a single case
 * would turn it into that case's verdict.
 */
export const MODEL_RISK_COUNTS: readonly CaseStatusFilter[] = ['disagree'];

/** A blind reviewer's filter counts: the model-risk counts withheld (null), the rest as counted. */
export function blindCounts(counts: FilterCounts): QueueCounts {
  const shown: QueueCounts = { ...counts };
  for (const status of MODEL_RISK_COUNTS) shown[status] = null;
  return shown;
}

/** True once the reviewer has made a decision on this case (a later undo does not make them unsee it). */
export function reviewerHasDecided(detail: CaseDetail, reviewer: string): boolean {
  if (detail.currentReview?.reviewer === reviewer) return true;
  return detail.history.some((entry) => entry.actor === reviewer && entry.action.startsWith('review.'));
}

/**
 * The case as a blind reviewer may see it before their first choice: no verdict, no gold label, and no history
 * entry that restates either (the model's verdict entries, bulk accepts and decisions that took the model's
 * verdict). `blindWithheld` tells the window that there is something to reveal after the first choice.
 */
export function blindCaseDetail(detail: CaseDetail, reviewer: string): CaseDetail {
  if (reviewerHasDecided(detail, reviewer)) return detail;
  return {
    ...detail,
    gold: null,
    latestAudit: null,
    currentReview: detail.currentReview && restatesModel(detail.currentReview) ? null : detail.currentReview,
    history: detail.history.filter((entry) => !historyEntryLeaks(entry)).map(withoutGold),
    meta: withoutGold(detail.meta),
    blindWithheld: true,
  };
}

function historyEntryLeaks(entry: ActivityLogEntry): boolean {
  if (entry.actor.startsWith('model:') || entry.action.startsWith('audit.')) return true;
  if (entry.action === 'review.bulk_accept') return true;
  return restatesModel(entry.after as ModelEcho | null) || restatesModel(entry.before as ModelEcho | null);
}

type ModelEcho = { source?: unknown; analysisSource?: unknown };

/** A decision that took the model's verdict, or carries its analysis, shows the model's verdict by itself. */
function restatesModel(review: ModelEcho | null): boolean {
  if (!review || typeof review !== 'object') return false;
  return (
    review.source === 'accept_model' ||
    review.source === 'bulk_accept' ||
    review.analysisSource === 'model' ||
    review.analysisSource === 'edited'
  );
}

const GOLD_KEYS = new Set(['gold', 'gold_label', 'goldLabel', 'label', 'risk_level', 'modelRisk', 'levelProbs']);

/** Drops gold-label keys at any depth (imports log the record, gold included; sources keep labels in meta). */
function withoutGold<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutGold) as T;
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) if (!GOLD_KEYS.has(key)) out[key] = withoutGold(inner);
  return out as T;
}

/**
 * What the window may receive of a core event while its reviewer reviews blind: null = not sent at all.
 * The streamed analysis is the verdict in the making, so it is never sent; a finished verdict is announced by case
 * id only (the window refetches the case, which the handler map then withholds as above).
 */
export function eventForBlindWindow<E extends EventName>(name: E, payload: ApiEvents[E]): ApiEvents[E] | null {
  if (name === 'audit.token') return null;
  if (name === 'audit.verdict') {
    const { caseId, audit } = payload as ApiEvents['audit.verdict'];
    return { caseId, audit: redactedAudit(audit) } as ApiEvents[E];
  }
  return payload;
}

function redactedAudit(audit: AuditRecord): AuditRecord {
  return {
    ...audit,
    risk: null,
    category: null,
    analysis: null,
    levelProbs: null,
    levelProbsNote: 'withheld: blind review',
    parseError: null,
    rawOutput: '',
    provenance: null,
  };
}

type BlindSettings = Pick<Settings, 'reviewer' | 'blindReviewers'>;

/**
 * The window's event filter, shared by the app's forwarder (app/main.ts) and the e2e bridge. Each event is decided
 * at once from a cached copy of the blind-review settings, never by awaiting the store per event, so events reach
 * the window in the order they were emitted. The copy is read once at start (`refresh`) and replaced whenever
 * `settings.set` answers (`watchSettings`). Until the first read completes the reviewer counts as blind (fail
 * closed: a verdict is withheld rather than leaked).
 */
export class BlindEventFilter {
  private blind = true;
  private version = 0;

  constructor(private readonly read: () => Promise<BlindSettings>) {}

  /** Re-reads the settings; a newer `update` that lands first wins. */
  async refresh(): Promise<void> {
    const version = ++this.version;
    const settings = await this.read();
    if (version === this.version) this.blind = isBlindReviewer(settings);
  }

  /** The settings as `settings.set` returned them. */
  update(settings: BlindSettings): void {
    this.version++;
    this.blind = isBlindReviewer(settings);
  }

  /** What the window may receive of this event now: null = not sent (see `eventForBlindWindow`). */
  forward<E extends EventName>(name: E, payload: ApiEvents[E]): ApiEvents[E] | null {
    return this.blind ? eventForBlindWindow(name, payload) : payload;
  }
}

/** The handler map with `settings.set` keeping the filter's copy current (the map itself, changed in place). */
export function watchSettings(handlers: ApiHandlers, filter: BlindEventFilter): ApiHandlers {
  const set = handlers['settings.set'];
  handlers['settings.set'] = async (patch) => {
    const settings = await set(patch);
    filter.update(settings);
    return settings;
  };
  return handlers;
}
