// Agreement between reviewers (Krippendorff's alpha, pairwise kappa, per category) and each reviewer's figures, from
// the live decisions both engines read the same way.
import { cohensKappa, krippendorffAlpha, median } from '@domain/agreement';
import type { PairAgreement, ReviewerStats, TeamAgreement } from '@domain/team';
import { CATEGORIES, type Category } from '@domain/types';

/** Gaps between two decisions longer than this are breaks, not time spent on a case. */
const MAX_DECISION_GAP_SECONDS = 3600;

interface CaseContext {
  model_risk: number | null;
  model_category: string | null;
  human_category: string | null;
}

/** A decision or adjudication no undo took back, with the columns of its case the figures need. */
export interface LiveDecision extends CaseContext {
  case_id: string;
  reviewer: string;
  kind: 'decision' | 'adjudication';
  risk: number;
  category: string | null;
}

/**
 * Reviewer agreement over each reviewer's decisions in force (their latest decision not undone; imported and local
 * decisions alike, adjudications apart), from the live decisions in the order they were made. The maths is in
 * domain/agreement.ts.
 */
export function teamAgreementFrom(
  live: readonly LiveDecision[],
  secondsPerDecision: (reviewer: string) => number | null,
): { agreement: TeamAgreement; reviewers: ReviewerStats[] } {
  // case → reviewer → latest live decision; case → latest live adjudication.
  const byCase = new Map<string, Map<string, LiveDecision>>();
  const adjudicated = new Map<string, LiveDecision>();
  for (const decision of live) {
    if (decision.kind === 'adjudication') {
      adjudicated.set(decision.case_id, decision);
      continue;
    }
    let reviewers = byCase.get(decision.case_id);
    if (!reviewers) byCase.set(decision.case_id, (reviewers = new Map()));
    reviewers.set(decision.reviewer, decision);
  }
  const context = new Map<string, CaseContext>(live.map((decision) => [decision.case_id, decision]));

  const names = [...new Set(live.filter((d) => d.kind === 'decision').map((d) => d.reviewer))].sort();
  const units: number[][] = [];
  const unitsByCategory = new Map<Category | 'none', number[][]>();
  for (const [caseId, reviewers] of byCase) {
    if (reviewers.size < 2) continue;
    const values = [...reviewers.values()].map((d) => d.risk);
    units.push(values);
    const category = unitCategory(context.get(caseId)!, [...reviewers.values()]);
    const list = unitsByCategory.get(category) ?? [];
    list.push(values);
    unitsByCategory.set(category, list);
  }
  const pairs: PairAgreement[] = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const both: Array<[number, number]> = [];
      for (const reviewers of byCase.values()) {
        const a = reviewers.get(names[i]);
        const b = reviewers.get(names[j]);
        if (a && b) both.push([a.risk, b.risk]);
      }
      if (both.length) pairs.push({ a: names[i], b: names[j], kappa: cohensKappa(both), n: both.length });
    }
  }
  const perCategory = [...CATEGORIES, 'none' as const]
    .filter((category) => unitsByCategory.has(category))
    .map((category) => ({
      category,
      alpha: krippendorffAlpha(unitsByCategory.get(category)!, 'ordinal'),
      units: unitsByCategory.get(category)!.length,
    }));

  const reviewers = names.map((reviewer): ReviewerStats => {
    let casesDecided = 0;
    let adjudicatedCases = 0;
    let agreeAdjudication = 0;
    let modelCases = 0;
    let agreeModel = 0;
    for (const [caseId, decisions] of byCase) {
      const mine = decisions.get(reviewer);
      if (!mine) continue;
      casesDecided++;
      const adjudication = adjudicated.get(caseId);
      if (adjudication) {
        adjudicatedCases++;
        if (adjudication.risk === mine.risk) agreeAdjudication++;
      }
      const modelRisk = context.get(caseId)!.model_risk;
      if (modelRisk !== null) {
        modelCases++;
        if (modelRisk === mine.risk) agreeModel++;
      }
    }
    return {
      reviewer,
      casesDecided,
      medianSecondsPerDecision: secondsPerDecision(reviewer),
      agreementWithAdjudication: adjudicatedCases ? agreeAdjudication / adjudicatedCases : null,
      adjudicatedCases,
      agreementWithModel: modelCases ? agreeModel / modelCases : null,
      modelCases,
    };
  });
  return {
    agreement: { alpha: krippendorffAlpha(units, 'ordinal'), units: units.length, pairs, perCategory },
    reviewers,
  };
}

/** Median gap between consecutive decisions (ms timestamps, in order), breaks left out. */
export function medianSecondsBetween(times: readonly number[]): number | null {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const seconds = (times[i] - times[i - 1]) / 1000;
    if (seconds >= 0 && seconds <= MAX_DECISION_GAP_SECONDS) gaps.push(seconds);
  }
  return median(gaps);
}

/**
 * The category a multiply-reviewed case is counted under: the decision in force's, else the first category a
 * reviewer gave, else the model's.
 */
function unitCategory(context: CaseContext, decisions: LiveDecision[]): Category | 'none' {
  const candidates = [context.human_category, ...decisions.map((d) => d.category), context.model_category];
  const found = candidates.find((c) => c !== null && (CATEGORIES as readonly string[]).includes(c));
  return (found as Category | undefined) ?? 'none';
}
