// Human decisions on the team database (the contract's DecisionWriter). The reviewer is the login; the database
// checks it (0002), keeps the decision in force and the queue columns in step (guardtrace_resolve_case), and lets a
// login undo only its own latest decision. Each method is one transaction, committed before it resolves.
import { resolveAnalysis } from '@domain/review-analysis';
import { REVIEW_SOURCES, type ReviewRecord } from '@domain/reviews';
import { GUARDTRACE_LEVEL_SCHEME } from '@domain/levels';
import type pg from 'pg';
import type { DecisionInput, DecisionWriter } from '../contract';
import { summarizeDecision, validateJudgment } from '../decision-rules';
import { StoreError } from '../errors';
import { refuseOtherName } from './identity';
import { toReviewRecord, type PgReviewRow } from './rows';
import { inTransaction, sessionLogin } from './transaction';
import { latestVerdict } from './verdicts';

type Queryable = pg.Pool | pg.PoolClient;

export async function decisionInForce(db: Queryable, caseId: string): Promise<ReviewRecord | null> {
  const result = await db.query<PgReviewRow>('SELECT * FROM guardtrace_decision_in_force($1)', [caseId]);
  return result.rows[0] ? toReviewRecord(result.rows[0]) : null;
}

export async function requireCase(db: Queryable, caseId: string): Promise<void> {
  const found = await db.query('SELECT 1 FROM cases WHERE id = $1', [caseId]);
  if (!found.rowCount) throw new StoreError('not_found', `No case with id "${caseId}" in the team database.`);
}

function validate(input: DecisionInput): void {
  // The team database speaks GuardTrace-VL's levels until level schemes per profile reach it (docs/team.md).
  validateJudgment(input, GUARDTRACE_LEVEL_SCHEME);
  if (input.source !== undefined && (!REVIEW_SOURCES.includes(input.source) || input.source === 'pack'))
    throw new StoreError(
      'invalid',
      `A decision made here cannot have source "${String(input.source)}"; use manual, accept_model, bulk_accept or cli.`,
    );
}

export class PostgresDecisionWriter implements DecisionWriter {
  private login: string | undefined;

  constructor(private readonly pool: pg.Pool) {}

  private async me(): Promise<string> {
    return (this.login ??= await sessionLogin(this.pool));
  }

  async submit(input: DecisionInput): Promise<ReviewRecord> {
    validate(input);
    refuseOtherName(input.reviewer, await this.me());
    return inTransaction(this.pool, (client) => this.submitIn(client, input));
  }

  private async submitIn(client: pg.PoolClient, input: DecisionInput): Promise<ReviewRecord> {
    await requireCase(client, input.caseId);
    const before = await decisionInForce(client, input.caseId);
    const audit = await latestVerdict(client, input.caseId);
    const resolved = resolveAnalysis(
      { risk: input.risk, category: input.category ?? null, analysis: input.analysis ?? null },
      audit,
    );
    const inserted = await client.query<PgReviewRow>(
      `INSERT INTO reviews (case_id, kind, risk, category, analysis, analysis_source, note, source)
       VALUES ($1, 'decision', $2, $3, $4, $5, $6, $7) RETURNING *`,
      [
        input.caseId,
        input.risk,
        input.category ?? null,
        resolved.analysis,
        resolved.source,
        input.note ?? null,
        input.source ?? 'manual',
      ],
    );
    const record = toReviewRecord(inserted.rows[0]);
    await client.query('INSERT INTO audit_log (action, case_id, before, after) VALUES ($1, $2, $3, $4)', [
      record.source === 'bulk_accept' ? 'review.bulk_accept' : 'review.submit',
      input.caseId,
      before && JSON.stringify(summarizeDecision(before)),
      JSON.stringify(summarizeDecision(record)),
    ]);
    return record;
  }

  async undoLast(reviewer?: string): Promise<ReviewRecord | null> {
    refuseOtherName(reviewer, await this.me(), 'undo');
    return inTransaction(this.pool, async (client) => {
      const target = await client.query<PgReviewRow>(
        `SELECT r.* FROM reviews r
          WHERE r.recorded_by = session_user AND r.kind IN ('decision', 'adjudication')
            AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes_review_id = r.id)
          ORDER BY r.id DESC LIMIT 1`,
      );
      const row = target.rows[0];
      if (!row) return null;
      const taken = toReviewRecord(row);
      const inserted = await client.query<PgReviewRow>(
        `INSERT INTO reviews (case_id, kind, source, undoes_review_id) VALUES ($1, 'undo', $2, $3) RETURNING *`,
        // An undo made here is not part of any decisions file, even when it takes back an imported decision.
        [row.case_id, row.source === 'pack' || row.source === 'imported' ? 'manual' : row.source, row.id],
      );
      const restored = await decisionInForce(client, row.case_id);
      await client.query(`INSERT INTO audit_log (action, case_id, before, after) VALUES ('review.undo', $1, $2, $3)`, [
        row.case_id,
        JSON.stringify(summarizeDecision(taken)),
        restored && JSON.stringify(summarizeDecision(restored)),
      ]);
      return toReviewRecord(inserted.rows[0]);
    });
  }

  async bulkAccept(caseIds: string[], reviewer?: string): Promise<{ accepted: number; skipped: number }> {
    refuseOtherName(reviewer, await this.me());
    return inTransaction(this.pool, async (client) => {
      let accepted = 0;
      for (const caseId of caseIds) {
        const audit = await latestVerdict(client, caseId);
        if (!audit || audit.status !== 'ok' || audit.risk === null) continue;
        await this.submitIn(client, {
          caseId,
          risk: audit.risk,
          category: audit.category,
          analysis: audit.analysis,
          source: 'bulk_accept',
        });
        accepted++;
      }
      return { accepted, skipped: caseIds.length - accepted };
    });
  }

  current(caseId: string): Promise<ReviewRecord | null> {
    return decisionInForce(this.pool, caseId);
  }
}
