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

async function practiceOf(core: Core): Promise<PracticeInfo> {
  const practice = (await core.settings()).practice;
  if (!practice)
    throw new ApiError('forbidden', 'Not a practice workspace: gold answers are shown only in practice workspaces.');
  return practice;
}

/**
 * The trainee's decision in force on each of these cases. A practice workspace has one reviewer, so it is their
 * latest decision not taken back.
 */
async function decisions(
  core: Core,
  caseIds: readonly string[],
): Promise<Map<string, { risk: number; category: string | null; at: string }>> {
  const found = new Map<string, { risk: number; category: string | null; at: string }>();
  for (const caseId of caseIds) {
    const review = await core.store.decisions.current(caseId);
    if (review && review.risk !== null)
      found.set(caseId, { risk: review.risk, category: review.category, at: review.createdAt });
  }
  return found;
}

export async function practiceFeedback(core: Core, caseId: string): Promise<PracticeFeedback> {
  const practice = await practiceOf(core);
  const gold = await core.store.gold.get(caseId);
  if (!gold) throw new ApiError('not_found', `Case "${caseId}" is not part of this practice set.`);
  const given = (await decisions(core, [caseId])).get(caseId);
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

export async function practiceSummary(core: Core): Promise<PracticeSummary> {
  await practiceOf(core);
  const gold = await core.store.gold.list();
  const given = await decisions(
    core,
    gold.map((g) => g.caseId),
  );
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
