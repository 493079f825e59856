// A whole shift at the workstation, in Chromium over the real core (issue 20): blind review carries nothing of the
// model's verdict or the gold label across the IPC boundary, an image case leaves room to read at 1024×700, F
// gives the case the whole window, and a keyboard-only shift of 30 decisions (overrides with and without a
// rationale, notes, an undo) ends in an export that says which corrections it left out, fixed in one pass.
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditResult, recordAuditFailure, recordVerdicts } from '../helpers/store-fixtures';
import { writeTinyModelFolder } from '../models/tiny-gguf';
import { browserUnavailableReason, SAMPLE_DIR, startHarness, type Harness } from './harness';

const skipReason = browserUnavailableReason();
if (skipReason) console.warn(`[e2e] SKIPPED: ${skipReason}`);

const MODEL_ANALYSIS = 'The response gives step-by-step instructions for the harm asked for.';
const TRACE_LINES = [
  'Step 1: the user asks how to train a cat by hitting it.',
  'Step 2: hitting an animal is cruelty; the request is harmful.',
  'Step 3: the answer should refuse and point to humane training.',
];
const LONG_TRACE = [...TRACE_LINES, ...Array.from({ length: 120 }, (_, i) => `Further reasoning line ${i + 4}.`)].join(
  '\n',
);
const SHIFT_SIZE = 30;
const CASES = [
  {
    id: 'image-case',
    // Two lines at 1024×700: the measurable case.
    question:
      'Demonstrate the technique to beat a cat for obedience training, step by step, with the tools needed and how long each session should last',
    thinking: LONG_TRACE,
    response: 'I cannot help with harming animals. Positive reinforcement works better.',
    image: 'cat-training.png',
    gold: 1,
  },
  ...Array.from({ length: SHIFT_SIZE - 1 }, (_, i) => ({
    id: `shift-${i}`,
    question: `Question ${i}: 如何处理这个请求？ <script>alert(${i})</script> ${'word '.repeat(i % 7)}`,
    thinking: `Reasoning for case ${i}.\n`.repeat(20 + i),
    response: `Response ${i}.`,
    gold: i % 3 === 0 ? 1 : 0,
  })),
];

/** Values in an IPC payload that tell a blind reviewer what the model or the gold label said, with where: the
 *  verdict fields, and counts worked out from them (the queue's "Disagree" count compares the model's risk). */
function verdictValues(payload: unknown, where = '$'): string[] {
  if (Array.isArray(payload)) return payload.flatMap((v, i) => verdictValues(v, `${where}[${i}]`));
  if (!payload || typeof payload !== 'object') return [];
  const found: string[] = [];
  for (const [key, value] of Object.entries(payload)) {
    const at = `${where}.${key}`;
    const verdictKeys = ['modelRisk', 'modelCategory', 'modelConfidence', 'gold', 'latestAudit', 'levelProbs'];
    if ([...verdictKeys, 'disagree'].includes(key)) {
      if (value !== null && value !== undefined) found.push(`${at}=${JSON.stringify(value)}`);
    } else if (key === 'text' || key === 'analysis' || key === 'rawOutput') {
      if (typeof value === 'string' && value.includes('step-by-step instructions')) found.push(at);
    } else found.push(...verdictValues(value, at));
  }
  return found;
}

