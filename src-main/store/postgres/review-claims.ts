// Review claims: opening a case claims it for a few minutes, renewed while it stays open. Others see who has it and
// their submit-and-next skips it; a claim that expires (a window closed, a laptop went to sleep) frees the case.
// Expiry is judged by the database's clock, so workstations with wrong clocks agree.
import type pg from 'pg';

export const DEFAULT_CLAIM_MS = 5 * 60_000;

export type ClaimResult = { claimed: true; until: string } | { claimed: false; by: string; until: string };

export interface ActiveClaim {
  caseId: string;
  by: string;
  until: string;
}

/** SQL condition on `cases` (alias `c`): nobody else holds an unexpired claim on the case (what the queue shows). */
export const NOT_CLAIMED_BY_OTHERS = `NOT EXISTS (SELECT 1 FROM review_claims rc WHERE rc.case_id = c.id
  AND rc.expires_at > now() AND rc.claimed_by <> session_user::text)`;

/** SQL condition on `cases` (alias `c`): nobody, this login included, holds an unexpired claim (what "next" takes). */
const UNCLAIMED = `NOT EXISTS (SELECT 1 FROM review_claims rc WHERE rc.case_id = c.id AND rc.expires_at > now())`;

export class ReviewClaims {
  constructor(
    private readonly pool: pg.Pool,
    readonly claimMs = DEFAULT_CLAIM_MS,
  ) {}

  /** Claims the case, or renews this login's claim; when someone else holds it, says who and until when. */
  async claim(caseId: string): Promise<ClaimResult> {
    const taken = await this.pool.query<{ expires_at: Date }>(
      `INSERT INTO review_claims AS rc (case_id, expires_at) VALUES ($1, now() + $2 * interval '1 millisecond')
       ON CONFLICT (case_id) DO UPDATE SET claimed_by = session_user, expires_at = excluded.expires_at,
         claimed_at = CASE WHEN rc.claimed_by = session_user::text THEN rc.claimed_at ELSE now() END
       WHERE rc.claimed_by = session_user::text OR rc.expires_at < now()
       RETURNING expires_at`,
      [caseId, this.claimMs],
    );
    if (taken.rowCount) return { claimed: true, until: taken.rows[0].expires_at.toISOString() };
    const holder = await this.pool.query<{ claimed_by: string; expires_at: Date }>(
      'SELECT claimed_by, expires_at FROM review_claims WHERE case_id = $1',
      [caseId],
    );
    const row = holder.rows[0];
    // Released between the two statements: try once more.
    if (!row) return this.claim(caseId);
    return { claimed: false, by: row.claimed_by, until: row.expires_at.toISOString() };
  }

  /** Lets the case go (the window moved on or closed). */
  async release(caseId: string): Promise<void> {
    await this.pool.query('DELETE FROM review_claims WHERE case_id = $1 AND claimed_by = session_user', [caseId]);
  }

  /** Unexpired claims on the given cases (what the queue shows as "being reviewed by …"). */
  async active(caseIds: readonly string[]): Promise<ActiveClaim[]> {
    const result = await this.pool.query<{ case_id: string; claimed_by: string; expires_at: Date }>(
      'SELECT case_id, claimed_by, expires_at FROM review_claims WHERE case_id = ANY($1) AND expires_at > now() ORDER BY case_id',
      [caseIds],
    );
    return result.rows.map((r) => ({ caseId: r.case_id, by: r.claimed_by, until: r.expires_at.toISOString() }));
  }

  /**
   * Claims the first case after `afterSeq` (queue order: oldest first) that has no decision and no live claim (not
   * even this login's, which another of its windows holds); null when none is left. Two reviewers, or two windows,
   * asking at once get different cases.
   */
  async claimNextUnreviewed(afterSeq = 0): Promise<{ caseId: string; seq: number } | null> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const result = await this.pool.query<{ case_id: string; seq: string }>(
        `WITH candidate AS (
           SELECT c.id, c.seq FROM cases c
            WHERE c.seq > $1 AND c.human_risk IS NULL
              AND NOT EXISTS (SELECT 1 FROM case_decisions d WHERE d.case_id = c.id)
              AND ${UNCLAIMED}
            ORDER BY c.seq LIMIT 1)
         INSERT INTO review_claims AS rc (case_id, expires_at)
         SELECT id, now() + $2 * interval '1 millisecond' FROM candidate
         ON CONFLICT (case_id) DO UPDATE SET claimed_by = session_user, expires_at = excluded.expires_at, claimed_at = now()
         WHERE rc.expires_at < now()
         RETURNING case_id, (SELECT seq FROM candidate) AS seq`,
        [afterSeq, this.claimMs],
      );
      if (result.rowCount) return { caseId: result.rows[0].case_id, seq: Number(result.rows[0].seq) };
      // Nothing inserted: either no candidate is left, or another reviewer claimed ours a moment ago.
      const left = await this.pool.query(
        `SELECT 1 FROM cases c WHERE c.seq > $1 AND c.human_risk IS NULL
           AND NOT EXISTS (SELECT 1 FROM case_decisions d WHERE d.case_id = c.id) AND ${UNCLAIMED} LIMIT 1`,
        [afterSeq],
      );
      if (!left.rowCount) return null;
    }
    return null;
  }
}
