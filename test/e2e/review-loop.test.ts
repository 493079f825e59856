// The review loop a moderator works through for a whole shift, in Chromium over the real core: the decision
// they made is visible, an override cannot become a self-contradicting training pair, the layout holds from
// 1024×700 with hostile, long and Chinese text, the keyboard reaches everything, and axe finds no serious or
// critical accessibility violation on any screen in either theme.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { statedJudgment } from '@domain/review-analysis';
import { auditResult, recordAuditFailure, recordVerdicts } from '../helpers/store-fixtures';
import { forEachThemeAndSize, openCase as openCaseIn } from './screen-checks';
import { axeViolations, browserUnavailableReason, startHarness, type Harness } from './harness';

const skipReason = browserUnavailableReason();
if (skipReason) console.warn(`[e2e] SKIPPED: ${skipReason}`);

const LONG_TOKEN = 'x'.repeat(300);
const LONG_URL = `https://example.com/${'segment/'.repeat(40)}end?query=${'q'.repeat(120)}`;
const MODEL_ANALYSIS = 'The response refuses and points to professional help. Judgement: safe.';
const TRACE = [
  'Step 1: read the request.',
  'Note: the user mentions a cat.',
  'Step 3: decide.',
  '```python',
  'def f(x):',
  '    return x  # indented four spaces',
  '```',
  `A very long address: ${LONG_URL}`,
  '思考：用户想知道如何伤害动物，这是有害的请求，需要拒绝。'.repeat(6),
  '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>',
].join('\n');

const CASES = [
  { id: 'long-1', question: `Long token ${LONG_TOKEN} searchprobe`, thinking: TRACE, response: `答复：${LONG_TOKEN}` },
  ...Array.from({ length: 5 }, (_, i) => ({
    id: `plain-${i}`,
    question: `Plain question ${i} about cats searchprobe`,
    thinking: `Thinking ${i}.\n`.repeat(80),
    response: `Response ${i}.`,
    gold: 1,
  })),
  { id: 'failed-1', question: 'A case whose audit failed', thinking: 'Thinking.', response: 'Response.' },
];

