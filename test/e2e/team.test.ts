// Team review in Chromium over the real core: the lead writes packs and imports decisions from the Data screen,
// two reviewer workstations (separate data directories, same handler map) decide, and the lead settles a dispute
// in the Adjudication screen and reads the agreement charts in Metrics.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import type { ApiHandlers } from '@main/api/contract';
import type { Category, RiskLevel } from '@domain/types';
import { auditResult, recordVerdicts } from '../helpers/store-fixtures';
import { browserUnavailableReason, startHarness, type Harness } from './harness';
import { enrolCores } from '../helpers/team-keys';

const skipReason = browserUnavailableReason();
if (skipReason) console.warn(`[e2e] SKIPPED: ${skipReason}`);

const CASES = ['d1', 'd2', 'd3', 'd4'];
// Both reviewers get every case (100% overlap); they disagree on d3 (risk) and d4 (category).
const DECISIONS: Record<string, Array<[RiskLevel, Category | null]>> = {
  ann: [
    [0, null],
    [1, 'Cybersecurity'],
    [0.5, 'Crime and illegal activities'],
    [1, 'Cybersecurity'],
  ],
  bob: [
    [0, null],
    [1, 'Cybersecurity'],
    [1, 'Crime and illegal activities'],
    [1, 'Hate speech'],
  ],
};

