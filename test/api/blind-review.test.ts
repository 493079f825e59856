// Blind review is enforced in the handler map: a blind reviewer's queue rows, sort order, case detail and events
// carry no model verdict, category, confidence or gold label before their first choice on that case.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandlers } from '@main/api/contract';
import { createCore, type Core } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { BlindEventFilter, eventForBlindWindow, watchSettings } from '@main/api/blind-review';
import { auditResult, newCase, recordVerdicts } from '../helpers/store-fixtures';
import { addCases } from '../store-contract/seed';
import { tempDir } from '../helpers/temp-dir';

let core: Core;
let api: ApiHandlers;

beforeAll(async () => {
  core = await createCore({ dataDir: path.join(tempDir('guardtrace-blind-'), 'data') });
  api = createHandlers(core);
  const { store } = core;
  await addCases(store, [
    newCase('harmful-gold', { gold: 1, meta: { label: 1, source: 'kept' } }),
    newCase('safe-gold', { gold: 0 }),
    newCase('unaudited'),
  ]);
  await recordVerdicts(store, [
    { caseId: 'harmful-gold', result: auditResult(1, { levelProbs: { '0': 0.1, '0.5': 0.2, '1': 0.7 } }) },
    { caseId: 'safe-gold', result: auditResult(0) },
  ]);
  await api['settings.set']({ reviewer: 'bea', blindReviewers: ['bea'] });
});
afterAll(async () => core?.close());

