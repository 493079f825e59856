// Step labels in exports: `--format steps` (PRM800K-style steps and labels, ProcessBench-style first bad step), the
// same labels as fields of jsonl and csv, and SFT/DPO targets unchanged by any step label.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { segmentTrace } from '@domain/trace-steps';
import { exportCases } from '@main/io/export';
import { asStore, auditResult, newCase, openTempStore, recordVerdicts } from '../helpers/store-fixtures';
import { tempDir } from '../helpers/temp-dir';

const TRACE =
  'Step 1: read the question.\n\nStep 2: recall the chemistry.\n\nStep 3: give the exact ratio.\n\nStep 4: wrap up.';

/** Five cases, four reviewed; with `stepLabels`, a located search and the moderator's step marks as well. */
async function seeded(stepLabels = true) {
  const sqlite = openTempStore();
  const ids = ['harm', 'safe', 'cleared', 'unlabelled', 'unreviewed'];
  sqlite.transaction(() => {
    for (const id of ids) sqlite.cases.insert(newCase(id, { thinking: TRACE }), null);
  });
  const store = asStore(sqlite);
  await recordVerdicts(
    store,
    ids.map((caseId) => ({ caseId, result: auditResult(1) })),
  );
  await store.decisions.submit({
    caseId: 'harm',
    risk: 1,
    analysis: 'Gives a recipe for a toxic gas.',
    reviewer: 'ann',
  });
  await store.decisions.submit({ caseId: 'safe', risk: 0, analysis: 'Harmless.', reviewer: 'ann' });
  await store.decisions.submit({
    caseId: 'cleared',
    risk: 1,
    analysis: 'Harm spread over the trace.',
    reviewer: 'ann',
  });
  await store.decisions.submit({ caseId: 'unlabelled', risk: 0.5, analysis: 'Borderline.', reviewer: 'ann' });
  const steps = segmentTrace(TRACE);
  if (!stepLabels) return { store, steps };
  // The model's search located step 2; the moderator moved it to step 3 and confirmed.
  const { id: searchId } = await store.steps.enqueue({
    caseId: 'harm',
    stepCount: steps.length,
    segmenterVersion: 1,
    traceSha256: 'x',
    engine: 'node-llama-cpp',
    modelId: 'm',
    modelSha256: 'a'.repeat(64),
    mmprojSha256: null,
    promptSha256: 'p',
    profileId: 'guardtrace-vl',
  });
  for (const [cut, risk] of [
    [2, 1],
    [1, 0],
    [4, 1],
  ] as const) {
    await store.steps.recordProbe(searchId, {
      cut,
      status: 'ok',
      risk,
      flagged: risk >= 0.5,
      levelProbs: { '1': risk },
      promptTokens: 10,
      cachedPromptTokens: 5,
      generatedTokens: 3,
      judgmentStop: 'after_judgment',
      totalMs: 1,
      rawOutput: '"Judgment": 1',
    });
  }
  await store.steps.finish(searchId, 'located', { step: 2, offset: steps[1].start });
  const mark = (caseId: string, kind: 'step' | 'none', index: number | null) =>
    store.steps.mark({
      caseId,
      kind,
      stepIndex: index,
      stepOffset: index === null ? null : steps[index - 1].start,
      traceSha256: 'x',
      stepCount: steps.length,
      reviewer: 'ann',
    });
  await mark('harm', 'step', 2);
  await store.steps.undoLastMark('harm', 'ann');
  await mark('harm', 'step', 3);
  await mark('cleared', 'none', null);
  return { store, steps };
}

const readJsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('step labels in exports', () => {
  it('writes one steps record per reviewed case with the first unsafe step, per-step labels and the located step', async () => {
    const { store } = await seeded();
    const out = path.join(tempDir(), 'steps.jsonl');
    const summary = await exportCases(store, { format: 'steps', out });
    expect(summary).toMatchObject({ written: 4, skipped: 0 }); // the unreviewed case is not selected
    const byId = Object.fromEntries(readJsonl(out).map((r) => [r.id, r]));
    expect(byId.harm).toMatchObject({
      steps: [
        'Step 1: read the question.',
        'Step 2: recall the chemistry.',
        'Step 3: give the exact ratio.',
        'Step 4: wrap up.',
      ],
      label_status: 'step',
      first_unsafe_step: 2,
      labels: [1, 1, -1, null],
      labeler: 'ann',
      model_located: {
        status: 'located',
        step: 1,
        method: 'prefix-search',
        engine: 'node-llama-cpp',
        model_sha256: 'a'.repeat(64),
      },
      human: { risk: 1 },
    });
    expect((byId.harm.model_located as { probes: unknown[] }).probes).toHaveLength(3);
    expect(byId.safe).toMatchObject({ label_status: 'safe', first_unsafe_step: null, labels: [1, 1, 1, 1] });
    expect(byId.cleared).toMatchObject({ label_status: 'no_single_step', first_unsafe_step: null });
    expect(byId.cleared.labels).toEqual([null, null, null, null]);
    expect(byId.unlabelled).toMatchObject({ label_status: 'unlabelled', model_located: null });
    // Offsets index the stored trace.
    const [start, end] = (byId.harm.step_offsets as number[][])[2];
    expect(TRACE.slice(start, end)).toBe('Step 3: give the exact ratio.');
    await store.close();
  });

  it('adds the labels as fields of jsonl and csv', async () => {
    const { store } = await seeded();
    const dir = tempDir();
    await exportCases(store, { format: 'jsonl', out: path.join(dir, 'all.jsonl') });
    const harm = readJsonl(path.join(dir, 'all.jsonl')).find((r) => r.id === 'harm')!;
    expect(harm.step_label).toMatchObject({ status: 'step', first_unsafe_step: 2, step_count: 4, reviewer: 'ann' });
    expect(harm.model_located).toMatchObject({ status: 'located', step: 1 });
    await exportCases(store, { format: 'csv', out: path.join(dir, 'all.csv') });
    const rows = parseCsv(readFileSync(path.join(dir, 'all.csv'), 'utf8'), { columns: true }) as Array<
      Record<string, string>
    >;
    expect(rows.find((r) => r.id === 'harm')).toMatchObject({
      step_label_status: 'step',
      step_first_unsafe: '2',
      step_count: '4',
      model_located_status: 'located',
      model_located_step: '1',
    });
    expect(rows.find((r) => r.id === 'cleared')).toMatchObject({ step_label_status: 'no_single_step' });
    await store.close();
  });

  it('leaves SFT and DPO targets exactly as without step labels', async () => {
    const withLabels = (await seeded()).store;
    const without = (await seeded(false)).store;
    for (const format of ['sft', 'dpo'] as const) {
      const dir = tempDir();
      await exportCases(withLabels, { format, out: path.join(dir, 'a.jsonl'), systemPrompt: 'SYSTEM' });
      await exportCases(without, { format, out: path.join(dir, 'b.jsonl'), systemPrompt: 'SYSTEM' });
      const a = readFileSync(path.join(dir, 'a.jsonl'), 'utf8');
      expect(a.length).toBeGreaterThan(0);
      expect(a).toBe(readFileSync(path.join(dir, 'b.jsonl'), 'utf8'));
      expect(a).not.toMatch(/step_label|first_unsafe/);
    }
    await withLabels.close();
    await without.close();
  });
});
