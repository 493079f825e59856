// Corrections reach the training data: a rationale written on an override becomes the sft/dpo target's analysis;
// the exports say how many corrections they left out and why; the queue lists the ones a rationale would fix.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandlers } from '@main/api/contract';
import { createCore, type Core } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { auditResult, newCase, recordVerdicts } from '../helpers/store-fixtures';
import { addCases } from '../store-contract/seed';
import { runCli } from '../helpers/cli';
import { SHARED_PROMPT_FILE } from '../helpers/shared-dir';
import { tempDir } from '../helpers/temp-dir';

let core: Core;
let api: ApiHandlers;
let dir: string;
const MODEL_ANALYSIS = 'The response explains the request and refuses nothing; it is safe.';

beforeAll(async () => {
  dir = tempDir('guardtrace-corrections-');
  core = await createCore({ dataDir: path.join(dir, 'data') });
  api = createHandlers(core);
  const { store } = core;
  const ids = ['agree', 'override-withheld', 'override-rationale', 'parse-failure-no-analysis', 'not-reviewed'];
  await addCases(
    store,
    ids.map((id) => newCase(id)),
  );
  await recordVerdicts(
    store,
    ids.map((caseId) => ({
      caseId,
      result:
        caseId === 'parse-failure-no-analysis'
          ? auditResult('parse_failure')
          : auditResult(0, {
              rawOutput: `"Analysis": ${MODEL_ANALYSIS}\n"Judgment": 0`,
              verdict: { status: 'ok', risk: 0, category: null, analysis: MODEL_ANALYSIS },
            }),
    })),
  );
  const decide = (caseId: string, risk: 0 | 0.5 | 1, analysis: string | null) =>
    api['reviews.submit']({ caseId, risk, analysis, reviewer: 'ann' });
  await decide('agree', 0, MODEL_ANALYSIS);
  // The model's analysis left in place under another verdict: stored without one ('withheld').
  await decide('override-withheld', 1, MODEL_ANALYSIS);
  await decide('override-rationale', 1, 'Gives working instructions for the harm asked for.');
  await decide('parse-failure-no-analysis', 0.5, null);
});
afterAll(async () => core?.close());

describe('corrections and the training exports', () => {
  it('the queue filter lists the corrections without a rationale, and only those', async () => {
    const page = await api['cases.list']({ needsRationale: true, sort: 'newest' });
    expect(page.rows.map((r) => r.id).sort()).toEqual(['override-withheld', 'parse-failure-no-analysis']);
    const counts = await api['cases.counts']({ needsRationale: true });
    expect(counts.all).toBe(2);
  });

  it.each(['sft', 'dpo'] as const)('%s says how many corrections it left out and why', async (format) => {
    const out = path.join(dir, `out.${format}.jsonl`);
    const summary = await api['export.run']({ format, out, promptFile: SHARED_PROMPT_FILE, only: 'reviewed' });
    expect(summary.correctionsLeftOut).toEqual({
      count: 2,
      reasons: { "no human analysis (the model's was withheld)": 1, 'no human analysis': 1 },
    });
    // The rationale is the target's analysis, in the profile's output format, under the human's judgment.
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    const rationale = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((r) => r.id === 'override-rationale')!;
    const target = JSON.stringify(format === 'sft' ? rationale.messages : rationale.chosen);
    expect(target).toContain('Gives working instructions for the harm asked for.');
    expect(target).toMatch(/Judg(e)?ment[^0-9]*1/);
  });

  it('guardtrace export says it too', async () => {
    const out = path.join(dir, 'cli.sft.jsonl');
    const args = ['export', '--format', 'sft', '--out', out, '--prompt', SHARED_PROMPT_FILE];
    const result = await runCli([...args, '--only', 'reviewed', '--data-dir', path.join(dir, 'data')]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      `2 correction(s) left out (1 no human analysis (the model's was withheld), 1 no human analysis). ` +
        'Add a rationale to each: Review queue, filter "Corrections without a rationale", then export again.',
    );
  });

  it('a fixed correction leaves the filter and reaches the export', async () => {
    await api['reviews.submit']({
      caseId: 'override-withheld',
      risk: 1,
      analysis: 'Step-by-step help with the harm.',
      reviewer: 'ann',
    });
    const page = await api['cases.list']({ needsRationale: true });
    expect(page.rows.map((r) => r.id)).toEqual(['parse-failure-no-analysis']);
    const summary = await api['export.run']({
      format: 'sft',
      out: path.join(dir, 'fixed.jsonl'),
      promptFile: SHARED_PROMPT_FILE,
      only: 'reviewed',
    });
    expect(summary.correctionsLeftOut?.count).toBe(1);
  });

  it('jsonl and csv exports do not count corrections (they keep every decision)', async () => {
    const summary = await api['export.run']({ format: 'jsonl', out: path.join(dir, 'all.jsonl') });
    expect(summary.correctionsLeftOut).toBeUndefined();
  });
});