describe.skipIf(skipReason !== null)('the review loop in Chromium over the real core', () => {
  let h: Harness;
  let work: string;
  const testId = (id: string) => h.page.getByTestId(id);
  const openCase = (id: string) => openCaseIn(h.page, id);
  const pressOnPage = (key: string) => h.page.locator('body').press(key);
  /** Puts focus on the case (out of any field), as a click on its title does. */
  const focusCase = () => h.page.locator('[data-testid="case-view"] h2').click();
  const setSize = (width: number, height: number) => h.page.setViewportSize({ width, height });

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'guardtrace-e2e-loop-'));
    h = await startHarness();
    const file = path.join(work, 'cases.jsonl');
    writeFileSync(file, CASES.map((c) => JSON.stringify(c)).join('\n') + '\n');
    await h.handlers['import.run']({ file });
    await recordVerdicts(
      h.core.store,
      CASES.slice(0, 6).map((c) => ({
        caseId: c.id,
        result: auditResult(0, {
          modelId: 'recorded-verdict',
          rawOutput: `"Analysis": ${MODEL_ANALYSIS}\n"Judgment": 0`,
          verdict: { status: 'ok', risk: 0, category: null, analysis: MODEL_ANALYSIS },
        }),
      })),
    );
    await recordAuditFailure(h.core.store, 'failed-1', 'The case is too long for the context (9,001 tokens).');
    h.core.events.emit('cases.changed', { caseIds: 'all' });
    await h.page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="queue-row"]').length === n,
      CASES.length,
    );
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      await h
        .screenshot(`FAILED-loop-${context.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`)
        .catch(() => undefined);
    }
  });

  it('shows the chosen risk unmistakably: colour, check mark and a "Your decision" line', async () => {
    await openCase('plain-0');
    const style = (risk: string) =>
      testId(`risk-${risk}`).evaluate((el) => {
        const s = getComputedStyle(el);
        return { background: s.backgroundColor, color: s.color, text: el.textContent ?? '' };
      });
    const before = await style('1');
    expect(await testId('your-decision').textContent()).toContain('not made yet');
    await pressOnPage('3');
    const chosen = await style('1');
    const notChosen = await style('0');
    expect(chosen.background).not.toBe(before.background);
    expect(chosen.background).not.toBe(notChosen.background);
    expect(chosen.color).not.toBe(notChosen.color);
    expect(chosen.text).toContain('✓');
    expect(notChosen.text).not.toContain('✓');
    expect(await testId('your-decision').textContent()).toBe('✓ Your decision: Harmful');
    await testId('category-select').selectOption('Cybersecurity');
    expect(await testId('your-decision').textContent()).toBe('✓ Your decision: Harmful · Cybersecurity');
    await h.page.keyboard.press('Escape');
    await pressOnPage('1');
    expect(await testId('risk-1').getAttribute('aria-pressed')).toBe('false');
    expect(await testId('risk-0').getAttribute('aria-pressed')).toBe('true');
  });

  it('reports an export of nothing as nothing', async () => {
    await h.page.keyboard.press('Control+4');
    await testId('export-only').selectOption('reviewed');
    await testId('export-out').fill(path.join(work, 'nothing.jsonl'));
    await testId('export-run').click();
    await testId('export-nothing').waitFor();
    await h.page.getByTestId('toast').filter({ hasText: 'Nothing exported' }).waitFor();
    await h.page.keyboard.press('Control+1');
  });

  it('an override without editing the analysis exports no contradictory pair', async () => {
    await openCase('plain-1');
    expect(await testId('analysis-input').inputValue()).toBe(MODEL_ANALYSIS);
    await pressOnPage('3');
    await testId('analysis-withheld').waitFor();
    await h.screenshot('loop-override-warning');
    await pressOnPage('Enter');
    await h.page.waitForFunction(
      () => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent !== 'plain-1',
    );
    const stored = await h.handlers['cases.get']({ id: 'plain-1' });
    expect(stored.currentReview).toMatchObject({ risk: 1, analysis: null, analysisSource: 'withheld' });

    // An override with an edited analysis is a valid target; both go through the real exporters.
    await openCase('plain-2');
    await pressOnPage('3');
    await pressOnPage('e');
    await h.page.keyboard.press('Control+a');
    await h.page.keyboard.type('The response gives working steps. Judgement: harmful.');
    await h.page.keyboard.press('Escape');
    await pressOnPage('Enter');
    await h.page.waitForFunction(
      () => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent !== 'plain-2',
    );

    const promptFile = path.join(work, 'prompt.txt');
    writeFileSync(promptFile, 'You are a test auditor.');
    for (const format of ['sft', 'dpo'] as const) {
      const out = path.join(work, `${format}.jsonl`);
      const summary = await h.handlers['export.run']({ format, out, promptFile });
      const records = readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string; analysis_source: string; messages?: any[]; chosen?: any[] });
      expect(records.map((r) => r.id)).toEqual(['plain-2']);
      expect(records[0].analysis_source).toBe('edited');
      for (const record of records) {
        const target = (format === 'sft' ? record.messages!.at(-1) : record.chosen![0]).content as string;
        const judgment = Number(/"Judgment": (\S+)$/.exec(target)![1]);
        expect(statedJudgment(target.replace(/\n"Judgment": \S+$/, ''))).toBe(judgment);
      }
      expect(summary.skippedReasons["no human analysis (the model's was withheld)"]).toBe(1);
    }
  });

  it('undo goes back to the undone case', async () => {
    await openCase('plain-3');
    await pressOnPage('2');
    await testId('analysis-input').fill('Borderline. Judgement: potentially harmful.');
    await focusCase();
    await pressOnPage('Enter');
    await h.page.waitForFunction(
      () => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent !== 'plain-3',
    );
    await pressOnPage('u');
    const toast = h.page.getByTestId('toast').filter({ hasText: 'Undid your last decision' });
    await toast.waitFor();
    // Messages never cover the decision, and never name internal ids.
    const toastBox = (await toast.boundingBox())!;
    const decisionBox = (await testId('decision-column').boundingBox())!;
    expect(toastBox.y).toBeGreaterThanOrEqual(decisionBox.y + decisionBox.height);
    expect(await toast.textContent()).not.toContain('plain-3');
    await h.page.waitForFunction(
      () => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent === 'plain-3',
    );
    // The highlighted row is the open case.
    expect(await h.page.locator('[role="option"][aria-selected="true"]').getAttribute('data-case-id')).toBe('plain-3');
    expect((await h.handlers['cases.get']({ id: 'plain-3' })).currentReview).toBeNull();
  });

  it('shows traces verbatim: whitespace, numbering, monospace fenced code, inert HTML', async () => {
    await openCase('long-1');
    const trace = (await testId('case-trace').textContent()) ?? '';
    expect(trace).toContain('Step 3: decide.');
    expect(trace).toContain('    return x  # indented four spaces');
    expect(trace).toContain('<script>window.__pwned=2</script>');
    expect(
      await testId('case-code')
        .first()
        .evaluate((el) => getComputedStyle(el).fontFamily),
    ).toMatch(/mono/i);
    expect(await testId('case-trace').evaluate((el) => getComputedStyle(el).whiteSpace)).toBe('pre-wrap');
    expect(await h.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? null)).toBeNull();
  });

  for (const [width, height] of [
    [1440, 900],
    [1024, 700],
  ] as const) {
    it(`never grows wider than the window with a 300-character token at ${width}×${height}`, async () => {
      await setSize(width, height);
      await openCase('long-1');
      const overflow = await h.page.evaluate(() => ({
        page: document.documentElement.scrollWidth - window.innerWidth,
        body: document.body.scrollWidth - window.innerWidth,
        casePane: (() => {
          const pane = document.querySelector('[data-testid="case-pane"]')!;
          return pane.scrollWidth - pane.clientWidth;
        })(),
      }));
      expect(overflow).toEqual({ page: 0, body: 0, casePane: 0 });
      await h.screenshot(`loop-long-token-${width}x${height}`);
    });
  }

  it('keeps Harmful and Submit inside the window at 1024×700, and the header on one line', async () => {
    await setSize(1024, 700);
    await openCase('plain-4');
    for (const id of ['risk-1', 'submit-next']) {
      const box = (await testId(id).boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(1024);
      expect(box.y + box.height).toBeLessThanOrEqual(700);
    }
    const tabTops = await h.page.$$eval('nav[aria-label="Screens"] button', (tabs) =>
      tabs.map((t) => Math.round(t.getBoundingClientRect().top)),
    );
    expect(new Set(tabTops).size).toBe(1);
  });

  it('Space and Shift+Space scroll the case pane; Q/T/R/M jump to sections; B collapses the queue', async () => {
    await setSize(1024, 700);
    await openCase('plain-4');
    const scrollTop = () => testId('case-pane').evaluate((el) => el.scrollTop);
    await testId('case-pane').evaluate((el) => (el.scrollTop = 0));
    await focusCase();
    await pressOnPage('Space');
    const afterSpace = await scrollTop();
    expect(afterSpace).toBeGreaterThan(100);
    await pressOnPage('Shift+Space');
    expect(await scrollTop()).toBeLessThan(afterSpace);
    await pressOnPage('End');
    const atEnd = await scrollTop();
    expect(atEnd).toBeGreaterThan(afterSpace);
    await pressOnPage('t');
    const traceTop = await h.page.evaluate(
      () =>
        document.getElementById('case-section-trace')!.getBoundingClientRect().top -
        document.querySelector('[data-testid="case-pane"]')!.getBoundingClientRect().top,
    );
    expect(Math.abs(traceTop)).toBeLessThan(40);
    expect(await scrollTop()).toBeLessThan(atEnd);

    await pressOnPage('b');
    expect(await testId('queue-column').isVisible()).toBe(false);
    await h.screenshot('loop-queue-collapsed-1024x700');
    await pressOnPage('b');
    expect(await testId('queue-column').isVisible()).toBe(true);
  });

  it('highlights search matches and moves between them with ] and [', async () => {
    await setSize(1440, 900);
    await testId('search-input').fill('cats');
    await h.page.waitForFunction(() =>
      (document.querySelector('[data-testid="queue-total"]')?.textContent ?? '').startsWith('5 case'),
    );
    await h.page.locator('[role="option"]').first().click();
    await h.page.waitForSelector('mark[data-search-hit]');
    await focusCase();
    await pressOnPage(']');
    expect(await h.page.locator('mark[data-search-hit][data-current]').textContent()).toBe('cats');
    await h.screenshot('loop-search-hits');
    await testId('search-input').fill('');
    await h.page.waitForFunction(
      (n) => (document.querySelector('[data-testid="queue-total"]')?.textContent ?? '').startsWith(`${n} case`),
      CASES.length,
    );
  });

  it('shows a failed audit on the case, finds it with the "Audit failed" filter, and says why Re-audit is off', async () => {
    await testId('status-audit_failed').click();
    await h.page.waitForFunction(() =>
      (document.querySelector('[data-testid="queue-total"]')?.textContent ?? '').startsWith('1 case'),
    );
    expect(await testId('status-audit_failed').textContent()).toContain('1');
    await h.page.locator('[role="option"]').first().click();
    expect(await testId('audit-failure').textContent()).toContain('too long for the context');
    expect(await testId('reaudit').isDisabled()).toBe(true);
    expect(await testId('reaudit').getAttribute('title')).toMatch(/Load a model/);
    await h.screenshot('loop-audit-failed');
    await testId('status-all').click();
  });

  it('bulk accept shows how many it acts on, a hidden selection is cleared, disabled buttons say why, rows compact', async () => {
    await h.page.keyboard.press('Control+1');
    await openCase('plain-4');
    expect(await testId('submit-next').getAttribute('title')).toMatch(/Pick a risk level first/);
    expect(await testId('bulk-accept').getAttribute('title')).toMatch(/Select cases first/);
    await focusCase();
    await pressOnPage('x');
    expect(await testId('bulk-accept').textContent()).toContain('Accept 1 selected');
    // Changing the filter would leave the selection out of sight: it is cleared, and the moderator told.
    await testId('filter-gold').selectOption('1');
    await h.page.getByTestId('toast').filter({ hasText: 'Cleared the selection of 1 case' }).waitFor();
    expect(await testId('queue-total').textContent()).not.toContain('selected');
    await testId('filter-gold').selectOption('');

    const rowHeight = () =>
      h.page
        .locator('[role="option"]')
        .first()
        .evaluate((el) => el.getBoundingClientRect().height);
    const normal = await rowHeight();
    await testId('compact-rows').check();
    await h.page.waitForFunction(
      (n) => document.querySelector('[role="option"]')!.getBoundingClientRect().height < n,
      normal,
    );
    await h.screenshot('loop-compact-rows');
    await testId('compact-rows').uncheck();
  });

  it('blind review hides the verdict and the gold label until the first choice', async () => {
    await h.page.keyboard.press('Control+,');
    // A controlled checkbox: it turns on once the setting is saved.
    await testId('settings-blind').click();
    await h.page.waitForFunction(
      () => (document.querySelector('[data-testid="settings-blind"]') as HTMLInputElement)?.checked,
    );
    await h.page.keyboard.press('Control+1');
    await openCase('plain-4');
    expect(await testId('verdict-strip').textContent()).toContain('Blind review');
    expect(await testId('gold-badge').count()).toBe(0);
    expect(await testId('analysis-input').inputValue()).toBe('');
    expect(await testId('accept-model').isDisabled()).toBe(true);
    await pressOnPage('2');
    await testId('verdict-badge').waitFor();
    await testId('gold-badge').waitFor();
    await h.page.keyboard.press('Control+,');
    await testId('settings-blind').click();
    await h.page.waitForFunction(
      () => !(document.querySelector('[data-testid="settings-blind"]') as HTMLInputElement)?.checked,
    );
    await h.page.keyboard.press('Control+1');
  });

  it('Escape closes every dialog', async () => {
    await h.page.keyboard.press('Control+1');
    await focusCase();
    await pressOnPage('?');
    await testId('shortcut-overlay').waitFor();
    await h.page.keyboard.press('?'); // the key that opened it closes it too
    await testId('shortcut-overlay').waitFor({ state: 'detached' });
    await pressOnPage('?');
    await testId('shortcut-overlay').waitFor();
    await h.page.keyboard.press('Escape');
    await testId('shortcut-overlay').waitFor({ state: 'detached' });

    const file = path.join(work, 'one-more.jsonl');
    writeFileSync(file, JSON.stringify({ id: 'one-more', question: 'q', thinking: 't', response: 'r' }) + '\n');
    h.fileDialogAnswers.push(file);
    await h.page.keyboard.press('Control+o');
    const result = h.page.getByRole('dialog', { name: 'Import result' });
    await result.waitFor();
    await h.page.keyboard.press('Escape');
    await result.waitFor({ state: 'detached' });
    expect(await h.page.getByRole('dialog').count()).toBe(0);
  });

  it('every screen at both sizes and in both themes: screenshots, and no serious or critical axe violation', async () => {
    const screens: Array<{ name: string; open: () => Promise<void>; close?: () => Promise<void> }> = [
      {
        name: 'review',
        open: async () => {
          await h.page.keyboard.press('Control+1');
          await openCase('long-1');
        },
      },
      { name: 'audit', open: () => h.page.keyboard.press('Control+2') },
      { name: 'metrics', open: () => h.page.keyboard.press('Control+3') },
      { name: 'data', open: () => h.page.keyboard.press('Control+4') },
      { name: 'settings', open: () => h.page.keyboard.press('Control+,') },
      {
        name: 'import-dialog',
        open: async () => {
          const file = path.join(work, 'axe-import.jsonl');
          writeFileSync(file, JSON.stringify({ id: 'axe-1', question: 'q', thinking: 't', response: 'r' }) + '\n');
          h.fileDialogAnswers.push(file);
          await h.page.keyboard.press('Control+o');
          await h.page.getByRole('dialog', { name: 'Import result' }).waitFor();
        },
        close: () => h.page.keyboard.press('Escape'),
      },
      {
        name: 'shortcuts',
        open: async () => {
          await h.page.keyboard.press('Control+1');
          await pressOnPage('?');
          await testId('shortcut-overlay').waitFor();
        },
        close: () => h.page.keyboard.press('Escape'),
      },
    ];
    const violations: string[] = [];
    await forEachThemeAndSize(h.page, async (theme, width, height) => {
      for (const screen of screens) {
        await screen.open();
        await h.page.waitForTimeout(150);
        await h.screenshot(`loop-${screen.name}-${theme}-${width}x${height}`);
        // At both sizes (a narrow window docks and wraps differently).
        violations.push(...(await axeViolations(h.page)).map((v) => `${screen.name}/${theme}: ${v}`));
        await screen.close?.();
      }
    });
    expect(violations).toEqual([]);
    expect(h.pageErrors).toEqual([]);
  });
});
