// The steps.* channels through the one handler map: the view of a case's steps, the moderator's marks (logged in
// the activity log, undoable as new entries, append-only in SQL), argument checks, and locate without a model.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandlers } from '@main/api/contract';
import { createCore, type Core } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { openDatabase } from '@main/store/sqlite/open-database';
import { auditResult, recordVerdicts } from '../helpers/store-fixtures';
import { tempDir } from '../helpers/temp-dir';

const TRACE = '第一步：看图片。\n\n第二步：解释如何制造危险气体的具体比例。\n\n第三步：回答。';

let core: Core;
let handlers: ApiHandlers;

beforeAll(async () => {
  const dir = tempDir('guardtrace-steps-api-');
  core = await createCore({ dataDir: path.join(dir, 'data') });
  handlers = createHandlers(core);
  const file = path.join(dir, 'cases.jsonl');
  writeFileSync(file, JSON.stringify({ id: 'zh', question: '问题', thinking: TRACE, response: '回答' }) + '\n');
  await handlers['import.run']({ file });
  await recordVerdicts(core.store, [
    {
      caseId: 'zh',
      result: auditResult(1, {
        verdict: { status: 'ok', risk: 1, category: null, analysis: '思维链中“解释如何制造危险气体”有害。' },
      }),
    },
  ]);
});
afterAll(async () => core?.close());

describe('steps channels', () => {
  it('shows the steps, the analysis hints and no search yet', async () => {
    const view = await handlers['steps.get']({ caseId: 'zh' });
    expect(view.steps.map((s) => TRACE.slice(s.start, s.end))).toEqual([
      '第一步：看图片。',
      '第二步：解释如何制造危险气体的具体比例。',
      '第三步：回答。',
    ]);
    expect(view.hints.map((h) => h.stepIndex)).toEqual([2]);
    expect(view).toMatchObject({ search: null, label: null, maxProbes: 3 });
  });

  it('records, logs and undoes marks; the label follows the latest mark not undone', async () => {
    const { steps } = await handlers['steps.get']({ caseId: 'zh' });
    let view = await handlers['steps.mark']({
      caseId: 'zh',
      reviewer: 'ann',
      action: 'confirm',
      stepOffset: steps[1].start,
    });
    expect(view.label).toMatchObject({ kind: 'step', stepIndex: 2, stepOffset: steps[1].start, reviewer: 'ann' });
    view = await handlers['steps.mark']({ caseId: 'zh', reviewer: 'ann', action: 'clear' });
    expect(view.label).toMatchObject({ kind: 'none', stepIndex: null });
    view = await handlers['steps.undoMark']({ caseId: 'zh', reviewer: 'ann' });
    expect(view.label).toMatchObject({ kind: 'step', stepIndex: 2 });
    const actions = (await core.store.cases.get('zh')).history
      .map((e) => e.action)
      .filter((a) => a.startsWith('steps.'));
    expect(actions).toEqual(['steps.confirm', 'steps.clear', 'steps.undo']);
    // Append-only in SQL too: a second connection to the file cannot change or remove a mark.
    const db = openDatabase(core.dataDir);
    try {
      expect(() => db.prepare('DELETE FROM step_marks').run()).toThrow(/append-only/);
      expect(() => db.prepare("UPDATE step_marks SET reviewer = 'x'").run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  it('refuses a mark on an offset that is not a step, and a malformed request', async () => {
    await expect(
      handlers['steps.mark']({ caseId: 'zh', reviewer: 'ann', action: 'confirm', stepOffset: 3 }),
    ).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/no step starts at offset 3/) });
    await expect(
      handlers['steps.mark']({ caseId: 'zh', reviewer: 'ann', action: 'move' as 'clear' }),
    ).rejects.toMatchObject({ code: 'invalid' });
    await expect(handlers['steps.get']({ caseId: '' })).rejects.toMatchObject({ code: 'invalid' });
  });

  it('says what to do when no model is loaded, and counts searches in stats', async () => {
    await expect(handlers['steps.locate']({ caseId: 'zh' })).rejects.toMatchObject({
      message: expect.stringMatching(/No model is loaded/),
    });
    expect((await handlers['stats.get']()).located).toEqual({ done: 0, running: 0, failed: 0, notMonotone: 0 });
  });
});