describe.skipIf(skipReason !== null)('team review in Chromium over the real core', () => {
  let h: Harness;
  let work: string;
  const reviewers: Array<{ core: Core; handlers: ApiHandlers; dir: string }> = [];
  const testId = (id: string) => h.page.getByTestId(id);

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'guardtrace-e2e-team-'));
    h = await startHarness();
    await h.handlers['settings.set']({ reviewer: 'lea' });
    const file = path.join(work, 'cases.jsonl');
    writeFileSync(
      file,
      CASES.map((id) =>
        JSON.stringify({ id, question: `question ${id}`, thinking: `thinking ${id}`, response: `response ${id}` }),
      ).join('\n') + '\n',
    );
    await h.handlers['import.run']({ file });
    await recordVerdicts(
      h.core.store,
      CASES.map((id) => ({ caseId: id, result: auditResult(id === 'd1' ? 0 : 1) })),
    );
    for (const name of ['ann', 'bob']) {
      const dir = path.join(work, name);
      const core = await createCore({ dataDir: dir });
      reviewers.push({ core, handlers: createHandlers(core), dir });
      await enrolCores(h.core, [[name, core]]);
    }
  });
  afterAll(async () => {
    for (const reviewer of reviewers) await reviewer.core.close();
    await h?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      await h
        .screenshot(`FAILED-team-${context.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`)
        .catch(() => undefined);
    }
  });

  it('writes one pack per reviewer from the Data screen', async () => {
    await testId('tab-data').click();
    await testId('pack-reviewers').fill('ann, bob');
    await testId('pack-overlap').fill('100');
    await testId('pack-out').fill(path.join(work, 'packs'));
    await testId('pack-create').click();
    await expect
      .poll(() => testId('team-result').textContent())
      .toContain('Wrote 2 pack(s) for 4 case(s), 4 double-reviewed');
    const rows = testId('pack-list').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.allTextContents()).toEqual([
      expect.stringMatching(/issued.*(ann|bob)4/),
      expect.stringMatching(/issued.*(ann|bob)4/),
    ]);
  });

  it('imports the decisions of both reviewers and flags the two disputes', async () => {
    for (const [index, name] of ['ann', 'bob'].entries()) {
      const { handlers } = reviewers[index];
      const pack = await handlers['packs.import']({ file: path.join(work, 'packs', `${name}.gtpack`) });
      for (const [i, [risk, category]] of DECISIONS[name].entries())
        await handlers['reviews.submit']({
          caseId: CASES[i],
          risk,
          category,
          reviewer: name,
          note: `${name} on ${CASES[i]}`,
        });
      await handlers['decisions.export']({ pack: pack.packId, out: path.join(work, `${name}-decisions.json`) });
      h.fileDialogAnswers.push(path.join(work, `${name}-decisions.json`));
      await testId('decisions-import').click();
      // The decisions file is read on a bounded worker thread (issue 19), which compiles its sources first here.
      await expect
        .poll(() => testId('team-result').textContent(), { timeout: 30_000 })
        .toContain(`Imported 4 decision(s) by ${name}`);
    }
    expect(await testId('team-result').textContent()).toContain('2 case(s) of the pack in dispute');
    await h.screenshot('team-01-data-screen');
  });

  it('shows every reviewer beside the model in the Adjudication screen and settles a dispute', async () => {
    await testId('tab-adjudication').click();
    await expect.poll(() => testId('adjudication-count').textContent()).toBe('2');
    await testId('adjudication-row-d3').click();
    await expect.poll(() => testId('adjudication-dispute').textContent()).toBe('In dispute on risk');
    const columns = testId('adjudication-columns');
    expect(await columns.locator('article h3').allTextContents()).toEqual([
      'Model',
      expect.stringMatching(/^ann/),
      expect.stringMatching(/^bob/),
    ]);
    expect(await testId('adjudication-model').textContent()).toContain('Harmful (1)');
    expect(await testId('adjudication-reviewer-ann').textContent()).toContain('Potentially harmful (0.5)');
    expect(await testId('adjudication-reviewer-ann').textContent()).toContain('ann on d3');
    expect(await testId('adjudication-reviewer-bob').textContent()).toContain('Harmful (1)');
    await h.screenshot('team-02-adjudication');

    // The full case, named by its queue number, with the trace the dispute may be about.
    const seq = (await h.handlers['cases.get']({ id: 'd3' })).seq;
    expect(await testId('adjudication-panel').locator('h2').first().textContent()).toBe(`Case #${seq}`);
    expect(await testId('adjudication-row-d3').textContent()).toContain(`#${seq}`);
    const trace = testId('adjudication-panel').getByTestId('case-trace');
    await trace.waitFor();
    expect(await trace.isVisible()).toBe(true);

    // The review screen's keys and its chosen-state look: 3 picks Harmful (solid colour, check mark).
    const look = (risk: string) =>
      testId(`adjudicate-risk-${risk}`).evaluate((el) => ({
        background: getComputedStyle(el).backgroundColor,
        text: el.textContent ?? '',
      }));
    const before = await look('1');
    await testId('adjudication-panel').locator('h2').first().click();
    await h.page.keyboard.press('3');
    expect(await testId('adjudicate-risk-1').getAttribute('aria-pressed')).toBe('true');
    const chosen = await look('1');
    expect(chosen.background).not.toBe(before.background);
    expect(chosen.background).not.toBe((await look('0')).background);
    expect(chosen.text).toContain('✓');
    await h.page.keyboard.press('c');
    expect(await h.page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(
      'adjudicate-category',
    );
    await testId('adjudicate-category').selectOption('Crime and illegal activities');
    await h.page.keyboard.press('Escape');
    await h.page.keyboard.press('n');
    await h.page.keyboard.type('the response gives steps');
    await testId('adjudication-panel').locator('h2').first().click();
    await h.page.keyboard.press('Enter');
    await expect.poll(() => testId('adjudication-count').textContent()).toBe('1');
    const view = await h.handlers['adjudication.get']({ caseId: 'd3' });
    expect(view).toMatchObject({
      disputed: false,
      basis: 'adjudication',
      adjudication: {
        reviewer: 'lea',
        risk: 1,
        category: 'Crime and illegal activities',
        note: 'the response gives steps',
      },
    });
    expect((await h.handlers['cases.get']({ id: 'd3' })).currentReview).toMatchObject({ kind: 'adjudication' });
  });

  it('charts kappa, alpha and the per-reviewer figures in Metrics, equal to the hand-worked values', async () => {
    await testId('tab-metrics').click();
    // Same four pairs as test/team/team-review.test.ts: kappa 5/9, ordinal alpha 0.75.
    await expect.poll(() => testId('metrics-team-alpha').textContent()).toContain('0.750');
    expect(await testId('metrics-team-kappa-ann-bob').textContent()).toContain('0.556');
    expect(await testId('metrics-team-disputed').textContent()).toBe('1');
    const ann = await testId('metrics-team-reviewer-ann').textContent();
    // ann vs the model (0, 1, 1, 1): agrees on d1, d2, d4 → 75% of 4; vs the adjudication of d3 (1): 0% of 1.
    expect(ann).toMatch(/^ann4.*0\.0% of 1.*75\.0% of 4/);
    const team = await h.handlers['team.agreement']();
    expect(team.pairs).toEqual([{ a: 'ann', b: 'bob', kappa: expect.closeTo(5 / 9, 10), n: 4 }]);
    await testId('metrics-team').scrollIntoViewIfNeeded();
    await h.screenshot('team-03-metrics');
  });

  it('filters the queue by pack and by dispute', async () => {
    await testId('tab-review').click();
    await testId('filter-team').selectOption({ label: 'In dispute' });
    await expect.poll(() => testId('queue-total').textContent()).toMatch(/^1 case\b/);
    const annPack = (await h.handlers['packs.list']()).find((pack) => pack.reviewer === 'ann')!;
    await testId('filter-team').selectOption(annPack.packId);
    await expect.poll(() => testId('queue-total').textContent()).toMatch(/^4 cases\b/);
    await testId('filter-team').selectOption('');
    expect(h.pageErrors).toEqual([]);
  });
});
