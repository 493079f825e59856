import { describe, expect, it } from 'vitest';
import { DEFAULT_EXPOSURE_LIMITS, type ExposureLimits } from '@domain/exposure';
import { createCore } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { enforceRendererPolicy, PathGrants } from '@main/api/renderer-policy';
import { defaultSettings } from '@main/api/settings';
import { asStore, newCase, openTempStore } from '../helpers/store-fixtures';
import { addCases } from '../store-contract/seed';
import { tempDir } from '../helpers/temp-dir';

const LIMITS: ExposureLimits = {
  ...DEFAULT_EXPOSURE_LIMITS,
  softImages: 2,
  hardImages: 3,
  softHarmful: 2,
  hardHarmful: 4,
};
const at = (minute: number) => new Date(Date.UTC(2026, 11, 7, 9, minute)).toISOString();

describe('exposure counter', () => {
  it('counts each revealed image once per session, suggests a break at the soft limit, enforces it at the hard one', async () => {
    const store = asStore(openTempStore());
    await store.exposure.record('ann', 'image_revealed', 'c1', at(0));
    await store.exposure.record('ann', 'image_revealed', 'c1', at(1)); // the same image again: not counted twice
    expect(await store.exposure.status('ann', LIMITS, at(2))).toMatchObject({
      session: { imagesRevealed: 1, harmfulJudged: 0, since: at(0), minutes: 2 },
      breakSuggested: false,
      mustBreak: false,
    });
    await store.exposure.record('ann', 'image_revealed', 'c2', at(3));
    expect(await store.exposure.status('ann', LIMITS, at(3))).toMatchObject({ breakSuggested: true, mustBreak: false });
    await store.exposure.record('ann', 'image_revealed', 'c3', at(4));
    const hard = await store.exposure.status('ann', LIMITS, at(4));
    expect(hard).toMatchObject({ mustBreak: true, session: { imagesRevealed: 3 } });
    // Other moderators are counted apart.
    expect((await store.exposure.status('bob', LIMITS, at(4))).session.imagesRevealed).toBe(0);

    await store.exposure.startBreak('ann', at(5));
    expect((await store.exposure.status('ann', LIMITS, at(6))).onBreak).toEqual({ since: at(5), endsAt: at(15) });
    await expect(store.exposure.endBreak('ann', LIMITS, at(10))).rejects.toThrow(/5 more minute/);
    expect((await store.exposure.status('ann', LIMITS, at(10))).mustBreak).toBe(true);
    await store.exposure.endBreak('ann', LIMITS, at(15));
    const after = await store.exposure.status('ann', LIMITS, at(16));
    expect(after).toMatchObject({ mustBreak: false, breakSuggested: false, onBreak: null });
    expect(after.session.imagesRevealed).toBe(0);
    // The last hour still counts what was shown before the break.
    expect(after.lastHour.imagesRevealed).toBe(3);
    await store.close();
  });

  it('counts harmful decisions of the moderator through reviews.submit and pushes the change', async () => {
    const core = await createCore({ dataDir: tempDir() });
    try {
      await core.store.settings.setMany({ reviewer: 'ann', exposureLimits: LIMITS });
      await addCases(
        core.store,
        ['a', 'b', 'c'].map((id) => newCase(id)),
      );
      const handlers = createHandlers(core);
      const pushed: number[] = [];
      core.events.on('exposure.changed', (status) => pushed.push(status.session.harmfulJudged));
      for (const [id, risk] of [
        ['a', 1],
        ['b', 0],
        ['c', 0.5],
      ] as const)
        await handlers['reviews.submit']({ caseId: id, risk, reviewer: 'ann', source: 'manual' });
      expect(pushed).toEqual([1, 2]);
      expect((await handlers['exposure.status']()).session.harmfulJudged).toBe(2);
      expect((await handlers['exposure.imageRevealed']({ caseId: 'a' })).session.imagesRevealed).toBe(1);
    } finally {
      await core.close();
    }
  });

  it('the window cannot change the lead’s limits or gold rate; the moderator’s display choices it can', async () => {
    const policy = { grants: new PathGrants(), confirm: async () => false, confirmDestination: async () => false };
    const settings = () => defaultSettings();
    await expect(
      enforceRendererPolicy('settings.set', { exposureLimits: { ...LIMITS, hardImages: 9999 } }, policy, settings),
    ).rejects.toThrow(/set by the lead/);
    await expect(enforceRendererPolicy('settings.set', { goldRate: 0 }, policy, settings)).rejects.toThrow(
      /set by the lead/,
    );
    await expect(
      enforceRendererPolicy(
        'settings.set',
        { imageDisplay: { blurStrength: 'hidden', neverAutoReveal: true, hideDecidedImages: false } },
        policy,
        settings,
      ),
    ).resolves.toBeUndefined();
  });
});
