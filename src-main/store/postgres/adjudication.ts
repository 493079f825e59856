// Adjudication on the team database (the contract's AdjudicationStore): the same rules as the SQLite engine's
// DecisionResolver, which the database itself applies (guardtrace_resolve_case); this reads what a lead needs to
// settle a case and records the lead's decision. Only a lead may read every reviewer's decision or adjudicate: a
// reviewer is refused by PostgreSQL (row-level security), not by this code.
import type { ReviewRecord } from '@domain/reviews';
import { GUARDTRACE_LEVEL_SCHEME } from '@domain/levels';
import type { AdjudicationView } from '@domain/team';
import type pg from 'pg';
import type { AdjudicationRequest, AdjudicationStore } from '../contract';
import {
  disagreementOf,
  resolveDecision,
  toReviewerDecision,
  validateJudgment,
  type ResolvedDecision,
} from '../decision-rules';
import { requireCase } from './decisions';
import { refuseOtherName } from './identity';
import { toReviewRecord, type PgReviewRow } from './rows';
import { inTransaction, sessionLogin } from './transaction';
import { latestVerdict } from './verdicts';

type Queryable = pg.Pool | pg.PoolClient;

// The team database speaks GuardTrace-VL's levels until level schemes per profile reach it (docs/team.md).
const scheme = GUARDTRACE_LEVEL_SCHEME;

async function resolve(db: Queryable, caseId: string): Promise<ResolvedDecision> {
  const live = await db.query<PgReviewRow>(
    `SELECT r.* FROM reviews r WHERE r.case_id = $1 AND r.kind IN ('decision', 'adjudication')
       AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes_review_id = r.id) ORDER BY r.id`,
    [caseId],
  );
  return resolveDecision(live.rows.map(toReviewRecord), scheme);
}

export class PostgresAdjudicationStore implements AdjudicationStore {
  private login: string | undefined;

  constructor(private readonly pool: pg.Pool) {}

  async view(caseId: string): Promise<AdjudicationView> {
    await requireCase(this.pool, caseId);
    const resolved = await resolve(this.pool, caseId);
    const audit = await latestVerdict(this.pool, caseId);
    return {
      caseId,
      disputed: resolved.basis === 'disputed',
      disagreesOn: disagreementOf(resolved, scheme),
      model: audit && { status: audit.status, risk: audit.risk, category: audit.category, analysis: audit.analysis },
      reviewers: resolved.perReviewer.map(toReviewerDecision),
      adjudication: resolved.adjudication && toReviewerDecision(resolved.adjudication),
      basis: resolved.basis === 'disputed' ? null : resolved.basis,
    };
  }

  async adjudicate(input: AdjudicationRequest): Promise<ReviewRecord> {
    validateJudgment(input, scheme);
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
