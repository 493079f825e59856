// Gold cases, the exposure log and the sample's demo verdicts through the contract (docs/quality.md), once per engine;
// the PostgreSQL engine's refusal of the demo verdicts, which it does not implement yet.
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_ENGINE, DEMO_MODEL_ID } from '@domain/demo';
import { DEFAULT_EXPOSURE_LIMITS } from '@domain/exposure';
import type { Store } from '@main/store/contract';
import { PostgresVerdictStore } from '@main/store/postgres/verdicts';
import { auditResult, newCase, recordVerdicts } from '../helpers/store-fixtures';
import { engines, type EngineFactory } from './engines';
import { addCases } from './seed';

describe.each(engines())('quality on %s', (_name, engine: EngineFactory) => {
  const reason = engine.unavailable();
  const open: Store[] = [];
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
  });
  const opened = async () => {
    const store = await engine.open();
    open.push(store);
    await addCases(
      store,
      ['a', 'b'].map((id) => newCase(id, { gold: 1 })),
    );
    return store;
  };

  it.skipIf(reason !== null)('gold is set, changed, listed, scored and removed; never on the case', async () => {
    const store = await opened();
    await recordVerdicts(store, [{ caseId: 'a', result: auditResult(1) }]);
    await store.gold.set({ caseId: 'a', risk: 0.5, category: 'Cybersecurity', actor: 'lea' });
    expect(await store.gold.set({ caseId: 'a', source: 'imported_label', actor: 'lea' })).toMatchObject({
      caseId: 'a',
      risk: 1,
      source: 'imported_label',
      setBy: 'lea',
    });
    await expect(store.gold.set({ caseId: 'nope', risk: 1, actor: 'lea' })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(await store.gold.count()).toBe(1);
    expect((await store.gold.list()).map((g) => g.caseId)).toEqual(['a']);
    expect((await store.gold.report(0.05)).model).toMatchObject({ n: 1, accuracy: 1 });
    expect(JSON.stringify(await store.cases.get('a'))).not.toMatch(/gold_set/);
    expect(await store.gold.unset('a', 'lea')).toBe(true);
    expect(await store.gold.unset('a', 'lea')).toBe(false);
    expect(await store.gold.get('a')).toBeNull();
  });

  it.skipIf(reason !== null)(
    'the exposure log counts a revealed image once and holds a break to its minimum',
    async () => {
      const store = await opened();
      const at = (minute: number) => new Date(Date.UTC(2026, 11, 7, 9, minute)).toISOString();
      await store.exposure.record('ann', 'image_revealed', 'a', at(0));
      await store.exposure.record('ann', 'image_revealed', 'a', at(1));
      await store.exposure.record('ann', 'harmful_judged', 'b', at(1));
      expect((await store.exposure.status('ann', DEFAULT_EXPOSURE_LIMITS, at(2))).session).toMatchObject({
        imagesRevealed: 1,
        harmfulJudged: 1,
      });
      await store.exposure.startBreak('ann', at(3));
      await expect(
        store.exposure.endBreak('ann', { ...DEFAULT_EXPOSURE_LIMITS, breakMinutes: 5 }, at(4)),
      ).rejects.toThrow(/more minute/);
      await store.exposure.endBreak('ann', { ...DEFAULT_EXPOSURE_LIMITS, breakMinutes: 5 }, at(8));
      expect((await store.exposure.status('ann', DEFAULT_EXPOSURE_LIMITS, at(9))).session.imagesRevealed).toBe(0);
    },
  );

  it.skipIf(reason !== null)('demo verdicts are stored once and only from the demo engine', async () => {
    const store = await opened();
    const demo = auditResult(1, { engine: DEMO_ENGINE, modelId: DEMO_MODEL_ID });
    expect(await store.verdicts.recordDemo([{ caseId: 'a', result: demo }], 'lea')).toBe(1);
    expect(await store.verdicts.recordDemo([{ caseId: 'a', result: demo }], 'lea')).toBe(0);
    expect(await store.verdicts.latest('a')).toMatchObject({ engine: DEMO_ENGINE });
    await expect(store.verdicts.recordDemo([{ caseId: 'b', result: auditResult(1) }], 'lea')).rejects.toMatchObject({
      code: 'invalid',
    });
    expect(await store.verdicts.latest('b')).toBeNull();
  });
});

describe('PostgreSQL gaps', () => {
  it('refuses the sample workspace’s demo verdicts with a clear StoreError', async () => {
    const verdicts = new PostgresVerdictStore({} as never);
    await expect(verdicts.recordDemo([])).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringMatching(/not available on a team database yet/),
    });
  });
});
