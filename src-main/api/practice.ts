// Practice mode in the handler map (docs/quality.md): what a practice workspace refuses, and the trainee's feedback.
import { scoreDetail, type GoldAnswer } from '@domain/gold';
import type { PracticeFeedback, PracticeInfo, PracticeSummary } from '@domain/practice';
import type { Settings } from '@domain/settings';
import type { Channel } from './contract';
import type { Core } from './core';
import { ApiError } from './errors';

/** A practice workspace's decisions are a trainee's answers, never labels: nothing leaves it and nothing merges in. */
const REFUSED_IN_PRACTICE: ReadonlySet<Channel> = new Set<Channel>([
  'export.run',
  'packs.create',
  'packs.import',
  'decisions.export',
  'decisions.import',
  'demo.create',
  'gold.set',
  'gold.unset',
]);

export function refuseInPractice(channel: Channel, settings: Settings): void {
  if (settings.practice && REFUSED_IN_PRACTICE.has(channel))
    throw new ApiError(
      'forbidden',
      'This is a practice workspace: its decisions are training answers, so it cannot export labels, make or take packs, or merge decisions. Open your real data folder for that.',
    );
}

function practiceOf(core: Core): PracticeInfo {
  const practice = core.settings().practice;
  if (!practice)
    throw new ApiError('forbidden', 'Not a practice workspace: gold answers are shown only in practice workspaces.');
  return practice;
}

/** The trainee's latest live decision on each case. */
function decisions(core: Core): Map<string, { risk: number; category: string | null; at: string }> {
  const rows = core.store.db
    .prepare<[], { case_id: string; risk: number; category: string | null; created_at: string }>(
      `SELECT r.case_id, r.risk, r.category, r.created_at FROM reviews r
       WHERE r.kind = 'decision' AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes_review_id = r.id)
       ORDER BY r.id`,
    )
    .all();
  return new Map(rows.map((row) => [row.case_id, { risk: row.risk, category: row.category, at: row.created_at }]));
}

export function practiceFeedback(core: Core, caseId: string): PracticeFeedback {
  const practice = practiceOf(core);
  const gold = core.store.gold.get(caseId);
  if (!gold) throw new ApiError('not_found', `Case "${caseId}" is not part of this practice set.`);
  const given = decisions(core).get(caseId);
  return {
    caseId,
    given: given
      ? { risk: given.risk as GoldAnswer['givenRisk'], category: given.category as GoldAnswer['givenCategory'] }
      : null,
    gold: { risk: gold.risk, category: gold.category, explanation: gold.explanation },
    model: practice.modelVerdicts[caseId] ?? null,
    correct: given ? given.risk === gold.risk : null,
  };
}

export function practiceSummary(core: Core): PracticeSummary {
  practiceOf(core);
  const given = decisions(core);
  const gold = core.store.gold.list();
  const answers: GoldAnswer[] = gold.flatMap((g) => {
    const decision = given.get(g.caseId);
    return decision
      ? [
          {
            caseId: g.caseId,
            goldRisk: g.risk,
            goldCategory: g.category,
            givenRisk: decision.risk as GoldAnswer['givenRisk'],
            givenCategory: decision.category as GoldAnswer['givenCategory'],
            at: decision.at,
          },
        ]
      : [];
  });
  return { total: gold.length, decided: answers.length, ...scoreDetail(answers) };
}
