// What the browser tests do on every screen they show: open a case from the queue, visit both themes at both
// required sizes, and find no serious or critical axe violation. Shared by the tests that walk the screens.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from './harness';

const AXE_SOURCE = path.join(REPO_ROOT, 'node_modules/axe-core/axe.min.js');

/** Runs `visit` in dark then light, each at 1440×900 then 1024×700, after the page has switched theme and size. */
export async function forEachThemeAndSize(
  page: Page,
  visit: (theme: 'dark' | 'light', width: number, height: number) => Promise<void>,
): Promise<void> {
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
      await visit(theme, width, height);
    }
  }
}

/** axe's serious and critical violations on the page as it is now, one line each (rule, impact, first targets). */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  // Evaluated through DevTools: the app's CSP (script-src 'self') rightly refuses an injected <script>.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(readFileSync(AXE_SOURCE, 'utf8'));
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(o: unknown): Promise<any> } }).axe;
    const result = await axe.run({ resultTypes: ['violations'] });
    return (result.violations as Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }>)
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}): ${v.nodes
            .map((n) => n.target.join(' '))
            .slice(0, 4)
            .join(' | ')}`,
      );
  });
}

/** Clicks the case's queue row and waits until the case view shows it. */
export async function openCase(page: Page, id: string): Promise<void> {
  await page.locator(`[role="option"][data-case-id="${id}"]`).click();
  await page.waitForFunction(
    (caseId) => document.querySelector('[data-testid="case-view"] header span.font-mono')?.textContent === caseId,
    id,
  );
}
