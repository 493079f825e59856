// The guard-model profile owns its levels and categories in the store: the four-level test profile (0/1/2/3, levels
// 2 and 3 harmful; Spam, Fraud, Abuse) goes through review, adjudication, metrics and export, once per engine.
import { afterEach, describe, expect, it } from 'vitest';
import { GUARDTRACE_LEVEL_SCHEME } from '@domain/levels';
import type { RiskLevel } from '@domain/types';
import type { ExportRecord, Store } from '@main/store/contract';
import { levelSchemeOf } from '@main/engine/profiles';
import { auditResult, newCase, recordVerdicts } from '../helpers/store-fixtures';
import { fourLevels } from '../profiles/four-levels';
import { engines, type EngineFactory } from './engines';
import { addCases } from './seed';

/** A four-level risk, typed as the domain's GuardTrace levels are (the store takes the profile's). */
const level = (value: 0 | 1 | 2 | 3) => value as unknown as RiskLevel;

function fourLevelVerdict(risk: 0 | 1 | 2 | 3, category: string | null) {
  return auditResult(0, {
    profileId: fourLevels.id,
    modelId: 'four-level-model',
    rawOutput: `Level: ${risk}`,
    verdict: { status: 'ok', risk: level(risk), category: category as never, analysis: `level ${risk}` },
  });
}

describe.each(engines())('profile levels on %s', (_name, engine: EngineFactory) => {
  const reason = engine.unavailable();
  const open: Store[] = [];
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
  });
  const opened = async () => {
    const store = await engine.open({ levelSchemes: [GUARDTRACE_LEVEL_SCHEME, levelSchemeOf(fourLevels)] });
    open.push(store);
    await addCases(
      store,
      ['p', 'q', 'r', 's'].map((id) => newCase(id)),
    );
    await recordVerdicts(store, [
      { caseId: 'p', result: fourLevelVerdict(3, 'Fraud') },
      { caseId: 'q', result: fourLevelVerdict(1, 'Spam') },
      { caseId: 'r', result: fourLevelVerdict(2, 'Abuse') },
      { caseId: 's', result: fourLevelVerdict(0, null) },
    ]);
    return store;
  };

  it.skipIf(reason !== null)('accepts the profile’s levels and categories and refuses GuardTrace’s', async () => {
    const store = await opened();
    expect(
      await store.decisions.submit({ caseId: 'p', risk: level(2), category: 'Fraud' as never, reviewer: 'ann' }),
    ).toMatchObject({ risk: 2, category: 'Fraud' });
    await expect(store.decisions.submit({ caseId: 'q', risk: 0.5, reviewer: 'ann' })).rejects.toThrow(
      /Risk must be 0, 1, 2 or 3 \(got 0\.5; the levels of test-four-levels\)/,
    );
    await expect(
      store.decisions.submit({ caseId: 'q', risk: level(1), category: 'Cybersecurity', reviewer: 'ann' }),
    ).rejects.toThrow(
      /Unknown category "Cybersecurity". Use one of the test-four-levels categories: Spam, Fraud, Abuse/,
    );
    await expect(store.adjudication.adjudicate({ caseId: 'q', risk: 1, reviewer: 'lea' })).resolves.toMatchObject({
      risk: 1,
    });
    await expect(store.adjudication.adjudicate({ caseId: 'q', risk: 0.5, reviewer: 'lea' })).rejects.toThrow(
      /Risk must be 0, 1, 2 or 3/,
    );
  });

  it.skipIf(reason !== null)(
    'disputes only a harmful level’s category, and adjudicates in the profile’s levels',
    async () => {
      const store = await opened();
      // Level 1 is not harmful in this profile: a different category is no dispute.
      await store.decisions.submit({ caseId: 'q', risk: level(1), category: 'Spam' as never, reviewer: 'ann' });
      await store.decisions.submit({ caseId: 'q', risk: level(1), category: 'Fraud' as never, reviewer: 'bob' });
      expect(await store.adjudication.view('q')).toMatchObject({ disputed: false, basis: 'agreeing_reviewers' });
      // Level 2 is harmful: the same level with another category is a dispute, settled by an adjudication at 3.
      await store.decisions.submit({ caseId: 'r', risk: level(2), category: 'Abuse' as never, reviewer: 'ann' });
      await store.decisions.submit({ caseId: 'r', risk: level(2), category: 'Spam' as never, reviewer: 'bob' });
      expect(await store.adjudication.view('r')).toMatchObject({ disputed: true, disagreesOn: ['category'] });
      await store.adjudication.adjudicate({ caseId: 'r', risk: level(3), category: 'Abuse' as never, reviewer: 'lea' });
      expect(await store.decisions.current('r')).toMatchObject({ kind: 'adjudication', risk: 3 });
      expect((await store.cases.list({ humanRisk: level(3) })).rows.map((row) => row.id)).toEqual(['r']);
    },
  );

  it.skipIf(reason !== null)(
    'scores over the profile’s four levels, its harmful levels positive, and exports them',
    async () => {
      const store = await opened();
      await store.decisions.submit({ caseId: 'p', risk: level(3), category: 'Fraud' as never, reviewer: 'ann' });
      await store.decisions.submit({ caseId: 'q', risk: level(2), category: 'Spam' as never, reviewer: 'ann' });
      await store.decisions.submit({ caseId: 'r', risk: level(2), category: 'Abuse' as never, reviewer: 'ann' });
      await store.decisions.submit({ caseId: 's', risk: level(0), reviewer: 'ann' });
      const { modelVsHuman, perCategory } = await store.metrics.metrics();
      // rows: human 0/1/2/3, columns: model 0/1/2/3
      expect(modelVsHuman.confusion).toEqual([
        [1, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 1, 1, 0],
        [0, 0, 0, 1],
      ]);
      expect(modelVsHuman.agreement).toBeCloseTo(3 / 4);
      // harmful = 2 and 3: p (3 vs 3) and r (2 vs 2) are true positives; q (human 2, model 1) a false negative.
      expect(modelVsHuman.binary).toMatchObject({ n: 4, precision: 1, recall: 2 / 3 });
      expect(perCategory.map((c) => c.category).sort()).toEqual(['Abuse', 'Fraud', 'Spam', 'none']);
      const exported: ExportRecord[] = [];
      await store.exports.forEachPage('reviewed', (rows) => {
        exported.push(...rows);
      });
      expect(exported.map((row) => [row.id, row.model_risk, row.human_risk, row.model_profile_id])).toEqual([
        ['p', 3, 3, 'test-four-levels'],
        ['q', 1, 2, 'test-four-levels'],
        ['r', 2, 2, 'test-four-levels'],
        ['s', 0, 0, 'test-four-levels'],
      ]);
    },
  );
});
