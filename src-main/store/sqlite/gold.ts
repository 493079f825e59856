import {
  scoreDetail,
  type GoldAnswer,
  type GoldCase,
  type GoldReport,
  type GoldSetInput,
  type GoldSource,
} from '@domain/gold';
import { DEMO_ENGINE } from '@domain/demo';
import { isCategory, isRiskLevel, type Category, type RiskLevel } from '@domain/types';
import type { ActivityLog } from './activity-log';
import type { CaseRepository } from './cases';
import { nowIso } from './clock';
import { StoreError } from '../errors';
import type { Db } from './open-database';
import { writeTransaction } from './write-transaction';

interface GoldRow {
  case_id: string;
  risk: number;
  category: string | null;
  explanation: string | null;
  source: GoldSource;
  set_by: string;
  set_at: string;
}

interface AnswerRow {
  case_id: string;
  gold_risk: number;
  gold_category: string | null;
  risk: number;
  category: string | null;
  at: string;
}

interface ReviewerAnswerRow extends AnswerRow {
  reviewer: string;
}

/** A review not taken back by an undo. */
const LIVE = 'NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes_review_id = r.id)';

const toGoldCase = (row: GoldRow): GoldCase => ({
  caseId: row.case_id,
  risk: row.risk as RiskLevel,
  category: row.category as Category | null,
  explanation: row.explanation,
  source: row.source,
  setBy: row.set_by,
  setAt: row.set_at,
});

const toAnswer = (row: AnswerRow): GoldAnswer => ({
  caseId: row.case_id,
  goldRisk: row.gold_risk as RiskLevel,
  goldCategory: row.gold_category as Category | null,
  givenRisk: row.risk as RiskLevel,
  givenCategory: row.category as Category | null,
  at: row.at,
});

/**
 * Gold cases: set, changed and removed only through here, each change in the activity log. The log entry names the
 * case inside its values, not in its case column: a case's history is part of what a reviewer's screen reads
 * (cases.get), and it must not tell them the case is gold (docs/quality.md, "Blindness").
 */
export class GoldRepository {
  constructor(
    private readonly db: Db,
    private readonly cases: CaseRepository,
    private readonly activityLog: ActivityLog,
  ) {}

  set(input: GoldSetInput): GoldCase {
    return writeTransaction(this.db, () => {
      this.cases.row(input.caseId); // a readable not_found for an unknown case
      const source = input.source ?? 'manual';
      const { risk, category } = this.answerFrom(source, input);
      if (category !== null && !isCategory(category))
        throw new StoreError('invalid', `Gold category "${String(category)}" is not one of the nine categories.`);
      const before = this.get(input.caseId);
      const gold: GoldCase = {
        caseId: input.caseId,
        risk,
        category,
        explanation: input.explanation?.trim() || null,
        source,
        setBy: input.actor,
        setAt: nowIso(),
      };
      this.db
        .prepare(
          `INSERT INTO gold_cases (case_id, risk, category, explanation, source, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (case_id) DO UPDATE SET risk = excluded.risk, category = excluded.category,
             explanation = excluded.explanation, source = excluded.source, set_by = excluded.set_by, set_at = excluded.set_at`,
        )
        .run(gold.caseId, gold.risk, gold.category, gold.explanation, gold.source, gold.setBy, gold.setAt);
      this.activityLog.append({
        actor: input.actor,
        action: 'gold_set',
        before: before ?? { caseId: input.caseId },
        after: gold,
      });
      return gold;
    });
  }

  /** Removes the gold mark; false when the case had none. */
  unset(caseId: string, actor: string): boolean {
    return writeTransaction(this.db, () => {
      const before = this.get(caseId);
      if (!before) return false;
      this.db.prepare('DELETE FROM gold_cases WHERE case_id = ?').run(caseId);
      this.activityLog.append({ actor, action: 'gold_unset', before, after: { caseId } });
      return true;
    });
  }

