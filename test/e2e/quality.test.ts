// Issue 23 in Chromium over the real core: the sample workspace from an empty start to an export, the exposure
// limit re-blurring images until a break, and axe on the new screens in both themes at both sizes.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_EXPOSURE_LIMITS } from '@domain/exposure';
import { createCore } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { SAMPLE_CASES } from '@main/io/demo/sample-cases';
import { DATABASE_FILE } from '@main/store/sqlite/open-database';
import { axeViolations, browserUnavailableReason, startHarness, type Harness } from './harness';

const skipReason = browserUnavailableReason();
if (skipReason) console.warn(`[e2e] SKIPPED: ${skipReason}`);

const IMAGE_CASES = SAMPLE_CASES.filter((c) => c.image !== null).map((c) => c.id);

/** Runs `check` in both themes at 1440×900 and 1024×700. */
async function inEveryThemeAndSize(page: Harness['page'], check: (label: string) => Promise<void>): Promise<void> {
  for (const theme of ['dark', 'light'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    await page.waitForFunction(
      (dark) => document.documentElement.classList.contains('dark') === dark,
      theme === 'dark',
    );
    for (const [width, height] of [
      [1440, 900],
      [1024, 700],
    ] as const) {
      await page.setViewportSize({ width, height });
      await check(`${theme}-${width}x${height}`);
    }
  }
}

describe.skipIf(skipReason !== null)('quality and first run in Chromium over the real core', () => {
  let h: Harness | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
  });
  const openCase = async (harness: Harness, id: string) => {
    await harness.page.locator(`[role="option"][data-case-id="${id}"]`).click();
    await harness.page.waitForFunction(
      (caseId) => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent === caseId,
      id,
    );
  };

  it('empty start → sample workspace (one key) → review with a demo badge → override → export', async () => {
    h = await startHarness({ viewport: { width: 1024, height: 700 } });
    const { page } = h;
    await page.getByTestId('empty-workspace').waitFor();
    // Each way forward is one key away, and the key is written on it.
    for (const [id, key] of [
      ['empty-sample', 'Ctrl+Shift+O'],
      ['empty-import', 'Ctrl+O'],
      ['empty-modelDir', 'Ctrl+M'],
    ])
      expect(await page.getByTestId(id).locator('kbd').textContent()).toBe(key);
    await page.keyboard.press('Control+Shift+O');
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="queue-total"]')?.textContent?.startsWith(`${n} case`),
      SAMPLE_CASES.length,
    );
    expect(await page.getByTestId('empty-workspace').count()).toBe(0);

    const target = SAMPLE_CASES.find((c) => c.demo.risk === 1)!;
    await openCase(h, target.id);
    const badge = page.getByTestId('demo-verdict-badge');
    expect(await badge.textContent()).toMatch(/Demo verdict · not a model/i);
    // The badge is inside the window at 1024×700.
    const box = (await badge.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(1024);
    // Override the demo verdict from the keyboard: Safe, then submit.
    await page.locator('[data-testid="case-view"] h2').click();
    await page.keyboard.press('1');
    await page.getByTestId('submit-next').click();
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="status-bar"]')?.textContent?.includes('1 reviewed'),
    );

    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'gt-sample-export-')), 'sample.jsonl');
    await page.keyboard.press('Control+4');
    await page.getByTestId('export-only').selectOption('all');
    await page.getByTestId('export-out').fill(out);
    await page.getByTestId('export-run').click();
    await page.getByTestId('export-summary').waitFor();
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(rows).toHaveLength(SAMPLE_CASES.length);
    const exported = rows.find((row) => row.id === target.id);
    expect(exported.meta.demo).toBe(true);
    expect(exported.model.engine).toBe('demo');
    expect(exported.human.risk).toBe(0);
    expect(h.pageErrors).toEqual([]);
  });

  it('blind gold: the review screen’s DOM is the same for a gold case as for a plain one', async () => {
    h = await startHarness({ viewport: { width: 1440, height: 900 } });
    const { page, handlers } = h;
    await handlers['demo.create']();
    // Two cases shaped alike (safe demo verdict, no category, no picture, no label), one of them made gold.
    const [goldCase, plainCase] = SAMPLE_CASES.filter(
      (c) => c.gold === null && c.image === null && c.demo.risk === 0 && c.demo.category === null,
    );
    const secret = 'GOLD-EXPLANATION-e2e-91c';
    await handlers['gold.set']({ caseId: goldCase.id, risk: 1, category: 'Extremism', explanation: secret });
    await page.reload();
    const domOf = async (id: string) => {
      await openCase(h!, id);
      // The trace's steps load after the case: compare the two once each view has settled.
      await page.waitForFunction(() => !document.querySelector('[data-testid="case-trace"][aria-busy="true"]'));
      return page.evaluate(() => ({
        body: document.body.outerHTML,
        review: ['case-view', 'decision-column']
          .map((testId) => document.querySelector(`[data-testid="${testId}"]`)!.outerHTML)
          .join(''),
      }));
    };
    const goldDom = await domOf(goldCase.id);
    const plainDom = await domOf(plainCase.id);
    expect(goldDom.body).not.toContain(secret);
    // The only differences are the two cases' own texts and ids, not any element or attribute.
    const skeleton = (html: string) =>
      html
        .replace(/>[^<]*</g, '><')
        .replace(/"[^"]*"/g, '""')
        // A step's span-hint marks follow the case's own analysis and trace (components/TraceSteps.tsx), not gold.
        .replace(/ data-(hint|tag)=""/g, '')
        .replace(/\s+/g, ' ');
    expect(skeleton(goldDom.review)).toEqual(skeleton(plainDom.review));
    for (const dom of [goldDom, plainDom]) expect(dom.body).not.toMatch(/gold-badge|data-gold|gold_case/i);
  });

  it('a practice session with the keyboard only: answer after each decision, summary at the end', async () => {
    const leadDir = mkdtempSync(path.join(os.tmpdir(), 'gt-practice-lead-'));
    const lead = await createCore({ dataDir: leadDir });
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'gt-practice-')), 'practice');
    try {
      const handlers = createHandlers(lead);
      await handlers['demo.create']();
      const picked = SAMPLE_CASES.filter((c) => c.image === null).slice(0, 3);
      for (const c of picked)
        await handlers['gold.set']({
          caseId: c.id,
          risk: c.demo.risk,
          category: c.demo.category,
          explanation: `Because: ${c.demo.analysis}`,
        });
      await handlers['practice.create']({ out });
    } finally {
      await lead.close();
    }
    h = await startHarness({ dataDir: out, viewport: { width: 1024, height: 700 } });
    const { page } = h;
    await page.getByTestId('practice-badge').waitFor();
    expect(await page.title()).toMatch(/PRACTICE/);
    expect(await page.getByTestId('practice-status').textContent()).toMatch(/Practice workspace/);
    await page.waitForFunction(() => document.querySelector('[data-testid="case-view"]') !== null);
    const violations: string[] = [];
    const axeHere = (name: string) =>
      inEveryThemeAndSize(page, async (label) => {
        await page.waitForTimeout(100);
        violations.push(...(await axeViolations(page)).map((v) => `${name}-${label}: ${v}`));
        await h!.screenshot(`quality-${name}-${label}`);
      });
    await axeHere('practice-review');
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('3'); // Harmful, whatever the case: some right, some wrong
      await page.keyboard.press('Enter');
      await page.getByTestId('practice-feedback').waitFor();
      if (i === 0) await axeHere('practice-feedback');
      expect(await page.getByTestId('practice-explanation').textContent()).toMatch(/^Because: /);
      await page.keyboard.press('Enter');
      await page.getByTestId('practice-feedback').waitFor({ state: 'detached' });
    }
    await page.getByTestId('practice-summary').waitFor();
    expect(await page.getByTestId('practice-summary-total').textContent()).toMatch(/3 of 3 cases decided/);
    await axeHere('practice-summary');
    expect(violations).toEqual([]);
    await page.keyboard.press('Enter');
    await page.getByTestId('practice-summary').waitFor({ state: 'detached' });
    // Labels never leave a practice workspace.
    await expect(h.handlers['export.run']({ format: 'jsonl', out: path.join(out, 'x.jsonl') })).rejects.toThrow(
      /practice workspace/,
    );
    expect(h.pageErrors).toEqual([]);
  }, 120_000); // 13 axe runs with screenshots: 25-40 s here

  it('the hard exposure limit re-blurs every image until a break has been taken', async () => {
    h = await startHarness({ viewport: { width: 1440, height: 900 } });
    const { page, core, handlers } = h;
    await handlers['demo.create']();
    await core.store.settings.setMany({
      exposureLimits: { ...DEFAULT_EXPOSURE_LIMITS, softImages: 1, hardImages: 2, breakMinutes: 1 },
    });
    await page.reload();
    const image = page.getByTestId('case-image');
    const reveal = async (id: string) => {
      await openCase(h!, id);
      await page.locator('[data-testid="case-view"] h2').click();
      await page.keyboard.press('v');
    };
    await reveal(IMAGE_CASES[0]);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="case-image"]')?.getAttribute('data-revealed') === 'true',
    );
    await page.getByTestId('take-break').waitFor(); // the soft limit: a break suggested
    expect(await page.getByTestId('exposure-meter').textContent()).toMatch(/Exposure: 1 images/);

    await reveal(IMAGE_CASES[1]);
    // The second reveal reaches the hard limit: the image it showed is blurred again, and V does nothing.
    await page.waitForFunction(
      () => document.querySelector('[data-testid="case-image"]')?.getAttribute('data-revealed') === 'false',
    );
    expect(await page.getByTestId('image-hidden-note').textContent()).toMatch(/Exposure limit reached/);
    const filter = await image.evaluate((el) => getComputedStyle(el).filter);
    expect(filter).toMatch(/blur\(40px\)/);
    expect(filter).toMatch(/grayscale\(1\)/);
    await page.keyboard.press('v');
    expect(await image.getAttribute('data-revealed')).toBe('false');
    await openCase(h, IMAGE_CASES[0]);
    expect(await image.getAttribute('data-revealed')).toBe('false');

    // The break: the core refuses to end it early, so the images stay blurred.
    await page.getByTestId('take-break').click();
    await page.getByTestId('break-dialog').waitFor();
    expect(await page.getByTestId('end-break').isDisabled()).toBe(true);
    await expect(handlers['exposure.endBreak']()).rejects.toThrow(/more minute/);
    // Time passes: the break is moved back by the lead's minimum (the clock is the core's, not the page's).
    // (A second connection to the data folder's database: the store contract has no way to rewrite the past.)
    const db = new Database(path.join(core.store.describe, DATABASE_FILE));
    try {
      db.prepare("UPDATE exposure_events SET at = ? WHERE kind = 'break_started'").run(
        new Date(Date.now() - 61_000).toISOString(),
      );
    } finally {
      db.close();
    }
    await page.reload(); // the window reads the status again (as after a restart); the break is still running
    await page.getByTestId('take-break').click(); // reopens the running break
    await page.getByTestId('end-break').click();
    await page.getByTestId('break-dialog').waitFor({ state: 'detached' });
    await openCase(h, IMAGE_CASES[0]);
    await page.locator('[data-testid="case-view"] h2').click();
    await page.keyboard.press('v');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="case-image"]')?.getAttribute('data-revealed') === 'true',
    );
    expect(h.pageErrors).toEqual([]);
  });

  it('new screens: no serious or critical axe violation in both themes at 1024×700 and 1440×900', async () => {
    h = await startHarness({ viewport: { width: 1440, height: 900 } });
    const { page, handlers, core } = h;
    const violations: string[] = [];
    const check = async (name: string) => {
      await page.waitForTimeout(150);
      violations.push(...(await axeViolations(page)).map((v) => `${name}: ${v}`));
      await h!.screenshot(`quality-${name}`);
    };
    const eachThemeAndSize = (name: string, open: () => Promise<void>) =>
      inEveryThemeAndSize(page, async (label) => {
        await open();
        await check(`${name}-${label}`);
      });
    await eachThemeAndSize('empty-workspace', () => page.getByTestId('empty-workspace').waitFor());

    await handlers['demo.create']();
    for (const id of SAMPLE_CASES.filter((c) => c.gold !== null).map((c) => c.id))
      await handlers['gold.set']({ caseId: id, source: 'imported_label' });
    await handlers['reviews.submit']({ caseId: SAMPLE_CASES[0].id, risk: 0, reviewer: 'ann', source: 'manual' });
    await core.store.settings.setMany({ exposureLimits: { ...DEFAULT_EXPOSURE_LIMITS, softImages: 1, hardImages: 1 } });
    await page.reload();
    await eachThemeAndSize('review-sample', async () => {
      await page.keyboard.press('Control+1');
      await openCase(h!, IMAGE_CASES[0]);
    });
    await eachThemeAndSize('metrics-gold', async () => {
      await page.keyboard.press('Control+3');
      await page.getByTestId('gold-table').waitFor();
    });
    await eachThemeAndSize('settings-care', async () => {
      await page.keyboard.press('Control+,');
      await page.getByTestId('settings-never-auto-reveal').waitFor();
    });
    await handlers['exposure.imageRevealed']({ caseId: IMAGE_CASES[0] });
    await eachThemeAndSize('break', async () => {
      await page.keyboard.press('Control+1');
      await page.getByTestId('take-break').click();
      await page.getByTestId('break-dialog').waitFor();
      await check('break-open');
      await page.keyboard.press('Escape');
    });
    expect(violations).toEqual([]);
    expect(h.pageErrors).toEqual([]);
  }, 180_000); // about 20 axe runs with screenshots: 45-60 s here
});