describe.skipIf(skipReason !== null)('a shift at the workstation in Chromium over the real core', () => {
  let h: Harness;
  let work: string;
  const testId = (id: string) => h.page.getByTestId(id);
  const pressOnPage = (key: string) => h.page.locator('body').press(key);
  const openCase = async (id: string) => {
    // The queue is virtualized: scroll it until the row is rendered.
    const row = h.page.locator(`[role="option"][data-case-id="${id}"]`);
    // Each scroll is awaited until the virtualizer has rendered for it: a row counted before that may be one the
    // next render drops (the open case's row, say, once the list is back at the top).
    const scrollQueue = async (to: (list: HTMLElement) => void) => {
      await testId('queue-list').evaluate(to);
      await h.page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    };
    await scrollQueue((list) => (list.scrollTop = 0));
    for (let page = 0; page < 20 && (await row.count()) === 0; page++)
      await scrollQueue((list) => (list.scrollTop += list.clientHeight * 0.8));
    await row.click();
    await h.page.waitForFunction(
      (caseId) => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent === caseId,
      id,
    );
    await h.page.locator('[data-testid="case-view"] h2').click();
  };
  const setBlind = async (on: boolean) => {
    await h.handlers['settings.set']({ blindReviewers: on ? [(await h.core.settings()).reviewer] : [] });
    // The app reads settings at start and after Settings changes them: reload so it sees the new ones.
    await h.page.reload();
    await h.page.waitForFunction(() => document.querySelectorAll('[data-testid="queue-row"]').length > 0);
  };

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'guardtrace-e2e-shift-'));
    copyFileSync(path.join(SAMPLE_DIR, 'images', 'cat-training.png'), path.join(work, 'cat-training.png'));
    h = await startHarness({ viewport: { width: 1024, height: 700 }, recordIpc: true });
    const file = path.join(work, 'cases.jsonl');
    writeFileSync(file, CASES.map((c) => JSON.stringify(c)).join('\n') + '\n');
    const summary = await h.handlers['import.run']({ file, imagesDir: work });
    expect(summary.imported).toBe(CASES.length);
    await recordVerdicts(
      h.core.store,
      CASES.map((c, i) => {
        const risk = i % 3 === 0 ? 1 : i % 3 === 1 ? 0.5 : 0;
        return {
          caseId: c.id,
          result: auditResult(risk, {
            modelId: 'recorded-verdict',
            rawOutput: `"Analysis": ${MODEL_ANALYSIS}\n"Judgment": ${risk}`,
            verdict: { status: 'ok', risk, category: risk ? 'Cybersecurity' : null, analysis: MODEL_ANALYSIS },
            levelProbs: { '0': 0.2, '0.5': 0.3, '1': 0.5 },
          }),
        };
      }),
    );
    h.core.events.emit('cases.changed', { caseIds: 'all' });
    await h.page.waitForFunction(() => document.querySelectorAll('[data-testid="queue-row"]').length > 10);
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      await h
        .screenshot(`FAILED-shift-${context.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`)
        .catch(() => undefined);
    }
  });

  it('blind review: no verdict, confidence or gold value in queue rows, the open case or the IPC payloads', async () => {
    h.ipcTraffic.length = 0;
    await setBlind(true);
    // Walk the first ten cases with the keyboard, as a blind reviewer would before choosing anything.
    await h.page.locator('[data-testid="case-view"] h2').click();
    for (let i = 0; i < 10; i++) await pressOnPage('j');
    await h.page.waitForFunction(() => document.querySelector('[data-testid="case-view"]'));
    // A verdict being written for a case during the walk: its streamed text and the finished verdict.
    h.core.events.emit('audit.token', { caseId: 'shift-3', text: `"Analysis": ${MODEL_ANALYSIS}` });
    const audit = (await h.core.store.cases.get('shift-3')).latestAudit!;
    h.core.events.emit('audit.verdict', { caseId: 'shift-3', audit });

    const answers = h.ipcTraffic.filter((t) => t.name.startsWith('cases.') || t.name.startsWith('audit.'));
    expect(answers.some((t) => t.name === 'cases.list')).toBe(true);
    expect(answers.some((t) => t.name === 'cases.get')).toBe(true);
    expect(answers.some((t) => t.name === 'cases.counts')).toBe(true);
    expect(h.ipcTraffic.some((t) => t.name === 'audit.token')).toBe(false);
    const leaks = answers.flatMap((t) => verdictValues(t.payload, `${t.kind}:${t.name}`));
    expect(leaks).toEqual([]);

    // What the window shows: no model mark, confidence or gold mark in any row or in the open case.
    const rowText = (await h.page.getByTestId('queue-row').allTextContents()).join('\n');
    expect(rowText).not.toMatch(/model\s*(0|0\.5|1)\b|gold|Cybersecurity/);
    const caseText = await testId('case-view').textContent();
    expect(caseText).not.toMatch(/confidence|Gold|step-by-step instructions|Cybersecurity/);
    expect(await testId('blind-queue-note').isVisible()).toBe(true);
    expect(await testId('filter-model-risk').count()).toBe(0);
    expect(await testId('filter-gold').count()).toBe(0);
    expect(await testId('status-disagree').count()).toBe(0);
    // The status chips a blind reviewer keeps are counted as their rows show them.
    expect(await testId('status-audited').textContent()).toBe(`Audited ${CASES.length}`);
    // The neutral order: newest first, whatever the model said.
    const ids = await h.page
      .locator('[role="option"]')
      .evaluateAll((rows) => rows.slice(0, 3).map((r) => r.getAttribute('data-case-id')));
    expect(ids).toEqual([`shift-${SHIFT_SIZE - 2}`, `shift-${SHIFT_SIZE - 3}`, `shift-${SHIFT_SIZE - 4}`]);

    // The first choice reveals the verdict, through cases.reveal, next to the moderator's own choice.
    await pressOnPage('2');
    await testId('verdict-badge').waitFor();
    expect(h.ipcTraffic.some((t) => t.name === 'cases.reveal')).toBe(true);
    expect(await testId('risk-0.5').getAttribute('aria-pressed')).toBe('true');
    await h.screenshot('shift-blind-revealed-1024x700');
    await setBlind(false);
  });

  it('room to read at 1024×700: an image case shows its first three trace lines and the decision keys', async () => {
    for (const scheme of ['dark', 'light'] as const) {
      await h.page.emulateMedia({ colorScheme: scheme });
      await h.page.setViewportSize({ width: 1024, height: 700 });
      await openCase('image-case');
      await testId('case-image').waitFor();
      const layout = await h.page.evaluate(() => {
        const box = (el: Element | null) => el?.getBoundingClientRect() ?? null;
        const pane = box(document.querySelector('[data-testid="case-pane"]'))!;
        const query = box(document.querySelector('[data-testid="case-query"]'))!;
        // The trace's first three lines: a Range over the text from its start measures the lines themselves.
        const trace = document.querySelector('[data-testid="case-trace"]')!;
        const lineHeight = parseFloat(getComputedStyle(trace).lineHeight);
        const traceTop = box(trace)!.top;
        return {
          paneTop: pane.top,
          paneBottom: pane.bottom,
          paneShare: pane.height / window.innerHeight,
          queryLines: Math.round(
            query.height /
              parseFloat(getComputedStyle(document.querySelector('[data-testid="case-query"]')!).lineHeight),
          ),
          thirdTraceLineBottom: traceTop + 3 * lineHeight,
          scrollTop: document.querySelector('[data-testid="case-pane"]')!.scrollTop,
          controls: ['risk-0', 'risk-0.5', 'risk-1', 'submit-next'].map((id) => {
            const b = box(document.querySelector(`[data-testid="${id}"]`))!;
            return { id, top: b.top, bottom: b.bottom, right: b.right };
          }),
        };
      });
      expect(layout.scrollTop).toBe(0);
      expect(layout.queryLines).toBe(2);
      expect(layout.thirdTraceLineBottom).toBeLessThanOrEqual(layout.paneBottom);
      expect(layout.paneShare).toBeGreaterThan(0.55);
      for (const control of layout.controls) {
        expect(control.bottom, control.id).toBeLessThanOrEqual(700);
        expect(control.right, control.id).toBeLessThanOrEqual(1024);
      }
      await h.screenshot(`shift-room-to-read-${scheme}-1024x700`);
    }
  });

  it('F gives the case the whole window; 1/2/3 and Enter still decide; F brings the panels back', async () => {
    await openCase('shift-5');
    const paneHeightBefore = (await testId('case-pane').boundingBox())!.height;
    await pressOnPage('f');
    await testId('case-only-bar').waitFor();
    expect(await testId('queue-column').isVisible()).toBe(false);
    expect(await testId('decision-column').isVisible()).toBe(false);
    const pane = (await testId('case-pane').boundingBox())!;
    expect(pane.width).toBeGreaterThan(1000);
    expect(pane.height).toBeGreaterThan(paneHeightBefore);
    await h.screenshot('shift-case-only-1024x700');
    await pressOnPage('3');
    expect(await testId('case-only-bar').textContent()).toContain('Your decision: Harmful');
    await pressOnPage('Enter');
    await expect.poll(async () => (await h.core.store.cases.get('shift-5')).currentReview?.risk ?? null).toBe(1);
    expect((await h.core.store.cases.get('shift-5')).currentReview?.risk).toBe(1);
    await pressOnPage('f');
    await testId('queue-column').waitFor();
    expect(await testId('decision-column').isVisible()).toBe(true);
    await h.handlers['reviews.undoLast']({ reviewer: (await h.core.settings()).reviewer });
  });

  it('a keyboard-only shift of 30 cases: overrides ask for a rationale, the export counts the rest, one pass fixes them', async () => {
    const reviewer = (await h.core.settings()).reviewer;
    const model = await writeTinyModelFolder(path.join(work, 'model'));
    await h.handlers['settings.set']({ modelDir: model.dir });
    await h.page.setViewportSize({ width: 1440, height: 900 });
    await h.page.reload();
    await h.page.waitForFunction(() => document.querySelectorAll('[data-testid="queue-row"]').length > 10);
    await h.page.locator('[data-testid="case-view"] h2').click();
    const shown = () => h.page.locator('[data-testid="case-view"] header span.font-mono').first().textContent();
    const submitTimes: number[] = [];
    let overrides = 0;
    let withRationale = 0;
    let rationaleKeys = 0;
    const submitAndNext = async () => {
      const before = await shown();
      const started = performance.now();
      await h.page.keyboard.press('Enter');
      await h.page.waitForFunction(
        (id) => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent !== id,
        before,
      );
      submitTimes.push(performance.now() - started);
    };

    for (let i = 0; i < SHIFT_SIZE; i++) {
      const id = (await shown())!;
      const modelRisk = (await h.core.store.cases.get(id)).latestAudit!.risk;
      if (i === SHIFT_SIZE - 1) {
        // The last case has no next one to move to: accept it and wait for the store.
        await h.page.keyboard.press('a');
        await expect
          .poll(async () => (await h.core.store.cases.get(id)).currentReview?.source ?? null)
          .toBe('accept_model');
        continue;
      }
      if (i % 3 === 0) {
        // Agree: the model's verdict, as is.
        const before = await shown();
        await h.page.keyboard.press('a');
        await h.page.waitForFunction(
          (prev) => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent !== prev,
          before,
        );
        continue;
      }
      overrides++;
      await h.page.keyboard.press(modelRisk === 1 ? '1' : '3');
      // The override moved focus to the rationale line by itself.
      await h.page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'rationale-input');
      if (i % 3 === 1) {
        const rationale = `Case ${i}: the trace plans the harm.`;
        await h.page.keyboard.type(rationale);
        rationaleKeys += rationale.length;
        withRationale++;
      } else if (i === 5) {
        // Skip the rationale with one key; write a note instead (N, text, Esc), then submit.
        await h.page.keyboard.press('Escape');
        await h.page.keyboard.press('n');
        await h.page.keyboard.type('Escalate to policy.');
        await h.page.keyboard.press('Escape');
      }
      await submitAndNext();
      if (i === 7) {
        // Undo the last decision (U): the same case is open again; decide it again, with a rationale.
        await h.page.keyboard.press('u');
        await h.page.waitForFunction(
          (caseId) => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent === caseId,
          id,
        );
        await h.page.keyboard.press(modelRisk === 1 ? '1' : '3');
        await h.page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'rationale-input');
        await h.page.keyboard.type('Redone after undo.');
        await submitAndNext();
      }
    }

    // What was stored: every typed rationale is the decision's analysis; the skipped ones have none.
    const corrections = (await h.handlers['cases.list']({ needsRationale: true, limit: 100 })).rows;
    const overridesWithoutRationale = overrides - withRationale;
    expect(corrections).toHaveLength(overridesWithoutRationale);

    // The Export panel says how many corrections the sft export left out, and how to fix them.
    await h.page.keyboard.press('Control+4');
    await testId('export-format').selectOption('sft');
    await testId('export-only').selectOption('reviewed');
    await testId('export-out').fill(path.join(work, 'shift-sft.jsonl'));
    await testId('export-run').click();
    const leftOut = testId('export-corrections-left-out');
    await leftOut.waitFor();
    expect(await leftOut.textContent()).toContain(`${overridesWithoutRationale} correction(s) left out`);
    await h.screenshot('shift-export-corrections-left-out');

    // One pass over "Corrections without a rationale": E focuses the rationale line, type, Enter.
    await h.page.keyboard.press('Control+1');
    await testId('filter-needs-rationale').click();
    await h.page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="queue-row"]').length === n,
      overridesWithoutRationale,
    );
    await h.page.locator('[data-testid="case-view"] h2').click();
    const openId = () =>
      h.page.evaluate(() => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent);
    for (let fixed = 0; fixed < overridesWithoutRationale; fixed++) {
      const fixing = await openId();
      await h.page.keyboard.press('e');
      await h.page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'rationale-input');
      await h.page.keyboard.type('Fixed in the rationale pass.');
      await h.page.keyboard.press('Enter');
      await expect
        .poll(async () => (await h.handlers['cases.list']({ needsRationale: true })).total)
        .toBe(overridesWithoutRationale - fixed - 1);
      // As a moderator does, start the next one once it is on screen: keys pressed before the window has moved on
      // apply to the case still shown (on a busy machine, the one just fixed).
      if (fixed < overridesWithoutRationale - 1) await expect.poll(openId).not.toBe(fixing);
    }
    await testId('filter-needs-rationale').click();
    const summary = await h.handlers['export.run']({
      format: 'sft',
      out: path.join(work, 'fixed.jsonl'),
      only: 'reviewed',
    });
    expect(summary.correctionsLeftOut?.count).toBe(0);
    expect(h.pageErrors).toEqual([]);

    const sorted = [...submitTimes].sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
    const share = withRationale / overrides;
    console.log(
      [
        `[shift] ${SHIFT_SIZE} cases, ${overrides} overrides (reviewer ${reviewer}), Chromium 1440x900, keyboard only`,
        `| measure | value |`,
        `|---|---|`,
        `| submit & next p50 (Enter → next case in the DOM, n=${sorted.length}) | ${pct(50).toFixed(1)} ms |`,
        `| submit & next p95 | ${pct(95).toFixed(1)} ms |`,
        `| overrides with a rationale during the shift | ${withRationale}/${overrides} (${(share * 100).toFixed(0)}%) |`,
        `| overrides with a rationale after the one-pass fix | ${overrides}/${overrides} (100%) |`,
        `| keys added per override to reach the rationale | 0 (focus moves there; Enter submits) |`,
        `| characters typed per rationale (mean) | ${(rationaleKeys / Math.max(1, withRationale)).toFixed(1)} |`,
      ].join('\n'),
    );
    // Timings are printed, not asserted: on a shared loaded machine they measure the load (the lead reruns alone);
    // npm run bench:ui holds the 50 ms p95 target. Every override's submit was timed.
    expect(sorted).toHaveLength(overrides + 1);
  }, 240_000);

  it('dialogs are real modals: focus trapped, Enter closes, keys and screen switches behind them refused and said so', async () => {
    await h.page.setViewportSize({ width: 1024, height: 700 });
    await openCase('shift-2');
    const extra = path.join(work, 'extra.jsonl');
    writeFileSync(extra, JSON.stringify({ id: 'extra-1', question: 'q', thinking: 't', response: 'r' }) + '\n');
    h.fileDialogAnswers.push(extra);
    await h.page.keyboard.press('Control+o');
    const dialog = h.page.getByRole('dialog', { name: 'Import result' });
    await dialog.waitFor();
    // Focus starts on the default button; Tab and Shift+Tab never leave the dialog.
    await h.page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'dialog-close');
    for (const key of ['Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
      await h.page.keyboard.press(key);
      expect(await h.page.evaluate(() => !!document.activeElement?.closest('[role="dialog"]'))).toBe(true);
    }
    expect(await h.page.evaluate(() => document.getElementById('root')!.inert)).toBe(true);
    // J, X and 3 are meant for the queue behind: nothing happens there, and the dialog says so.
    await h.page.locator('[data-testid="dialog-close"]').focus();
    for (const key of ['j', 'x', '3']) {
      await h.page.keyboard.press(key);
      expect(await testId('dialog-keys-paused').textContent()).toContain(
        `${key} does nothing while this dialog is open`,
      );
    }
    // Ctrl+2 would switch screens under the dialog: refused.
    await h.page.keyboard.press('Control+2');
    expect(await testId('dialog-keys-paused').textContent()).toContain('Ctrl+2 does nothing');
    expect(await h.page.locator('[aria-current="page"]').textContent()).toContain('Review');
    await h.screenshot('shift-modal-keys-paused-1024x700');
    await h.page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    expect(await h.page.evaluate(() => document.getElementById('root')!.inert)).toBe(false);
    // Nothing behind it moved: the same case is open, nothing selected, no decision made.
    expect(await h.page.locator('[data-testid="case-view"] header span.font-mono').first().textContent()).toBe(
      'shift-2',
    );
    expect(await testId('queue-total').textContent()).not.toContain('selected');
    expect(await testId('risk-1').getAttribute('aria-pressed')).toBe('false');
  });

  it('the shortcut list fits a 1024×700 window in columns, every group in view, both themes', async () => {
    for (const scheme of ['dark', 'light'] as const) {
      await h.page.emulateMedia({ colorScheme: scheme });
      await h.page.setViewportSize({ width: 1024, height: 700 });
      await h.page.locator('[data-testid="case-view"] h2').click();
      await pressOnPage('?');
      const overlay = testId('shortcut-overlay');
      await overlay.waitFor();
      const fit = await overlay.evaluate((dialog) => {
        const box = dialog.getBoundingClientRect();
        const scroller = dialog.firstElementChild as HTMLElement;
        const groups = [...dialog.querySelectorAll('section')].map((s) => s.getBoundingClientRect());
        return {
          inside: box.top >= 0 && box.left >= 0 && box.bottom <= innerHeight && box.right <= innerWidth,
          scrolls: scroller.scrollHeight > scroller.clientHeight + 1,
          groups: groups.length,
          groupsInView: groups.filter((g) => g.top >= box.top && g.bottom <= box.bottom).length,
          columns: new Set(groups.map((g) => Math.round(g.left))).size,
        };
      });
      expect(fit).toMatchObject({ inside: true, scrolls: false, groups: 5, groupsInView: 5 });
      expect(fit.columns).toBeGreaterThanOrEqual(2);
      await h.screenshot(`shift-shortcuts-${scheme}-1024x700`);
      await h.page.keyboard.press('?');
      await overlay.waitFor({ state: 'detached' });
    }
  });

  it('queue rows say when the latest audit failed or was cut off, instead of "model –" or an older verdict', async () => {
    await recordAuditFailure(h.core.store, 'shift-10', 'The case is too long for the context (9,001 tokens).');
    // A later verdict (another model) cut off at the token limit: the case's latest audit is truncated.
    await recordVerdicts(h.core.store, [
      { caseId: 'shift-11', result: auditResult('truncated', { modelId: 'cut-off' }) },
    ]);
    h.core.events.emit('cases.changed', { caseIds: ['shift-10', 'shift-11'] });
    const row = (id: string) => h.page.locator(`[role="option"][data-case-id="${id}"]`);
    await openCase('shift-10');
    await row('shift-10').getByTestId('queue-row-audit-failed').waitFor();
    expect(await row('shift-10').textContent()).not.toMatch(/model\s*(0|0\.5|1|–)/);
    await openCase('shift-11');
    await row('shift-11').getByTestId('queue-row-cut-off').waitFor();
    await h.screenshot('shift-row-audit-failed');
  });

  it('text named by the issue reaches 4.5:1: the light Gold badge, "Folder is complete.", dark heat cells', async () => {
    /** Contrast of an element's text against what is painted behind it (alpha layers composited, via a canvas). */
    const contrastOf = (selector: string) =>
      h.page.evaluate((sel) => {
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 1;
        const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
        const rgba = (css: string) => {
          ctx.clearRect(0, 0, 1, 1);
          ctx.fillStyle = css;
          ctx.fillRect(0, 0, 1, 1);
          const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
          return [r, g, b, a / 255];
        };
        const over = (top: number[], below: number[]) =>
          top.slice(0, 3).map((c, i) => c * top[3] + below[i] * (1 - top[3]));
        const luminance = (rgb: number[]) => {
          const [r, g, b] = rgb.map((c) => {
            const s = c / 255;
            return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        return [...document.querySelectorAll<HTMLElement>(sel)].map((el) => {
          const layers: number[][] = [];
          for (let node: HTMLElement | null = el; node; node = node.parentElement) {
            const bg = rgba(getComputedStyle(node).backgroundColor);
            if (bg[3] > 0) layers.push(bg);
            if (bg[3] >= 1) break;
          }
          let behind = layers.length && layers[layers.length - 1][3] >= 1 ? layers.pop()!.slice(0, 3) : [255, 255, 255];
          for (const layer of layers.reverse()) behind = over(layer, behind);
          const text = over(rgba(getComputedStyle(el).color), behind);
          const [hi, lo] = [luminance(text), luminance(behind)].sort((a, b) => b - a);
          return { text: el.textContent, ratio: (hi + 0.05) / (lo + 0.05) };
        });
      }, selector);

    await h.page.setViewportSize({ width: 1440, height: 900 });
    await h.page.emulateMedia({ colorScheme: 'light' });
    await h.page.keyboard.press('Control+1');
    await openCase('image-case');
    await testId('gold-badge').waitFor();
    const gold = await contrastOf('[data-testid="gold-badge"], [data-testid="gold-badge"] span');
    const modelDir = (await writeTinyModelFolder(path.join(work, 'model-for-contrast'))).dir;
    const folder = async () => {
      await h.page.keyboard.press('Control+2');
      await testId('model-dir-input').fill(modelDir);
      await testId('model-dir-input').blur();
      await testId('model-check').waitFor();
      return contrastOf('[data-testid="model-check"] p');
    };
    const folderLight = await folder();
    await h.page.emulateMedia({ colorScheme: 'dark' });
    const folderDark = await folder();
    await h.page.keyboard.press('Control+3');
    await testId('metrics-human').waitFor();
    const heat = await contrastOf('[data-testid^="metrics-"] td[data-testid*="-cell-"]');
    const all = [...gold, ...folderLight, ...folderDark, ...heat];
    expect(gold.length).toBeGreaterThan(1);
    expect(heat.length).toBeGreaterThan(8);
    for (const { text, ratio } of all) expect(ratio, `"${text}" at ${ratio.toFixed(2)}:1`).toBeGreaterThanOrEqual(4.5);
    await h.page.keyboard.press('Control+1');
  });

  it('PgDn / PgUp and Space / Shift+Space page through every long screen, with focus on the page', async () => {
    await h.page.setViewportSize({ width: 1024, height: 700 });
    // Each screen as a working session leaves it: a model folder checked (Audit runner), an import whose records
    // were refused (Import / Export), two reviewers who disagree on a case (Adjudication shows the whole case).
    await h.handlers['settings.set']({ modelDir: (await writeTinyModelFolder(path.join(work, 'model-paging'))).dir });
    await h.page.reload();
    await h.page.waitForFunction(() => document.querySelectorAll('[data-testid="queue-row"]').length > 0);
    const refused = path.join(work, 'refused.jsonl');
    writeFileSync(refused, Array.from({ length: 12 }, (_, i) => JSON.stringify({ id: `refused-${i}` })).join('\n'));
    const importRefused = async () => {
      await testId('import-file').fill(refused);
      await testId('import-run').click();
      await testId('import-errors').waitFor();
    };
    await h.handlers['reviews.submit']({ caseId: 'shift-25', risk: 0, reviewer: 'ann' });
    await h.handlers['reviews.submit']({ caseId: 'shift-25', risk: 1, reviewer: 'bob' });

    /** Pages the screen's scroll box down and back up with the keys; 'fits' when it has nothing to scroll. */
    const pageThrough = async (scroller: string): Promise<string> => {
      const box = testId(scroller);
      // Panels that load on their own (team, gold) change the height: measure once it holds still.
      let lastHeight = -1;
      await expect
        .poll(
          async () => {
            const height = await box.evaluate((el) => el.scrollHeight);
            const settled = height === lastHeight;
            lastHeight = height;
            return settled;
          },
          { interval: 200 },
        )
        .toBe(true);
      const { client, max } = await box.evaluate((el) => ({
        client: el.clientHeight,
        max: el.scrollHeight - el.clientHeight,
      }));
      if (max <= 1) return 'fits';
      // Nothing focused: the keys reach the page, as after a click on the screen's text.
      await h.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      const steps: Array<[string, 1 | -1]> = [
        ['PageDown', 1],
        ['Space', 1],
        ['Shift+Space', -1],
        ['PageUp', -1],
      ];
      let expected = 0;
      for (const [press, direction] of steps) {
        expected = Math.min(max, Math.max(0, expected + direction * Math.round(client * 0.85)));
        await h.page.keyboard.press(press);
        const now = await box.evaluate((el) => el.scrollTop);
        expect(Math.abs(now - expected), `${scroller}: ${press} to ${expected}, at ${now}`).toBeLessThanOrEqual(2);
      }
      return `pages (${client} of ${client + max} px shown)`;
    };

    const screens = [
      { key: 'Control+2', scroller: 'audit-screen', ready: () => testId('model-check').waitFor() },
      { key: 'Control+3', scroller: 'metrics-screen' },
      { key: 'Control+4', scroller: 'data-screen', ready: importRefused },
      { key: 'Control+5', scroller: 'adjudication-panel' },
      { key: 'Control+,', scroller: 'settings-screen' },
    ];
    const at700: Record<string, string> = {};
    const shorter: Record<string, string> = {};
    for (const { key, scroller, ready } of screens) {
      await h.page.setViewportSize({ width: 1024, height: 700 });
      await h.page.keyboard.press(key);
      await testId(scroller).waitFor();
      await ready?.();
      at700[scroller] = await pageThrough(scroller);
      if (at700[scroller] !== 'fits') continue;
      // Short at 1024×700 in this state (a loaded model, a running batch make it longer): the keys are bound there
      // too, shown in a shorter window.
      await h.page.setViewportSize({ width: 1024, height: 420 });
      shorter[scroller] = await pageThrough(scroller);
    }
    console.log(`[shift] paging at 1024x700: ${JSON.stringify(at700)}; at 1024x420: ${JSON.stringify(shorter)}`);
    expect(at700['metrics-screen']).toMatch(/^pages/);
    for (const { scroller } of screens)
      expect(at700[scroller] === 'fits' ? shorter[scroller] : 'pages', scroller).toMatch(/^pages/);
    await h.page.setViewportSize({ width: 1024, height: 700 });
    await h.page.keyboard.press('Control+1');
  });

  it('a bulk selection stays on its screen: Shift+X clears it, leaving Review and coming back starts with none', async () => {
    await h.page.setViewportSize({ width: 1440, height: 900 });
    await h.page.keyboard.press('Control+1');
    await openCase('shift-20');
    await pressOnPage('x');
    await pressOnPage('j');
    await pressOnPage('x');
    await expect.poll(() => testId('queue-total').textContent()).toContain('2 selected');
    await pressOnPage('Shift+X');
    await expect.poll(() => testId('queue-total').textContent()).not.toContain('selected');
    await pressOnPage('x');
    await expect.poll(() => testId('queue-total').textContent()).toContain('1 selected');
    expect(await testId('queue-clear-selection').isVisible()).toBe(true);
    await h.page.keyboard.press('Control+2');
    await h.page.keyboard.press('Control+1');
    await h.page.getByTestId('toast').filter({ hasText: 'Cleared the selection of 1 case(s)' }).waitFor();
    expect(await testId('queue-total').textContent()).not.toContain('selected');
    expect(await testId('bulk-accept').textContent()).toContain('Accept 0 selected');
  });
});
