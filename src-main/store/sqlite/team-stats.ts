import type { TeamAgreementReport } from '@domain/team';
import { medianSecondsBetween, teamAgreementFrom, type LiveDecision } from '../metrics/team-agreement';
import type { DecisionResolver } from './adjudication';
import type { Db } from './open-database';

/** Reviewer agreement on a data folder: the live decisions read in one pass, the figures from metrics/. */
export class TeamStatsReader {
  constructor(
    private readonly db: Db,
    private readonly resolver: DecisionResolver,
  ) {}

  agreement(): TeamAgreementReport {
    const live = this.db
      .prepare<[], LiveDecision>(
        // One pass, with the case columns the figures need alongside (no query per case).
        `SELECT r.case_id, r.reviewer, r.kind, r.risk, r.category,
                CASE WHEN c.model_status = 'ok' THEN c.model_risk END AS model_risk, c.model_category, c.human_category
         FROM reviews r JOIN cases c ON c.id = r.case_id
         WHERE r.kind IN ('decision', 'adjudication')
           AND r.id NOT IN (SELECT undoes_review_id FROM reviews WHERE undoes_review_id IS NOT NULL)
         ORDER BY r.id`,
      )
      .all();
    const times = this.db.prepare<[string], string>(
      "SELECT created_at FROM reviews WHERE reviewer = ? AND kind = 'decision' ORDER BY created_at, id",
    );
    const { agreement, reviewers } = teamAgreementFrom(live, (reviewer) =>
      medianSecondsBetween(
        times
          .pluck()
          .all(reviewer)
          .map((at) => Date.parse(at)),
      ),
    );
    return { ...agreement, reviewers, disputed: this.resolver.disputedCount() };
  }
}