  get(caseId: string): GoldCase | null {
    const row = this.db.prepare<[string], GoldRow>('SELECT * FROM gold_cases WHERE case_id = ?').get(caseId);
    return row ? toGoldCase(row) : null;
  }

  list(): GoldCase[] {
    return this.db.prepare<[], GoldRow>('SELECT * FROM gold_cases ORDER BY set_at, case_id').all().map(toGoldCase);
  }

  count(): number {
    return this.db.prepare<[], number>('SELECT count(*) FROM gold_cases').pluck().get()!;
  }

  /** Each reviewer and the model scored against gold (the lead's view). */
  report(rate: number): GoldReport {
    // Each reviewer's latest live decision per gold case (adjudications are not a reviewer's answer).
    const reviewerRows = this.db
      .prepare<[], ReviewerAnswerRow>(
        `SELECT r.case_id, r.reviewer, g.risk AS gold_risk, g.category AS gold_category, r.risk, r.category,
                r.created_at AS at
         FROM reviews r JOIN gold_cases g ON g.case_id = r.case_id
         WHERE r.kind = 'decision' AND ${LIVE}
           AND r.id = (SELECT max(r2.id) FROM reviews r2 WHERE r2.case_id = r.case_id AND r2.reviewer = r.reviewer
                         AND r2.kind = 'decision'
                         AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes_review_id = r2.id))
         ORDER BY r.reviewer, r.id`,
      )
      .all();
    const byReviewer = new Map<string, GoldAnswer[]>();
    for (const row of reviewerRows) {
      const list = byReviewer.get(row.reviewer) ?? [];
      list.push(toAnswer(row));
      byReviewer.set(row.reviewer, list);
    }
    // The model: its latest verdict with a judgment; the sample's hand-written demo verdicts are no model's.
    const modelRows = this.db
      .prepare<[string], AnswerRow>(
        `SELECT a.case_id, g.risk AS gold_risk, g.category AS gold_category, a.risk, a.category, a.created_at AS at
         FROM gold_cases g JOIN audits a ON a.id = (SELECT max(id) FROM audits WHERE case_id = g.case_id AND engine != ?)
         WHERE a.status = 'ok'
         ORDER BY a.id`,
      )
      .all(DEMO_ENGINE);
    return {
      cases: this.count(),
      rate,
      reviewers: [...byReviewer].map(([reviewer, answers]) => ({ reviewer, ...scoreDetail(answers) })),
      model: scoreDetail(modelRows.map(toAnswer)),
    };
  }

  /** The gold answer a lead asked for: given by hand, or read from an adjudication or the imported label. */
  private answerFrom(source: GoldSource, input: GoldSetInput): { risk: RiskLevel; category: Category | null } {
    if (source === 'manual') {
      if (!isRiskLevel(input.risk))
        throw new StoreError('invalid', `Gold for case "${input.caseId}" needs a risk level: 0, 0.5 or 1.`);
      return { risk: input.risk, category: input.category ?? null };
    }
    if (source === 'imported_label') {
      const label = this.cases.row(input.caseId).gold;
      if (!isRiskLevel(label))
        throw new StoreError(
          'invalid',
          `Case "${input.caseId}" has no imported label (gold/label field); set its gold by hand with a risk level.`,
        );
      return { risk: input.risk ?? label, category: input.category ?? null };
    }
    const adjudication = this.db
      .prepare<[string], { risk: number; category: string | null }>(
        `SELECT r.risk, r.category FROM reviews r WHERE r.case_id = ? AND r.kind = 'adjudication' AND ${LIVE}
         ORDER BY r.id DESC LIMIT 1`,
      )
      .get(input.caseId);
    if (!adjudication)
      throw new StoreError(
        'invalid',
        `Case "${input.caseId}" has no adjudication; adjudicate it first, or set its gold by hand with a risk level.`,
      );
    return {
      risk: input.risk ?? (adjudication.risk as RiskLevel),
      category: input.category ?? (adjudication.category as Category | null),
    };
  }
}
