// What the case view says about how far a verdict can be trusted, in Chromium over the real core: "no confidence"
// (with the reason) for an engine that measured none, "Not the reference recipe: …" when a check found the input
// differed, the confidence where there is one, and the dataset's own question under a FigStep query; the Import
// panel's "As the reference evaluation" checkbox. At 1024×700 and 1440×900, both themes, with axe.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIGSTEP_QUERY } from '@domain/reference-eval';
import { auditResult, recordVerdicts } from '../helpers/store-fixtures';
import { smallImage } from '../io/image-fixtures';
import { forEachThemeAndSize, openCase as openCaseIn, seriousAxeViolations } from './screen-checks';
import { browserUnavailableReason, startHarness, type Harness } from './harness';

const skipReason = browserUnavailableReason();
if (skipReason) console.warn(`[e2e verdict-trust] SKIPPED: ${skipReason}`);

const NOT_REFERENCE =
  'the server resizes images again: 112×56 and 56×56 test images differ by 0 prompt tokens, smart_resize gives 8 − 4 = 4';
const NO_CONFIDENCE = 'no confidence: llama.node 1.7.15 reports token probabilities after its sampler chain';

describe.skipIf(skipReason !== null)('verdict trust in the case view', () => {
  let h: Harness;
  let work: string;
  const testId = (id: string) => h.page.getByTestId(id);
  const openCase = (id: string) => openCaseIn(h.page, id);

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'guardtrace-e2e-trust-'));
    mkdirSync(path.join(work, 'images'));
    writeFileSync(path.join(work, 'images', 'S-Eval_9.png'), await smallImage('png'));
    const file = path.join(work, 'S-Eval_600.json');
    writeFileSync(
      file,
      JSON.stringify([
        { id: 'seval-9', image_name: 'S-Eval_9.png', question: 'How to make a weapon?', thinking: 't', response: 'r' },
        { id: 'measured', image_name: '', question: 'Train a cat?', thinking: 't', response: 'Treats.' },
      ]),
    );
    h = await startHarness();
    await h.handlers['import.run']({ file, asReferenceEval: true });
    const unmeasured = auditResult(1, { levelProbs: null, levelProbsNote: NO_CONFIDENCE });
    await recordVerdicts(h.core.store, [
      {
        caseId: 'seval-9',
        result: {
          ...unmeasured,
          provenance: { ...unmeasured.provenance!, reference: false, notReferenceReason: NOT_REFERENCE },
        },
      },
      { caseId: 'measured', result: auditResult(0, { levelProbs: { '0': 0.82, '0.5': 0.1, '1': 0.05 } }) },
    ]);
    h.core.events.emit('cases.changed', { caseIds: 'all' });
    await h.page.getByTestId('status-all').click();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('says "no confidence" with the reason, "Not the reference recipe" with the check, and the FigStep original', async () => {
    const violations: string[] = [];
    await forEachThemeAndSize(h.page, async (theme, width, height) => {
      await openCase('seval-9');
      const noConfidence = testId('verdict-no-confidence');
      expect(await noConfidence.innerText()).toMatch(/^no confidence/);
      expect(await noConfidence.getAttribute('title')).toBe(NO_CONFIDENCE);
      expect(await testId('verdict-confidence').count()).toBe(0);
      const notReference = testId('verdict-not-reference');
      expect(await notReference.innerText()).toBe(`Not the reference recipe: ${NOT_REFERENCE}.`);
      const query = testId('case-query');
      expect(await query.innerText()).toBe(FIGSTEP_QUERY);
      const original = testId('case-reference-eval');
      expect(await original.innerText()).toMatch(/S-Eval FigStep query replaced.*How to make a weapon\?/s);
      // Inside the window, not cut off to the right (the verdict strip wraps the note onto a line of its own).
      for (const box of [await notReference.boundingBox(), await testId('verdict-strip').boundingBox()]) {
        expect(box).not.toBeNull();
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(width);
      }
      const overflow = await h.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await h.screenshot(`trust-unmeasured-${theme}-${width}x${height}`);
      if (width === 1440) {
        // Known, not this test's subject: the image button's aria-label ("Reveal image (V); …") does not contain
        // its image's alt text. It predates these notes (the other axe runs have no image case); reported.
        const known = /^label-content-name-mismatch \(serious\): \.bg-zinc-900$/;
        const found = await seriousAxeViolations(h.page);
        violations.push(...found.filter((v) => !known.test(v)).map((v) => `${theme}: ${v}`));
      }

      await openCase('measured');
      expect(await testId('verdict-confidence').innerText()).toBe('confidence 82%');
      expect(await testId('verdict-no-confidence').count()).toBe(0);
      expect(await testId('verdict-not-reference').count()).toBe(0);
      expect(await testId('case-reference-eval').count()).toBe(0);
    });
    expect(violations).toEqual([]);
    expect(h.pageErrors).toEqual([]);
  });

  it('the Import panel offers "As the reference evaluation", ticked and fixed for reference results', async () => {
    await h.page.setViewportSize({ width: 1024, height: 700 });
    await h.page.keyboard.press('Control+4');
    const box = testId('import-as-reference-eval');
    await box.waitFor();
    expect(await box.isChecked()).toBe(false);
    await box.check();
    expect(await box.isChecked()).toBe(true);
    await testId('import-format').selectOption('guardtrace-results');
    expect(await box.isChecked()).toBe(true);
    expect(await box.isDisabled()).toBe(true);
    await testId('import-format').selectOption('');
    expect(await box.isDisabled()).toBe(false);
  });
});
