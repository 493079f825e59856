// Audit on open with the real engine and the tiny random-weight model: the case the moderator opens is audited
// before the queue (alone when no batch runs, next when one does), its tokens stream for that case only until its
// verdict, and no case is audited twice. The runner's slot logic is tested with a scripted engine in audit-runner.test.ts.
import { databaseOf } from '../helpers/store-fixtures';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditProgress } from '@domain/audits';
import { createCore, type Core } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { tempDir } from '../helpers/temp-dir';
import { writeTinyModelFolder } from '../models/tiny-gguf';

const CASES = 6;
let core: Core;
let handlers: ReturnType<typeof createHandlers>;

beforeAll(async () => {
  const dir = tempDir('guardtrace-audit-priority-');
  const modelDir = (await writeTinyModelFolder(path.join(dir, 'model'), { withMmproj: false })).dir;
  const file = path.join(dir, 'cases.jsonl');
  const rows = Array.from({ length: CASES }, (_, i) => ({
    id: `case-${i}`,
    question: `question ${i}`,
    thinking: `thinking ${i}`,
    response: `response ${i}`,
  }));
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  core = await createCore({ dataDir: path.join(dir, 'data'), engine: { threads: 1, gpu: false } });
  handlers = createHandlers(core);
  await handlers['import.run']({ file });
  expect(await handlers['engine.load']({ modelDir, engine: 'node-llama-cpp' })).toMatchObject({ state: 'loaded' });
}, 120_000);

afterAll(async () => {
  await core?.close();
});

/** Verdict order and, per case, whether a token arrived after its verdict (a late token). */
function watch() {
  const verdicts: string[] = [];
  const lateTokens: string[] = [];
  const offVerdict = core.events.on('audit.verdict', ({ caseId }) => verdicts.push(caseId));
  const offToken = core.events.on('audit.token', ({ caseId }) => {
    if (verdicts.includes(caseId)) lateTokens.push(caseId);
  });
  return { verdicts, lateTokens, off: () => (offVerdict(), offToken()) };
}

describe('audit on open (tiny model, node-llama-cpp in process)', () => {
  it('with no batch running, the opened case is audited alone, then clearing the preference changes nothing', async () => {
    const seen = watch();
    const progress = await handlers['audit.prioritize']({ caseId: 'case-4' });
    expect(progress).toMatchObject({ state: 'running', priorityCaseId: 'case-4' });
    expect(await core.jobs.whenSettled()).toMatchObject({ state: 'done', done: 1 });
    expect(seen.verdicts).toEqual(['case-4']);
    expect(seen.lateTokens).toEqual([]);
    expect((await handlers['audit.prioritize']({ caseId: null })).priorityCaseId).toBeNull();
    expect((await core.store.metrics.stats()).audits).toBe(1);
    seen.off();
  }, 120_000);

  it('during a batch, the opened case is the next verdict, and every case still gets exactly one', async () => {
    const seen = watch();
    const firstStarted = new Promise<void>((resolve) => {
      const off = core.events.on('audit.progress', (p: AuditProgress) => {
        if ((p.inFlightCaseIds?.length ?? 0) > 0) resolve(off());
      });
    });
    await handlers['audit.start']({ maxNewTokens: 64 });
    await firstStarted;
    const verdictsBefore = seen.verdicts.length;
    await handlers['audit.prioritize']({ caseId: 'case-5' });
    expect(await core.jobs.whenSettled()).toMatchObject({ state: 'done', failed: 0 });
    // The one slot was busy: its case went back to the queue and case-5 was audited next (unless that case had
    // already produced its last token when the abort came, in which case its verdict lands first).
    expect(seen.verdicts.indexOf('case-5') - verdictsBefore).toBeLessThanOrEqual(1);
    expect(seen.verdicts.indexOf('case-5')).toBeLessThan(4);
    expect([...seen.verdicts].sort()).toEqual(['case-0', 'case-1', 'case-2', 'case-3', 'case-5']);
    expect(seen.lateTokens).toEqual([]);
    const perCase = databaseOf(core.dataDir)
      .prepare<[], { case_id: string; n: number }>('SELECT case_id, count(*) AS n FROM audits GROUP BY case_id')
      .all();
    expect(perCase).toHaveLength(CASES);
    expect(perCase.every((row) => row.n === 1)).toBe(true);
    seen.off();
  }, 180_000);
});
