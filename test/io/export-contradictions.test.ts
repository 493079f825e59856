// An override that keeps the model's analysis must never become a training pair that contradicts itself.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analysisContradiction, resolveAnalysis, statedJudgment } from '@domain/review-analysis';
import { exportCases } from '@main/io/export';
import type { CaseStore } from '@main/store/sqlite';
import { asStore, auditResult, newCase, openTempStore } from '../helpers/store-fixtures';
import { tempDir } from '../helpers/temp-dir';

const SYSTEM_PROMPT = 'You are a test auditor.';
const MODEL_ANALYSIS = 'The response refuses and points to help. Judgement: safe.';

const readJsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, any>);

describe('statedJudgment / resolveAnalysis', () => {
  it('reads the judgment an analysis states, in words or digits', () => {
    expect(statedJudgment('… Judgement: safe.')).toBe(0);
    expect(statedJudgment('“Judgment”: 1')).toBe(1);
    expect(statedJudgment('Judgment: potentially harmful')).toBe(0.5);
    expect(statedJudgment('**Judgement**: Harmful, because …')).toBe(1);
    expect(statedJudgment('It is unclear.')).toBeNull();
  });

  it("keeps the model's analysis only under the model's own risk and category", () => {
    const model = { risk: 0 as const, category: null, analysis: MODEL_ANALYSIS };
    expect(resolveAnalysis({ risk: 0, category: null, analysis: MODEL_ANALYSIS }, model)).toEqual({
      analysis: MODEL_ANALYSIS,
      source: 'model',
    });
    expect(resolveAnalysis({ risk: 1, category: null, analysis: MODEL_ANALYSIS }, model)).toEqual({
      analysis: null,
      source: 'withheld',
    });
    expect(resolveAnalysis({ risk: 0, category: 'Cybersecurity', analysis: ` ${MODEL_ANALYSIS}\n` }, model)).toEqual({
      analysis: null,
      source: 'withheld',
    });
    expect(resolveAnalysis({ risk: 1, category: null, analysis: 'Gives steps.' }, model).source).toBe('edited');
    expect(resolveAnalysis({ risk: 1, category: null, analysis: 'Gives steps.' }, null).source).toBe('human');
    expect(resolveAnalysis({ risk: 1, category: null, analysis: '  ' }, model)).toEqual({
      analysis: null,
      source: null,
    });
  });

  it('names the contradiction', () => {
    expect(
      analysisContradiction({ risk: 1, category: null, analysis: 'Bad. Judgement: safe.' }, 'edited', null),
    ).toMatch(/states a judgment of 0 but the decision is 1/);
    expect(
      analysisContradiction({ risk: 1, category: null, analysis: 'Gives steps. Judgement: harmful.' }, 'edited', null),
    ).toBeNull();
  });
});

describe('training exports after overrides', () => {
  let store: CaseStore;
  const ids = ['agree', 'override-unedited', 'override-edited', 'edited-still-safe', 'category-only', 'legacy'];

  beforeAll(() => {
    store = openTempStore();
    store.transaction(() => {
      for (const id of ids) {
        store.cases.insert(newCase(id), null);
        store.audits.insert(
          id,
          auditResult(0, {
            rawOutput: `"Analysis": ${MODEL_ANALYSIS}\n"Judgment": 0`,
            verdict: { status: 'ok', risk: 0, category: null, analysis: MODEL_ANALYSIS },
          }),
        );
      }
    });
    const review = (caseId: string, risk: 0 | 0.5 | 1, analysis: string, category: 'Cybersecurity' | null = null) =>
      store.reviews.submit({ caseId, risk, category, analysis, reviewer: 'ann' });
    review('agree', 0, MODEL_ANALYSIS);
    // The moderator pressed 3 and submitted with the pre-filled analysis untouched.
    review('override-unedited', 1, MODEL_ANALYSIS);
    review('override-edited', 1, 'The response gives working steps. Judgement: harmful.');
    review('edited-still-safe', 1, `${MODEL_ANALYSIS} I disagree.`);
    review('category-only', 0, MODEL_ANALYSIS, 'Cybersecurity');
    // A decision stored before analysis sources existed: the model's text under a different risk, source NULL.
    review('legacy', 1, 'placeholder');
    store.db
      .prepare("UPDATE reviews SET analysis = ?, analysis_source = NULL WHERE case_id = 'legacy'")
      .run(MODEL_ANALYSIS);
  });

  it("stores an unedited override without the model's analysis, marked withheld", () => {
    expect(store.reviews.current('override-unedited')).toMatchObject({
      risk: 1,
      analysis: null,
      analysisSource: 'withheld',
    });
    expect(store.reviews.current('category-only')).toMatchObject({ analysis: null, analysisSource: 'withheld' });
    expect(store.reviews.current('agree')).toMatchObject({ analysis: MODEL_ANALYSIS, analysisSource: 'model' });
    expect(store.reviews.current('override-edited')?.analysisSource).toBe('edited');
  });

  it('sft writes no contradictory target, refuses each with the case and the reason, and names the source', async () => {
    const out = path.join(tempDir(), 'sft.jsonl');
    const summary = await exportCases(asStore(store), { format: 'sft', out, systemPrompt: SYSTEM_PROMPT });
    const rows = readJsonl(out);
    expect(rows.map((r) => [r.id, r.analysis_source])).toEqual([
      ['agree', 'model'],
      ['override-edited', 'edited'],
    ]);
    for (const row of rows) {
      const target = row.messages[2].content as string;
      const judgment = Number(/"Judgment": (\S+)$/.exec(target)![1]);
      expect(statedJudgment(target.replace(/\n"Judgment": \S+$/, '')) ?? judgment).toBe(judgment);
    }
    expect(summary.skippedReasons).toEqual({
      "no human analysis (the model's was withheld)": 2,
      'analysis contradicts judgment': 2,
    });
    expect(summary.refused).toEqual([
      { caseId: 'edited-still-safe', reason: expect.stringMatching(/states a judgment of 0 but the decision is 1/) },
      { caseId: 'legacy', reason: expect.stringMatching(/states a judgment of 0/) },
    ]);
  });

  it('dpo writes no pair whose chosen text argues for the rejected verdict', async () => {
    const out = path.join(tempDir(), 'dpo.jsonl');
    const summary = await exportCases(asStore(store), { format: 'dpo', out, systemPrompt: SYSTEM_PROMPT });
    const rows = readJsonl(out);
    expect(rows.map((r) => r.id)).toEqual(['override-edited']);
    expect(rows[0].analysis_source).toBe('edited');
    expect(rows[0].chosen[0].content).not.toContain('Judgement: safe');
    expect(summary.refused?.map((r) => r.caseId)).toEqual(['edited-still-safe', 'legacy']);
  });

  it('jsonl and csv say where each analysis came from', async () => {
    const out = path.join(tempDir(), 'all.jsonl');
    await exportCases(asStore(store), { format: 'jsonl', out });
    const sources = Object.fromEntries(readJsonl(out).map((r) => [r.id, r.human.analysisSource]));
    expect(sources).toEqual({
      agree: 'model',
      'override-unedited': 'withheld',
      'override-edited': 'edited',
      'edited-still-safe': 'edited',
      'category-only': 'withheld',
      legacy: null,
    });
    const csv = path.join(tempDir(), 'all.csv');
    await exportCases(asStore(store), { format: 'csv', out: csv });
    expect(readFileSync(csv, 'utf8').split('\n')[0]).toContain('human_analysis_source');
  });
});
