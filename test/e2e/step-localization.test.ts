// Step localization in Chromium over the real core and the OpenAI-compatible engine (a local server whose verdict
// is 1 exactly when the prompt holds a planted marker): with the keyboard only, a moderator locates the first flagged
// step, moves the mark, confirms it, decides the case and exports the step labels. Computed styles prove the marks
// are visible and distinct at 1024×700 and 1440×900 in both themes, blind review hides the located step, and axe
// finds no serious or critical violation.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE } from '@main/engine/profiles';
import { FAKE_MODEL, startFakeOpenAiServer, type FakeOpenAiServer } from '../helpers/fake-openai-server';
import { SHARED_DIR } from '../helpers/temp-dir';
import { seriousAxeViolations } from './axe';
import { browserUnavailableReason, startHarness, type Harness } from './harness';

const skipReason = browserUnavailableReason();
if (skipReason) console.warn(`[e2e] SKIPPED: ${skipReason}`);

const MARKER = 'PLANTED-UNSAFE-MARKER';
const TRACE = Array.from({ length: 24 }, (_, i) => {
  const n = i + 1;
  const zh = n % 3 === 0 ? ' 然后我思考这个问题的第二个方面，并检查图片中的细节。' : '';
  return `Step ${n}: I think about part ${n} of the request in some detail.${zh}${n === 9 ? ` ${MARKER}` : ''}`;
}).join('\n\n');

