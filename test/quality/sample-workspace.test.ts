import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_ENGINE, DEMO_MODEL_ID } from '@domain/demo';
import { CATEGORIES, RISK_LEVELS } from '@domain/types';
import { createCore } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { SAMPLE_CASES } from '@main/io/demo/sample-cases';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/temp-dir';

const CJK = /[\u4e00-\u9fff]/;

describe('the sample workspace', () => {
  it('covers every category, all three levels, long and Chinese traces and a graphic stand-in', () => {
    const categories = new Set(SAMPLE_CASES.map((c) => c.demo.category).filter(Boolean));
    expect([...categories].sort()).toEqual([...CATEGORIES].sort());
    for (const level of RISK_LEVELS)
      expect(
        SAMPLE_CASES.some((c) => c.demo.risk === level),
        `level ${level}`,
      ).toBe(true);
    expect(SAMPLE_CASES.filter((c) => c.thinking.length > 3000).length).toBeGreaterThanOrEqual(3);
    expect(SAMPLE_CASES.filter((c) => CJK.test(c.thinking)).length).toBeGreaterThanOrEqual(3);
    expect(SAMPLE_CASES.some((c) => c.image === 'graphic-stand-in')).toBe(true);
    expect(SAMPLE_CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(SAMPLE_CASES.map((c) => c.id)).size).toBe(SAMPLE_CASES.length);
  });

  it('stores the cases, their drawn pictures and hand-written verdicts that say they are demo; again adds nothing', async () => {
    const core = await createCore({ dataDir: tempDir() });
    try {
      const handlers = createHandlers(core);
      const first = await handlers['demo.create']();
      expect(first).toMatchObject({ cases: SAMPLE_CASES.length, imported: SAMPLE_CASES.length });
      expect(first.demoVerdicts).toBe(SAMPLE_CASES.length);
      const stats = await handlers['stats.get']();
      expect(stats.cases).toBe(SAMPLE_CASES.length);
      expect(stats.audited).toBe(SAMPLE_CASES.length);
      expect(stats.images).toBeGreaterThanOrEqual(7);

      const withPicture = SAMPLE_CASES.find((c) => c.image === 'graphic-stand-in')!;
      const detail = await handlers['cases.get']({ id: withPicture.id });
      expect(detail.image?.mime).toBe('image/png');
      expect(detail.image?.width).toBe(640);
      expect(detail.meta).toMatchObject({ demo: true, graphicStandIn: true });
      expect(detail.latestAudit).toMatchObject({
        engine: DEMO_ENGINE,
        modelId: DEMO_MODEL_ID,
        risk: withPicture.demo.risk,
        provenance: { demo: true, reference: false },
      });
      expect(detail.history.some((entry) => entry.action === 'demo_verdict')).toBe(true);

      const again = await handlers['demo.create']();
      expect(again.imported).toBe(0);
      expect(again.demoVerdicts).toBe(0);
      expect((await handlers['stats.get']()).audits).toBe(SAMPLE_CASES.length);
    } finally {
      await core.close();
    }
  });

  it('exports: jsonl marks sample cases, sft leaves them out and says why', async () => {
    const dir = tempDir();
    const core = await createCore({ dataDir: dir });
    try {
      const handlers = createHandlers(core);
      await handlers['demo.create']();
      const target = SAMPLE_CASES[2];
      await handlers['reviews.submit']({
        caseId: target.id,
        risk: 1,
        category: target.demo.category,
        analysis: 'The answer helps break into a shed: Crime and illegal activities.',
        note: null,
        reviewer: 'ann',
        source: 'manual',
      });
      const jsonl = path.join(dir, 'all.jsonl');
      const written = await handlers['export.run']({ format: 'jsonl', out: jsonl });
      expect(written.written).toBe(SAMPLE_CASES.length);
      const rows = readFileSync(jsonl, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(rows.every((row) => row.meta.demo === true && row.model.engine === DEMO_ENGINE)).toBe(true);
      expect(rows.find((row) => row.id === target.id).human.risk).toBe(1);

      const prompt = path.join(dir, 'prompt.txt');
      writeFileSync(prompt, 'a system prompt for this test');
      const sft = await handlers['export.run']({ format: 'sft', out: path.join(dir, 'sft.jsonl'), promptFile: prompt });
      expect(sft.written).toBe(0);
      expect(sft.skippedReasons).toEqual({ 'sample case (synthetic, demo verdict)': 1 });
    } finally {
      await core.close();
    }
  });

  it('guardtrace demo --data-dir DIR', async () => {
    const dir = tempDir();
    const first = await runCli(['demo', '--data-dir', dir, '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ imported: SAMPLE_CASES.length });
    const second = await runCli(['demo', '--data-dir', dir]);
    expect(second.stdout).toMatch(/already here/);
  });
});
