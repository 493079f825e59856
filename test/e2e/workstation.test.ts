// The review workstation in a real browser, against the real core: import → audit → review → metrics → export.
// The steps build on each other (one store per file), so they run in order inside one describe.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaseSummary } from '@domain/cases';
import { auditResult, recordVerdicts } from '../helpers/store-fixtures';
import { writeTinyModelFolder } from '../models/tiny-gguf';
import { browserUnavailableReason, SAMPLE_DIR, startHarness, type Harness } from './harness';

const skipReason = browserUnavailableReason();
if (skipReason) console.warn(`[e2e] SKIPPED: ${skipReason}`);

const SAMPLE_FILE = path.join(SAMPLE_DIR, 'cases.json');
const SAMPLE = JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as Array<{ question: string; evaluation_result: number }>;

describe.skipIf(skipReason !== null)('review workstation in Chromium over the real core', () => {
  let h: Harness;
  let work: string;

  const testId = (id: string) => h.page.getByTestId(id);
  const allRows = async (): Promise<CaseSummary[]> => (await h.handlers['cases.list']({ limit: 1000 })).rows;
  const openCaseId = async () => (await h.page.getByTestId('case-view').getAttribute('aria-label')) ?? '';
  const shownCaseId = () => h.page.locator('[data-testid="case-view"] header span.font-mono').first().textContent();

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'guardtrace-e2e-work-'));
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(async (context) => {
    // What the moderator would have seen when a step failed.
    if (context.task.result?.state === 'fail') {
      await h
        .screenshot(`FAILED-${context.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`)
        .catch(() => undefined);
    }
  });

  it('imports the sample set through the native Import dialog (Ctrl+O) and lists every case', async () => {
    // The empty queue is rendered once the app has mounted (and with it its shortcut listeners); a key pressed
    // before that is lost, which a loaded machine showed.
    await testId('queue-empty').waitFor();
    h.fileDialogAnswers.push(SAMPLE_FILE);
    await h.page.keyboard.press('Control+o');
    const summary = h.page.getByRole('dialog', { name: 'Import result' });
    await summary.waitFor();
    expect(await summary.getByTestId('import-summary').textContent()).toContain(`${SAMPLE.length} imported`);
    await h.screenshot('01-import-result');
    // Escape closes it, as its Close button says.
    await h.page.keyboard.press('Escape');
    await summary.waitFor({ state: 'detached' });
    await h.page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="queue-row"]').length === n,
      SAMPLE.length,
    );
    expect(await testId('queue-total').textContent()).toContain(`${SAMPLE.length} cases`);
    const previews = await h.page.getByTestId('queue-row-query').allTextContents();
    expect(previews.some((p) => p.startsWith('Demonstrate the technique to beat a cat'))).toBe(true);
    // Counts follow a moment after the list (they are debounced so a run of decisions counts once).
    await h.page.waitForFunction(
      (n) => document.querySelector('[data-testid="status-not_audited"]')?.textContent === `Not audited ${n}`,
      SAMPLE.length,
    );
    await h.screenshot('02-queue');
  });

  it('shows the image blurred and grayscale until revealed by key, click or hold', async () => {
    await h.page.getByTestId('queue-row-query').filter({ hasText: 'beat a cat' }).click();
    const image = testId('case-image');
    await image.waitFor();
    await h.page.waitForFunction(
      () => (document.querySelector('[data-testid="case-image"]') as HTMLImageElement)?.naturalWidth > 0,
    );
    expect(await image.getAttribute('data-revealed')).toBe('false');
    expect(await image.evaluate((el) => getComputedStyle(el).filter)).toMatch(/blur\(.*grayscale\(1\)/);
    await h.screenshot('03-case-image-hidden');

    await h.page.locator('body').press('v');
    expect(await image.getAttribute('data-revealed')).toBe('true');
    expect(await image.evaluate((el) => getComputedStyle(el).filter)).toBe('none');
    await h.screenshot('04-case-image-revealed');
    await h.page.locator('body').press('v');
    expect(await image.getAttribute('data-revealed')).toBe('false');

    await testId('case-image-button').click();
    expect(await image.getAttribute('data-revealed')).toBe('true');
    await testId('case-image-button').click();
    expect(await image.getAttribute('data-revealed')).toBe('false');

    // Hold to peek: shown while the button is pressed, hidden again on release.
    const box = (await testId('case-image-button').boundingBox())!;
    await h.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await h.page.mouse.down();
    expect(await image.getAttribute('data-revealed')).toBe('true');
    await h.page.waitForTimeout(400);
    await h.page.mouse.up();
    expect(await image.getAttribute('data-revealed')).toBe('false');
  });

  it('loads the tiny model, audits every case and streams the analysis into the page', async () => {
    const model = await writeTinyModelFolder(path.join(work, 'model'));
    await h.page.keyboard.press('Control+2');
    await testId('model-dir-input').fill(model.dir);
    await testId('model-dir-input').blur();
    await testId('model-check').waitFor();
    expect(await testId('model-check').textContent()).toContain('GuardTrace prompt ✓');
    await testId('engine-select').selectOption('llama.node');
    await testId('engine-load').click();
    await testId('engine-info').waitFor({ timeout: 60_000 });
    expect(await testId('data-leaves').textContent()).toBe('this machine only');
    expect(await testId('engine-gpu').textContent()).toMatch(/CPU/);

    // Count what reaches the page while the batch runs: tokens, and whether the live analysis was ever drawn.
    await h.page.evaluate(() => {
      const w = window as unknown as {
        __tokens: number;
        __sawStream: boolean;
        api: { on(e: string, l: () => void): void };
      };
      w.__tokens = 0;
      w.__sawStream = false;
      w.api.on('audit.token', () => w.__tokens++);
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid="audit-stream"]')?.textContent ?? '';
        if (text && text !== '…') w.__sawStream = true;
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await testId('audit-max-tokens').fill('8');
    await testId('audit-start').click();
    await h.page.waitForFunction(
      () => document.querySelector('[data-testid="audit-state"]')?.textContent === 'done',
      null,
      { timeout: 120_000 },
    );
    await h.screenshot('05-audit-runner');
    const seen = await h.page.evaluate(() => {
      const w = window as unknown as { __tokens: number; __sawStream: boolean };
      return { tokens: w.__tokens, sawStream: w.__sawStream };
    });
    expect(seen.tokens).toBeGreaterThan(0);
    expect(seen.sawStream).toBe(true);
    expect(await testId('audit-done').textContent()).toContain(`${SAMPLE.length} / ${SAMPLE.length}`);

    const rows = await allRows();
    expect(rows.every((r) => r.modelStatus !== 'none')).toBe(true);
    await h.page.keyboard.press('Control+1');
    await h.page.waitForFunction(() =>
      document.querySelector('[data-testid="status-not_audited"]')?.textContent?.includes(' 0'),
    );
    await testId('verdict-badge').waitFor();
    await h.screenshot('06-case-with-model-verdict');
  });

  it('overrides with the keyboard (3, C, N, Enter) and moves to the next case; U undoes as a new entry', async () => {
    // The random-weight model writes junk, so its verdicts are parse failures. Record well-formed verdicts for the
    // first three cases through the store's own API (as an engine result) so accept/metrics have something to compare.
    const rows = (await h.handlers['cases.list']({ sort: 'newest', limit: 100 })).rows;
    const recorded: Array<0 | 0.5 | 1> = [1, 0, 0.5, 1, 0];
    await recordVerdicts(
      h.core.store,
      rows.slice(0, recorded.length).map((row, i) => ({
        caseId: row.id,
        result: auditResult(recorded[i], { modelId: 'recorded-verdict', promptSha256: 'recorded' }),
      })),
    );
    h.core.events.emit('cases.changed', { caseIds: 'all' });
    await h.page.getByTestId('status-all').click();
    await h.page.getByTestId('sort-select').selectOption('newest');
    await h.page.locator('[data-testid="queue-row"]').first().click();
    const firstId = await shownCaseId();
    expect(firstId).toBeTruthy();

    await h.page.locator('body').press('3');
    expect(await testId('risk-1').getAttribute('aria-pressed')).toBe('true');
    await h.page.locator('body').press('c');
    expect(await h.page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('category-select');
    await testId('category-select').selectOption('Ethics and morality');
    await h.page.keyboard.press('Escape');
    await h.page.locator('body').press('n');
    await h.page.keyboard.type('checked in e2e');
    await h.page.keyboard.press('Escape');
    await h.screenshot('07-decision-before-submit');
    await h.page.locator('body').press('Enter');
    await h.page.waitForFunction(
      (id) => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent !== id,
      firstId,
    );

    const decided = await h.handlers['cases.get']({ id: firstId! });
    expect(decided.currentReview).toMatchObject({
      risk: 1,
      category: 'Ethics and morality',
      note: 'checked in e2e',
      source: 'manual',
    });
    expect(decided.history.length).toBeGreaterThan(0);

    // j/k move through the queue.
    const secondId = await shownCaseId();
    await h.page.locator('body').press('k');
    await h.page.waitForFunction(
      (id) => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent === id,
      firstId,
    );
    await testId('human-badge').waitFor();
    await h.screenshot('08-case-after-decision');
    await h.page.locator('body').press('j');
    await h.page.waitForFunction(
      (id) => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent === id,
      secondId,
    );

    // A accepts the model's verdict and moves on.
    const secondDetail = await h.handlers['cases.get']({ id: secondId! });
    expect(secondDetail.latestAudit?.status).toBe('ok');
    {
      await h.page.locator('body').press('a');
      await h.page.waitForFunction(
        (id) => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent !== id,
        secondId,
      );
      const accepted = await h.handlers['cases.get']({ id: secondId! });
      expect(accepted.currentReview).toMatchObject({ risk: secondDetail.latestAudit!.risk, source: 'accept_model' });
      // Undo (U) reverts the last decision by recording an undo entry.
      await h.page.locator('body').press('u');
      await h.page.getByTestId('toast').filter({ hasText: 'Undid your last decision' }).waitFor();
      const undone = await h.handlers['cases.get']({ id: secondId! });
      expect(undone.currentReview).toBeNull();
      expect(undone.history.some((e) => /undo/i.test(e.action))).toBe(true);
    }
    expect(await openCaseId()).toMatch(/^Case \d+$/);
  });

  it('bulk accepts the model verdict on a selection (X, Shift+A)', async () => {
    const candidates = (await allRows()).filter((r) => r.modelStatus === 'ok' && r.humanRisk === null);
    expect(candidates.length).toBeGreaterThan(0);
    const risk = candidates[0].modelRisk!;
    const matching = candidates.filter((r) => r.modelRisk === risk).length;
    await testId('search-input').fill('');
    await h.page.getByTestId('status-unreviewed').click();
    await h.page.getByTestId('filter-model-risk').selectOption(String(risk));
    await h.page.waitForFunction(
      (n) => (document.querySelector('[data-testid="queue-total"]')?.textContent ?? '').startsWith(`${n} case`),
      matching,
    );
    const firstRow = h.page.locator('[role="option"]').first();
    const chosenId = (await firstRow.getAttribute('data-case-id'))!;
    await firstRow.click();
    await h.page.locator('body').press('x');
    await h.page.waitForFunction(() =>
      document.querySelector('[data-testid="queue-total"]')?.textContent?.includes('1 selected'),
    );
    await h.page.locator('body').press('Shift+A');
    await h.page
      .getByTestId('toast')
      .filter({ hasText: /Accepted the model's verdict on 1 case/ })
      .waitFor();
    const after = await h.handlers['cases.get']({ id: chosenId });
    expect(after.currentReview).toMatchObject({ risk, source: 'bulk_accept' });
    await h.page.getByTestId('filter-model-risk').selectOption('');
    await h.page.getByTestId('status-all').click();
  });

  it('filters by status, gold label and full-text search, with counts', async () => {
    await testId('search-input').fill('cat');
    await h.page.waitForFunction(() =>
      (document.querySelector('[data-testid="queue-total"]')?.textContent ?? '').startsWith('1 case'),
    );
    expect(await h.page.getByTestId('queue-row-query').allTextContents()).toEqual([
      expect.stringContaining('beat a cat'),
    ]);
    await h.screenshot('09-search');
    await testId('search-input').fill('');

    const goldHarmful = SAMPLE.filter((c) => c.evaluation_result === 1).length;
    await testId('filter-gold').selectOption('1');
    await h.page.waitForFunction(
      (n) => (document.querySelector('[data-testid="queue-total"]')?.textContent ?? '').startsWith(`${n} case`),
      goldHarmful,
    );
    await testId('filter-gold').selectOption('');

    const reviewed = (await allRows()).filter((r) => r.humanRisk !== null).length;
    await h.page.getByTestId('status-reviewed').click();
    await h.page.waitForFunction(
      (n) => (document.querySelector('[data-testid="queue-total"]')?.textContent ?? '').startsWith(`${n} case`),
      reviewed,
    );
    expect(await testId('status-reviewed').textContent()).toContain(String(reviewed));
    await h.page.getByTestId('status-parse_failure').click();
    const failures = (await allRows()).filter((r) => r.modelStatus === 'parse_failure').length;
    await h.page.waitForFunction(
      (n) => (document.querySelector('[data-testid="queue-total"]')?.textContent ?? '').startsWith(`${n} case`),
      failures,
    );
    await h.page.getByTestId('status-all').click();
  });

  it('shows metrics that match the core after the overrides', async () => {
    await h.page.keyboard.press('Control+3');
    await testId('metrics-screen').waitFor();
    const metrics = await h.handlers['metrics.get'](undefined);
    expect(metrics.modelVsHuman.n).toBeGreaterThan(0);
    const agreement = await testId('metrics-human-agreement').textContent();
    expect(agreement).toBe(`${(metrics.modelVsHuman.agreement * 100).toFixed(1)}%`);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        expect(await testId(`metrics-human-cell-${i}-${j}`).textContent()).toBe(
          String(metrics.modelVsHuman.confusion[i][j]),
        );
      }
    }
    expect(await testId('metrics-human-f1').textContent()).toBe(
      `${(metrics.modelVsHuman.binary.f1 * 100).toFixed(1)}%`,
    );
    // F1 three ways always shows the parse-failure count; calibration says why it is missing until confidence exists.
    expect(await testId('metrics-f1-human-parse-failures').textContent()).toBe(
      String(metrics.fidelity.vsHuman.parseFailures),
    );
    expect(await testId('metrics-calibration').textContent()).toContain(metrics.fidelity.calibrationNote ?? '');
    await h.screenshot('10-metrics');
  });

  it('exports the reviewed cases and the file reads back', async () => {
    const out = path.join(work, 'reviewed.jsonl');
    await h.page.keyboard.press('Control+4');
    h.fileDialogAnswers.push(out);
    await testId('export-browse').click();
    await h.page.waitForFunction(
      (o) => (document.querySelector('[data-testid="export-out"]') as HTMLInputElement)?.value === o,
      out,
    );
    await testId('export-run').click();
    await testId('export-summary').waitFor();
    await h.screenshot('11-import-export');
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const reviewed = (await allRows()).filter((r) => r.humanRisk !== null);
    expect(lines.length).toBe(reviewed.length);
    expect(await testId('export-summary').textContent()).toContain(`${reviewed.length} written`);
    expect(JSON.stringify(lines)).toContain('checked in e2e');
  });

  it('renders a hostile case (HTML and script in the trace) as inert text', async () => {
    const hostile = path.join(work, 'hostile.jsonl');
    const payload = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> hostileprobe';
    writeFileSync(
      hostile,
      JSON.stringify({
        id: 'hostile-1',
        question: '<b>bold?</b> hostileprobe',
        thinking: payload,
        response: '<a href="javascript:alert(1)">x</a>',
        gold: 1,
      }) + '\n',
    );
    await testId('import-file').fill(hostile);
    await testId('import-run').click();
    await testId('import-summary').waitFor();
    expect(await testId('import-summary').textContent()).toContain('1 imported');

    await h.page.keyboard.press('Control+1');
    await testId('search-input').fill('hostileprobe');
    await h.page.waitForFunction(() =>
      (document.querySelector('[data-testid="queue-total"]')?.textContent ?? '').startsWith('1 case'),
    );
    await h.page.locator('[data-testid="queue-row"]').first().click();
    await testId('case-trace').waitFor();
    expect(await testId('case-trace').textContent()).toContain('<script>window.__pwned=2</script>');
    expect(await testId('case-query').textContent()).toBe('<b>bold?</b> hostileprobe');
    const injected = await h.page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: number }).__pwned ?? null,
      scripts: document.querySelectorAll(
        '[data-testid="case-view"] script, [data-testid="case-view"] img[src="x"], [data-testid="case-view"] a, [data-testid="case-view"] b',
      ).length,
    }));
    expect(injected).toEqual({ pwned: null, scripts: 0 });
    await h.screenshot('12-hostile-case');
  });

  it('imports files dropped on the window', async () => {
    const dropped = path.join(work, 'dropped.jsonl');
    writeFileSync(
      dropped,
      JSON.stringify({
        id: 'dropped-1',
        question: 'A dropped question droppedprobe',
        thinking: 'Thinking.',
        response: 'Response.',
      }) + '\n',
    );
    await h.page.evaluate((file) => {
      (window as unknown as { __gtDroppedPaths: Record<string, string> }).__gtDroppedPaths = { 'dropped.jsonl': file };
      const transfer = new DataTransfer();
      transfer.items.add(new File(['(contents are read by the core from the path)'], 'dropped.jsonl'));
      const target = document.querySelector('#root > div')!;
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, dropped);
    const result = h.page.getByRole('dialog', { name: 'Import result' });
    await result.waitFor();
    expect(await result.getByTestId('import-summary').textContent()).toContain('1 imported');
    await result.getByRole('button', { name: /Close/ }).click();
    expect((await h.handlers['cases.list']({ search: 'droppedprobe' })).total).toBe(1);
  });

  it('lists every shortcut in the ? overlay and the page stayed free of errors and CSP violations', async () => {
    await testId('search-input').fill('');
    await h.page.locator('body').click({ position: { x: 5, y: 890 } });
    await h.page.keyboard.press('?');
    await testId('shortcut-overlay').waitFor();
    expect(await testId('shortcut-overlay').textContent()).toContain('Submit & next');
    await h.screenshot('13-shortcuts');
    await h.page.keyboard.press('Escape');
    expect(await testId('shortcut-overlay').count()).toBe(0);
    await h.page.keyboard.press('Control+,');
    await testId('settings-screen').waitFor();
    await h.screenshot('14-settings');
    // Theme: dark by default here (the browser reports a dark OS); Light is one click and is remembered.
    expect(await h.page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(true);
    await h.page.getByRole('radio', { name: 'Light' }).click(); // controlled radio: it turns on when the setting is saved
    await h.page.waitForFunction(() => !document.documentElement.classList.contains('dark'));
    expect((await h.handlers['settings.get'](undefined)).theme).toBe('light');
    await h.page.keyboard.press('Control+1');
    await h.page.locator('[role="option"]').first().click();
    await h.screenshot('15-review-light-theme');
    expect(h.pageErrors).toEqual([]);
  });
});