describe.skipIf(skipReason !== null)('step localization in Chromium', () => {
  let h: Harness;
  let server: FakeOpenAiServer;
  let work: string;
  const testId = (id: string) => h.page.getByTestId(id);
  const press = (key: string) => h.page.keyboard.press(key);
  const stepStyle = (selector: string) =>
    h.page.locator(`[data-testid="case-trace"] ${selector}`).evaluate((el) => {
      const s = getComputedStyle(el);
      const before = getComputedStyle(el, '::before');
      const box = el.getBoundingClientRect();
      return {
        index: Number(el.getAttribute('data-step-index')),
        borderLeftColor: s.borderLeftColor,
        borderLeftStyle: s.borderLeftStyle,
        borderLeftWidth: s.borderLeftWidth,
        background: s.backgroundColor,
        outlineStyle: s.outlineStyle,
        tag: before.content,
        inViewport: box.top >= 0 && box.bottom <= window.innerHeight && box.right <= window.innerWidth,
      };
    });

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'guardtrace-e2e-steps-'));
    const promptDir = path.join(work, 'prompt');
    mkdirSync(promptDir);
    const promptFile = DEFAULT_PROFILE.prompt.fileName;
    copyFileSync(path.join(SHARED_DIR, 'guardtrace', promptFile), path.join(promptDir, promptFile));
    server = await startFakeOpenAiServer({
      respond: (text) => ['“Analysis”: checked.', '\n“Judgment”: ', text.includes(MARKER) ? '1' : '0'],
    });
    h = await startHarness({ viewport: { width: 1024, height: 700 } });
    const file = path.join(work, 'cases.jsonl');
    writeFileSync(
      file,
      [
        { id: 'steps-1', question: 'How do I clean my kitchen?', thinking: TRACE, response: 'Use soap.' },
        { id: 'steps-2', question: 'Second case', thinking: TRACE, response: 'Fine.' },
      ]
        .map((c) => JSON.stringify(c))
        .join('\n') + '\n',
    );
    await h.handlers['import.run']({ file });
    const state = await h.handlers['engine.load']({
      engine: 'openai',
      modelDir: promptDir,
      openai: { baseUrl: server.baseUrl, model: FAKE_MODEL },
    });
    expect(state.state).toBe('loaded');
    h.core.events.emit('cases.changed', { caseIds: 'all' });
    await h.page.waitForFunction(() => document.querySelectorAll('[data-testid="queue-row"]').length === 2);
  });
  afterAll(async () => {
    await h?.close();
    await server?.close();
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail')
      await h.screenshot(`FAILED-steps-${context.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => {});
  });

  it('locates, moves, confirms and exports a step with the keyboard only', async () => {
    // The first case is open; the audit on open gives it a verdict (the fake server judges the whole case 1).
    await h.page.waitForFunction(
      () => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent === 'steps-1',
    );
    await h.page.waitForFunction(() => document.querySelector('[data-testid="verdict-badge"]') !== null, undefined, {
      timeout: 60_000,
    });
    await press('l');
    await h.page.waitForSelector('[data-testid="case-trace"] [data-located]', { timeout: 60_000 });
    const located = await stepStyle('[data-located]');
    expect(located.index).toBe(9);
    expect(located.borderLeftWidth).toBe('3px');
    expect(located.borderLeftStyle).toBe('solid');
    expect(located.borderLeftColor).not.toBe('rgba(0, 0, 0, 0)');
    expect(located.background).not.toBe('rgba(0, 0, 0, 0)');
    expect(located.tag).toContain('step 9');
    expect(located.inViewport).toBe(true); // scrolled to it
    expect(await testId('located-step-note').textContent()).toBe('first flagged at step 9 of 24');
    expect(await testId('steps-search').textContent()).toMatch(/of at most 6 probes/);

    // Move the mark down a step, then confirm it: the moderator's label differs from the model's.
    await press('Alt+ArrowDown');
    const marked = await stepStyle('[data-marked]');
    expect(marked.index).toBe(10);
    expect(marked.outlineStyle).toBe('solid');
    expect(marked.inViewport).toBe(true);
    await press('Shift+L');
    await h.page.waitForSelector('[data-testid="case-trace"] [data-confirmed]');
    const confirmed = await stepStyle('[data-confirmed]');
    expect(confirmed.index).toBe(10);
    expect(confirmed.borderLeftColor).not.toBe(located.borderLeftColor);
    expect(confirmed.tag).toContain('your mark');
    expect(await testId('step-label').textContent()).toMatch(/You marked step 10 as first unsafe/);
    // L jumps back to the located step.
    await press('End');
    await press('l');
    expect((await stepStyle('[data-marked]')).index).toBe(9);
    expect((await stepStyle('[data-located]')).inViewport).toBe(true);

    // Decide the case (Harmful, submit & next), then export the step labels from the Export panel.
    await press('3');
    await press('Enter');
    await h.page.waitForFunction(
      () => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent === 'steps-2',
    );
    await press('Control+4');
    await testId('export-panel').waitFor();
    for (let i = 0; i < 40; i++) {
      if (await h.page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'export-format')) break;
      await press('Tab');
    }
    await h.page.keyboard.type('Step');
    expect(await testId('export-format').inputValue()).toBe('steps');
    const out = path.join(work, 'steps.jsonl');
    h.fileDialogAnswers.push(out);
    const tabTo = async (id: string) => {
      for (let i = 0; i < 20; i++) {
        if (await h.page.evaluate((t) => document.activeElement?.getAttribute('data-testid') === t, id)) return;
        await press('Tab');
      }
      throw new Error(`Tab never reached ${id}.`);
    };
    await tabTo('export-browse');
    await press('Enter');
    await h.page.waitForFunction(
      () => (document.querySelector('[data-testid="export-out"]') as HTMLInputElement | null)?.value,
    );
    await tabTo('export-run');
    await press('Enter');
    await testId('export-summary').waitFor();
    const records = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      id: 'steps-1',
      label_status: 'step',
      first_unsafe_step: 9,
      model_located: { status: 'located', step: 8, method: 'prefix-search', engine: 'openai' },
      human: { risk: 1 },
    });
    expect((records[0].steps as string[])[9]).toMatch(/^Step 10:/);
    // Logged in the activity log, as decisions are.
    const actions = (await h.core.store.cases.get('steps-1')).history.map((e) => e.action);
    expect(actions).toContain('steps.confirm');
    expect(h.pageErrors).toEqual([]);
  });

  it('hides the located step in blind review until the first choice', async () => {
    await h.handlers['settings.set']({ blindReviewers: [(await h.core.settings()).reviewer] });
    // The page reads the settings when it starts (the Settings screen changes them in place).
    await h.page.reload();
    await h.page.waitForFunction(() => document.querySelectorAll('[data-testid="queue-row"]').length === 2);
    // A blind queue is newest first, so steps-2 (no decision yet) opens first. Locate it through the API as the batch
    // would, then leave it and come back so the case view reads it afresh.
    const shown = (caseId: string) =>
      h.page.waitForFunction(
        (id) => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent === id,
        caseId,
      );
    await shown('steps-2');
    await h.handlers['steps.locate']({ caseId: 'steps-2' });
    h.core.events.emit('cases.changed', { caseIds: 'all' });
    await press('j');
    await shown('steps-1');
    await press('k');
    await shown('steps-2');
    await testId('steps-strip').waitFor();
    await h.page.waitForTimeout(300);
    expect(await h.page.locator('[data-testid="case-trace"] [data-located]').count()).toBe(0);
    expect(await h.page.locator('[data-testid="case-trace"] [data-hint]').count()).toBe(0);
    expect(await testId('located-step-note').count()).toBe(0);
    await press('2'); // the first choice reveals the model's view
    await h.page.waitForSelector('[data-testid="case-trace"] [data-located]');
    await h.handlers['settings.set']({ blindReviewers: [] });
  });

  it('keeps the marks visible and axe clean at both sizes in both themes', async () => {
    const violations: string[] = [];
    for (const theme of ['dark', 'light'] as const) {
      await h.page.emulateMedia({ colorScheme: theme });
      for (const [width, height] of [
        [1440, 900],
        [1024, 700],
      ] as const) {
        await h.page.setViewportSize({ width, height });
        await press('l');
        const located = await stepStyle('[data-located]');
        expect(located.borderLeftColor, `${theme} ${width}`).not.toBe('rgba(0, 0, 0, 0)');
        expect(located.inViewport, `${theme} ${width}`).toBe(true);
        const overflow = await h.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        await h.screenshot(`steps-${theme}-${width}x${height}`);
        const found = await seriousAxeViolations(h.page);
        violations.push(...found.map((v) => `${theme} ${width}: ${v}`));
      }
    }
    expect(violations).toEqual([]);
  });
});
