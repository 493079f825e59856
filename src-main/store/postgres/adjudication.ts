// Adjudication on the team database (the contract's AdjudicationStore): the same rules as the SQLite engine's
// DecisionResolver, which the database itself applies (guardtrace_resolve_case); this reads what a lead needs to
// settle a case and records the lead's decision. Only a lead may read every reviewer's decision or adjudicate: a
// reviewer is refused by PostgreSQL (row-level security), not by this code.
import type { ReviewRecord } from '@domain/reviews';
import type { AdjudicationView, DecisionBasis, ReviewerDecision } from '@domain/team';
import { isCategory, isRiskLevel } from '@domain/types';
import type pg from 'pg';
import type { AdjudicationRequest, AdjudicationStore } from '../contract';
import { StoreError } from '../errors';
import { requireCase } from './decisions';
import { refuseOtherName } from './identity';
import { toReviewRecord, type PgReviewRow } from './rows';
import { inTransaction, sessionLogin } from './transaction';
import { latestVerdict } from './verdicts';

type Queryable = pg.Pool | pg.PoolClient;

interface Resolved {
  basis: DecisionBasis | 'disputed' | null;
  perReviewer: ReviewRecord[];
  adjudication: ReviewRecord | null;
}

const agree = (a: ReviewRecord, b: ReviewRecord) => a.risk === b.risk && (a.risk === 0 || a.category === b.category);

async function resolve(db: Queryable, caseId: string): Promise<Resolved> {
  const live = await db.query<PgReviewRow>(
    `SELECT r.* FROM reviews r WHERE r.case_id = $1 AND r.kind IN ('decision', 'adjudication')
       AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes_review_id = r.id) ORDER BY r.id`,
    [caseId],
  );
  const reviews = live.rows.map(toReviewRecord);
  const adjudication = reviews.filter((review) => review.kind === 'adjudication').at(-1) ?? null;
  const latest = new Map<string, ReviewRecord>();
  for (const review of reviews) if (review.kind === 'decision') latest.set(review.reviewer, review);
  const perReviewer = [...latest.values()].sort((a, b) => a.id - b.id);
  const basis = adjudication
    ? 'adjudication'
    : !perReviewer.length
      ? null
      : perReviewer.every((review) => agree(review, perReviewer[0]))
        ? perReviewer.length > 1
          ? 'agreeing_reviewers'
          : 'single_reviewer'
        : 'disputed';
  return { basis, perReviewer, adjudication };
}

function toReviewerDecision(review: ReviewRecord): ReviewerDecision {
  return {
    reviewId: review.id,
    reviewer: review.reviewer,
    risk: review.risk!,
    category: review.category,
    analysis: review.analysis,
    note: review.note,
    source: review.source,
    packId: review.packId,
    at: review.createdAt,
  };
}

export class PostgresAdjudicationStore implements AdjudicationStore {
  private login: string | undefined;

  constructor(private readonly pool: pg.Pool) {}

  async view(caseId: string): Promise<AdjudicationView> {
    await requireCase(this.pool, caseId);
    const resolved = await resolve(this.pool, caseId);
    const audit = await latestVerdict(this.pool, caseId);
    const disagreesOn: AdjudicationView['disagreesOn'] = [];
    if (resolved.basis === 'disputed') {
      const [first, ...rest] = resolved.perReviewer;
      if (rest.some((review) => review.risk !== first.risk)) disagreesOn.push('risk');
      else disagreesOn.push('category');
    }
    return {
      caseId,
      disputed: resolved.basis === 'disputed',
      disagreesOn,
      model: audit && { status: audit.status, risk: audit.risk, category: audit.category, analysis: audit.analysis },
      reviewers: resolved.perReviewer.map(toReviewerDecision),
      adjudication: resolved.adjudication && toReviewerDecision(resolved.adjudication),
      basis: resolved.basis === 'disputed' ? null : resolved.basis,
    };
  }

  async adjudicate(input: AdjudicationRequest): Promise<ReviewRecord> {
    if (!isRiskLevel(input.risk))
      throw new StoreError('invalid', `Risk must be 0, 0.5 or 1 (got ${JSON.stringify(input.risk)}).`);
    if (input.category != null && !isCategory(input.category))
      throw new StoreError(
        'invalid',
        `Unknown category "${input.category}". Use one of the nine GuardTrace categories.`,
      );
    refuseOtherName(input.reviewer, (this.login ??= await sessionLogin(this.pool)), 'adjudication');
    return inTransaction(this.pool, async (client) => {
      await requireCase(client, input.caseId);
      const before = await resolve(client, input.caseId);
      const inserted = await client.query<PgReviewRow>(
        `INSERT INTO reviews (case_id, kind, risk, category, analysis, note, source)
         VALUES ($1, 'adjudication', $2, $3, $4, $5, $6) RETURNING *`,
        [
          input.caseId,
          input.risk,
          input.category ?? null,
          input.analysis ?? null,
          input.note ?? null,
          input.source ?? 'manual',
        ],
      );
      const record = toReviewRecord(inserted.rows[0]);
      await client.query(
        `INSERT INTO audit_log (action, case_id, before, after) VALUES ('review.adjudicate', $1, $2, $3)`,
        [
          input.caseId,
          JSON.stringify({
            basis: before.basis,
            reviewers: before.perReviewer.map((review) => ({
              reviewId: review.id,
              reviewer: review.reviewer,
              risk: review.risk,
              category: review.category,
            })),
          }),
          JSON.stringify({ reviewId: record.id, risk: record.risk, category: record.category, note: record.note }),
        ],
      );
      return record;
    });
  }
}
