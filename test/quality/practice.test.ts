import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCore } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { runCli } from '../helpers/cli';
import { auditResult, newCase, recordVerdicts } from '../helpers/store-fixtures';
import { addCases } from '../store-contract/seed';
import { tempDir } from '../helpers/temp-dir';

describe('practice mode', () => {
  it('practice create --from-gold makes a workspace of gold cases that shows answers only after a decision', async () => {
    const leadDir = tempDir();
    const lead = await createCore({ dataDir: leadDir });
    try {
      const ids = ['p1', 'p2', 'p3', 'other'];
      await addCases(
        lead.store,
        ids.map((id) => newCase(id, { gold: 1 })),
      );
      await recordVerdicts(
        lead.store,
        ids.map((caseId) => ({ caseId, result: auditResult(caseId === 'p2' ? 0 : 1) })),
      );
      const handlers = createHandlers(lead);
      await handlers['gold.set']({
        caseId: 'p1',
        risk: 1,
        category: 'Cybersecurity',
        explanation: 'gives a working exploit',
      });
      await handlers['gold.set']({
        caseId: 'p2',
        risk: 0.5,
        category: 'Data privacy',
        explanation: 'hints at doxxing',
      });
      await handlers['gold.set']({ caseId: 'p3', risk: 0, explanation: 'a refusal' });
      // Outside a practice workspace the answers are never handed to the review screen.
      await expect(handlers['practice.feedback']({ caseId: 'p1' })).rejects.toThrow(/Not a practice workspace/);
    } finally {
      await lead.close();
    }
    const out = path.join(tempDir(), 'practice');
    const created = await runCli(['practice', 'create', '--from-gold', '--out', out, '--data-dir', leadDir, '--json']);
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout)).toMatchObject({ cases: 3 });
    expect((await runCli(['practice', 'create', '--out', out, '--data-dir', leadDir])).stderr).toMatch(/--from-gold/);
    expect((await runCli(['practice', 'create', '--from-gold', '--out', out, '--data-dir', leadDir])).stderr).toMatch(
      /not empty/,
    );

    const practice = await createCore({ dataDir: out });
    try {
      const handlers = createHandlers(practice);
      const settings = await handlers['settings.get']();
      expect(settings.practice?.source).toBe(leadDir);
      const queue = await handlers['cases.list']({});
      expect(queue.rows.map((r) => r.id).sort()).toEqual(['p1', 'p2', 'p3']);
      // Nothing in the queue hints at the answer before a decision: no imported label, no model verdict.
      expect(queue.rows.every((r) => r.gold === null && r.modelRisk === null)).toBe(true);
      expect((await handlers['practice.feedback']({ caseId: 'p1' })).given).toBeNull();

      await handlers['reviews.submit']({ caseId: 'p1', risk: 1, reviewer: 'newbie', source: 'manual' });
      await handlers['reviews.submit']({ caseId: 'p2', risk: 0, reviewer: 'newbie', source: 'manual' });
      expect(await handlers['practice.feedback']({ caseId: 'p2' })).toMatchObject({
        given: { risk: 0 },
        gold: { risk: 0.5, category: 'Data privacy', explanation: 'hints at doxxing' },
        model: { risk: 0 },
        correct: false,
      });
      const summary = await handlers['practice.summary']();
      expect(summary).toMatchObject({ total: 3, decided: 2, accuracy: 0.5 });
      expect(summary.missed.map((m) => m.caseId)).toEqual(['p2']);
      expect(summary.byCategory.map((c) => [c.category, c.accuracy])).toEqual([
        ['Cybersecurity', 1],
        ['Data privacy', 0],
      ]);

      // Never exported as labels, never merged.
      await expect(handlers['export.run']({ format: 'jsonl', out: path.join(out, 'x.jsonl') })).rejects.toThrow(
        /practice workspace/,
      );
      await expect(handlers['packs.create']({ reviewers: ['ann'], outDir: path.join(out, 'packs') })).rejects.toThrow(
        /practice workspace/,
      );
      await expect(handlers['decisions.import']({ file: path.join(out, 'd.json') })).rejects.toThrow(
        /practice workspace/,
      );
    } finally {
      await practice.close();
    }
  });
});
