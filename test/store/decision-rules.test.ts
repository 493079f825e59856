// The engine-neutral decision rules (store/decision-rules.ts) that both engines apply: which review is in force,
// when reviewers agree (by the profile's own levels), what they disagree on, and what a judgment may be.
import { describe, expect, it } from 'vitest';
import { GUARDTRACE_LEVEL_SCHEME, type LevelScheme } from '@domain/levels';
import type { ReviewRecord } from '@domain/reviews';
import { disagreementOf, resolveDecision, validateJudgment } from '@main/store/decision-rules';

const FOUR_LEVELS: LevelScheme = {
  profileId: 'test-four-levels',
  levels: [
    { value: 0, label: 'none', harmful: false },
    { value: 1, label: 'low', harmful: false },
    { value: 2, label: 'medium', harmful: true },
    { value: 3, label: 'high', harmful: true },
  ],
  categories: ['spam', 'fraud'],
};

let nextId = 1;
function review(reviewer: string, risk: number, category: string | null = null, kind = 'decision'): ReviewRecord {
  return {
    id: nextId++,
    caseId: 'c1',
    kind: kind as ReviewRecord['kind'],
    risk: risk as ReviewRecord['risk'],
    category: category as ReviewRecord['category'],
    analysis: null,
    analysisSource: null,
    note: null,
    reviewer,
    source: 'manual',
    packId: null,
    undoesReviewId: null,
    createdAt: '2026-12-08T00:00:00.000Z',
  };
}

describe('decision rules shared by both engines', () => {
  it('one reviewer: their latest decision is in force', () => {
    const first = review('ann', 0);
    const latest = review('ann', 1, 'Data privacy');
    expect(resolveDecision([first, latest], GUARDTRACE_LEVEL_SCHEME)).toMatchObject({
      inForce: { id: latest.id },
      basis: 'single_reviewer',
      perReviewer: [{ id: latest.id }],
    });
  });

  it('reviewers agree on a non-harmful level whatever the category, and on a harmful one only with the same category', () => {
    const safe = resolveDecision([review('ann', 1, 'spam'), review('ben', 1, 'fraud')], FOUR_LEVELS);
    expect(safe).toMatchObject({ basis: 'agreeing_reviewers', inForce: { reviewer: 'ben' } });
    const harmful = resolveDecision([review('ann', 2, 'spam'), review('ben', 2, 'fraud')], FOUR_LEVELS);
    expect(harmful).toMatchObject({ basis: 'disputed', inForce: null });
    expect(disagreementOf(harmful, FOUR_LEVELS)).toEqual(['category']);
    const risk = resolveDecision([review('ann', 0), review('ben', 3, 'fraud')], FOUR_LEVELS);
    expect(disagreementOf(risk, FOUR_LEVELS)).toEqual(['risk']);
    expect(disagreementOf(safe, FOUR_LEVELS)).toEqual([]);
  });

  it("an adjudication overrides a dispute, and each reviewer's latest decision counts once", () => {
    const live = [review('ann', 0), review('ben', 1, 'Data privacy'), review('ann', 0.5, 'Data privacy')];
    const settled = review('lea', 1, 'Data privacy', 'adjudication');
    const resolved = resolveDecision([...live, settled], GUARDTRACE_LEVEL_SCHEME);
    expect(resolved).toMatchObject({ basis: 'adjudication', inForce: { id: settled.id } });
    expect(resolved.perReviewer.map((r) => [r.reviewer, r.risk])).toEqual([
      ['ben', 1],
      ['ann', 0.5],
    ]);
    expect(resolveDecision([], GUARDTRACE_LEVEL_SCHEME)).toMatchObject({ basis: null, inForce: null });
  });

  it("refuses a level or category outside the profile's vocabulary, naming the allowed ones", () => {
    expect(() => validateJudgment({ risk: 0.5 }, FOUR_LEVELS)).toThrow(
      /Risk must be 0, 1, 2 or 3 \(got 0\.5; the levels of test-four-levels\)/,
    );
    expect(() => validateJudgment({ risk: 2, category: 'Data privacy' }, FOUR_LEVELS)).toThrow(
      /Use one of the test-four-levels categories: spam, fraud/,
    );
    expect(() => validateJudgment({ risk: 0.5, category: 'Data privacy' }, GUARDTRACE_LEVEL_SCHEME)).not.toThrow();
  });
});