/** Every value in a payload that would tell a blind reviewer what the model or the gold label said. */
function leaks(payload: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown, where: string) => {
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${where}[${i}]`));
    if (!value || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      const at = `${where}.${key}`;
      if (['modelRisk', 'modelCategory', 'modelConfidence', 'gold', 'levelProbs', 'latestAudit'].includes(key)) {
        if (inner !== null && inner !== undefined) found.push(`${at}=${JSON.stringify(inner)}`);
      } else if (key === 'label' || (key === 'risk' && where.includes('history'))) {
        found.push(`${at}=${JSON.stringify(inner)}`);
      } else walk(inner, at);
    }
  };
  walk(payload, '$');
  return found;
}

describe('blind review in the handler map', () => {
  it('queue rows carry no verdict, category, confidence or gold label', async () => {
    const page = await api['cases.list']({ sort: 'uncertainty' });
    expect(page.rows).toHaveLength(3);
    expect(leaks(page)).toEqual([]);
    // The rows still say which cases were audited (that is not a verdict).
    expect(page.rows.filter((r) => r.modelStatus === 'ok')).toHaveLength(2);
  });

  it('gives a neutral order whatever sort is asked for', async () => {
    const orders = await Promise.all(
      (['uncertainty', 'model_risk', 'least_confident', 'newest'] as const).map(async (sort) =>
        (await api['cases.list']({ sort })).rows.map((r) => r.id),
      ),
    );
    expect(orders[0]).toEqual(['unaudited', 'safe-gold', 'harmful-gold']);
    for (const order of orders) expect(order).toEqual(orders[0]);
    const neighbours = await api['cases.neighbors']({ id: 'safe-gold', sort: 'model_risk' });
    expect(neighbours).toEqual({ prev: 'unaudited', next: 'harmful-gold' });
  });

  it('refuses filters by the model, the gold label or disagreement, naming the filter', async () => {
    await expect(api['cases.list']({ modelRisk: 1 })).rejects.toMatchObject({
      code: 'blind_review',
      message: expect.stringMatching(/model's risk.*Settings/),
    });
    await expect(api['cases.counts']({ gold: 1 })).rejects.toMatchObject({ message: /gold label/ });
    await expect(api['cases.list']({ status: 'disagree' })).rejects.toMatchObject({ code: 'blind_review' });
  });

  it('the case detail withholds the verdict and gold until the first choice, then reveal gives them', async () => {
    const detail = await api['cases.get']({ id: 'harmful-gold' });
    expect(detail.blindWithheld).toBe(true);
    expect(leaks(detail)).toEqual([]);
    expect(detail.meta).toEqual({ source: 'kept' });
    const full = await api['cases.reveal']({ id: 'harmful-gold', choice: 0.5 });
    expect(full.latestAudit?.risk).toBe(1);
    expect(full.gold).toBe(1);
  });

  it('once the reviewer has decided, their rows and the case show everything', async () => {
    await api['reviews.submit']({ caseId: 'safe-gold', risk: 0, reviewer: 'bea' });
    const row = (await api['cases.list']({})).rows.find((r) => r.id === 'safe-gold')!;
    expect(row).toMatchObject({ modelRisk: 0, gold: 0, humanRisk: 0 });
    const detail = await api['cases.get']({ id: 'safe-gold' });
    expect(detail.blindWithheld).toBeUndefined();
    expect(detail.latestAudit?.risk).toBe(0);
    // An undo does not make the reviewer unsee it.
    await api['reviews.undoLast']({ reviewer: 'bea' });
    expect((await api['cases.get']({ id: 'safe-gold' })).latestAudit?.risk).toBe(0);
  });

  it("another reviewer's acceptance of the model's verdict is withheld too", async () => {
    await api['reviews.submit']({ caseId: 'harmful-gold', risk: 1, reviewer: 'ann', source: 'accept_model' });
    const detail = await api['cases.get']({ id: 'harmful-gold' });
    expect(detail.currentReview).toBeNull();
    expect(detail.history.every((e) => e.actor !== 'ann')).toBe(true);
    expect(leaks(detail)).toEqual([]);
  });

  it('events: no streamed analysis; a finished verdict names the case only', async () => {
    expect(eventForBlindWindow('audit.token', { caseId: 'x', text: 'Judgment: 1' })).toBeNull();
    const audit = (await core.store.cases.get('harmful-gold')).latestAudit!;
    const sent = eventForBlindWindow('audit.verdict', { caseId: 'harmful-gold', audit })!;
    expect(sent.caseId).toBe('harmful-gold');
    expect([sent.audit.risk, sent.audit.category, sent.audit.analysis, sent.audit.rawOutput]).toEqual([
      null,
      null,
      null,
      '',
    ]);
    expect(eventForBlindWindow('cases.changed', { caseIds: ['x'] })).toEqual({ caseIds: ['x'] });
  });

  it('filter counts withhold the disagreement count, even for a search that finds a single case', async () => {
    // ann overrides the model on harmful-gold (model 1, ann 0): a disagreement, which a lead's count shows.
    await api['reviews.submit']({ caseId: 'harmful-gold', risk: 0, reviewer: 'ann' });
    const oneCase = { search: 'harmful' };
    const blind = await api['cases.counts'](oneCase);
    expect(blind.all).toBe(1);
    expect(blind.disagree).toBeNull();
    // The counts a blind reviewer's rows already show are still counted.
    expect(blind).toMatchObject({ audited: 1, reviewed: 1, parse_failure: 0, truncated: 0, audit_failed: 0 });
    expect((await api['cases.counts']({})).disagree).toBeNull();
    await api['settings.set']({ blindReviewers: [] });
    expect((await api['cases.counts'](oneCase)).disagree).toBe(1);
    await api['settings.set']({ blindReviewers: ['bea'] });
  });

  it('a reviewer who is not blind sees everything, in the order asked for', async () => {
    await api['settings.set']({ blindReviewers: [] });
    const page = await api['cases.list']({ sort: 'model_risk' });
    expect(page.rows[0]).toMatchObject({ id: 'harmful-gold', modelRisk: 1, gold: 1 });
    expect((await api['cases.get']({ id: 'harmful-gold' })).blindWithheld).toBeUndefined();
    await api['settings.set']({ blindReviewers: ['bea'] });
  });
});

describe("the window's event filter (cached settings, events in order)", () => {
  it('decides each event at once from the cached settings; settings.set updates the cache', async () => {
    const filter = new BlindEventFilter(core.settings);
    const handlers = watchSettings(createHandlers(core), filter);
    const audit = (await core.store.cases.get('harmful-gold')).latestAudit!;
    // Before the first read: treated as blind (a verdict is withheld, never leaked).
    expect(filter.forward('audit.token', { caseId: 'x', text: 't' })).toBeNull();
    await filter.refresh();
    expect(filter.forward('audit.token', { caseId: 'x', text: 't' })).toBeNull();
    await handlers['settings.set']({ blindReviewers: [] });
    // Synchronous from here on: the events of one tick come out in the order they went in, unchanged.
    const sent = [
      filter.forward('audit.token', { caseId: 'x', text: 'a' }),
      filter.forward('audit.verdict', { caseId: 'harmful-gold', audit }),
      filter.forward('audit.token', { caseId: 'x', text: 'b' }),
    ];
    expect(sent.map((e) => (e && 'text' in e ? e.text : e?.caseId))).toEqual(['a', 'harmful-gold', 'b']);
    expect((sent[1] as { audit: typeof audit }).audit.risk).toBe(1);
    await handlers['settings.set']({ blindReviewers: ['bea'] });
    expect(filter.forward('audit.token', { caseId: 'x', text: 'c' })).toBeNull();
    expect(filter.forward('audit.verdict', { caseId: 'harmful-gold', audit })!.audit.risk).toBeNull();
  });
});
