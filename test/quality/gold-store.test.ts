import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCore, type Core } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import type { ApiHandlers } from '@main/api/contract';
import { readPack } from '@main/io/packs/import-pack';
import { runCli } from '../helpers/cli';
import { auditResult, databaseOf, newCase, recordVerdicts } from '../helpers/store-fixtures';
import { enrolCores } from '../helpers/team-keys';
import { addCases } from '../store-contract/seed';
import { tempDir } from '../helpers/temp-dir';

const SECRET = 'GOLD-EXPLANATION-7f3a';

async function workspace(reviewer: string): Promise<{ core: Core; handlers: ApiHandlers; dir: string }> {
  const dir = tempDir();
  const core = await createCore({ dataDir: dir });
  await core.store.settings.setMany({ reviewer });
  return { core, handlers: createHandlers(core), dir };
}

/** Twin cases: same content, different ids, so a gold case and a plain one can be compared field by field. */
async function addTwins(core: Core, ids: string[]): Promise<void> {
  await addCases(
    core.store,
    ids.map((id) => ({ ...newCase(id), query: 'same query', thinking: 'same trace', response: 'same' })),
  );
  await recordVerdicts(
    core.store,
    ids.map((caseId) => ({ caseId, result: auditResult(1) })),
  );
}

describe('gold cases', () => {
  it('are set, changed and removed with every change in the activity log, not in the case history', async () => {
    const { core, handlers } = await workspace('lea');
    try {
      await addTwins(core, ['c1']);
      await handlers['gold.set']({ caseId: 'c1', risk: 1, category: 'Cybersecurity', explanation: SECRET });
      await handlers['gold.set']({ caseId: 'c1', risk: 0.5, category: 'Cybersecurity' });
      expect(await handlers['gold.list']()).toMatchObject([
        { caseId: 'c1', risk: 0.5, source: 'manual', setBy: 'lea' },
      ]);
      expect(await handlers['gold.unset']({ caseId: 'c1' })).toEqual({ removed: true });
      expect(await handlers['gold.unset']({ caseId: 'c1' })).toEqual({ removed: false });
      const log = databaseOf(core.store.describe)
        .prepare<[], { action: string; actor: string; before: string; after: string }>(
          "SELECT action, actor, before, after FROM audit_log WHERE action LIKE 'gold_%' ORDER BY id",
        )
        .all();
      expect(log.map((e) => e.action)).toEqual(['gold_set', 'gold_set', 'gold_unset']);
      expect(JSON.parse(log[1].before)).toMatchObject({ caseId: 'c1', risk: 1 });
      expect(JSON.parse(log[1].after)).toMatchObject({ caseId: 'c1', risk: 0.5 });
      expect((await handlers['cases.get']({ id: 'c1' })).history.some((e) => e.action.startsWith('gold'))).toBe(false);
      await expect(handlers['gold.set']({ caseId: 'nope', risk: 1 })).rejects.toThrow(/No case with id "nope"/);
      await expect(handlers['gold.set']({ caseId: 'c1', source: 'imported_label' })).rejects.toThrow(
        /has no imported label/,
      );
      await expect(handlers['gold.set']({ caseId: 'c1', source: 'adjudication' })).rejects.toThrow(/no adjudication/);
    } finally {
      await core.close();
    }
  });

  it('nothing a reviewer reads (IPC payloads, packs) tells a gold case from its twin', async () => {
    const { core, handlers, dir } = await workspace('lea');
    try {
      await addTwins(core, ['twin-a', 'twin-b']);
      await handlers['gold.set']({ caseId: 'twin-a', risk: 1, category: 'Extremism', explanation: SECRET });
      const normalise = (value: unknown, id: string) =>
        JSON.parse(
          JSON.stringify(value)
            .replaceAll(id, 'ID')
            .replace(/"seq":\d+/g, '"seq":0')
            .replace(/"sourceRecord":\d+/g, '"sourceRecord":0')
            .replace(/"id":\d+/g, '"id":0')
            .replace(/"auditId":\d+/g, '"auditId":0') // verdicts stored one case after the other
            .replace(/"(at|createdAt)":"[^"]+"/g, '"$1":"T"'),
        );
      const payloads: unknown[] = [];
      for (const id of ['twin-a', 'twin-b']) payloads.push(await handlers['cases.get']({ id }));
      expect(normalise(payloads[0], 'twin-a')).toEqual(normalise(payloads[1], 'twin-b'));
      const list = await handlers['cases.list']({});
      const rows = Object.fromEntries(list.rows.map((row) => [row.id, row]));
      expect(normalise(rows['twin-a'], 'twin-a')).toEqual(normalise(rows['twin-b'], 'twin-b'));
      payloads.push(list, await handlers['cases.counts']({}), await handlers['stats.get']());
      payloads.push(await handlers['cases.neighbors']({ id: 'twin-a' }));
      for (const payload of payloads) {
        const text = JSON.stringify(payload);
        expect(text).not.toContain(SECRET);
        expect(text).not.toMatch(/gold_|goldCase|"source":"manual"|Extremism/);
      }

      const { packs } = await handlers['packs.create']({
        reviewers: ['ann'],
        outDir: path.join(dir, 'packs'),
        overlap: 0,
      });
      const raw = readFileSync(packs[0].file);
      expect(raw.includes(SECRET)).toBe(false);
      const pack = await readPack(packs[0].file);
      const [gold, plain] = ['twin-a', 'twin-b'].map((id) => pack.cases.find((c) => c.id === id));
      expect(normalise(gold, 'twin-a')).toEqual(normalise(plain, 'twin-b'));
      expect(JSON.stringify(pack.manifest)).not.toMatch(/gold/i);
    } finally {
      await core.close();
    }
  });

  it('lead and two reviewers: gold travels in packs at the lead rate and comes back scored', async () => {
    const lead = await workspace('lea');
    const ann = await workspace('ann');
    const bob = await workspace('bob');
    await enrolCores(lead.core, [
      ['ann', ann.core],
      ['bob', bob.core],
    ]);
    try {
      const regular = Array.from({ length: 40 }, (_, i) => `case-${i}`);
      const goldIds = ['gold-a', 'gold-b', 'gold-c', 'gold-d'];
      await addCases(
        lead.core.store,
        [...regular, ...goldIds].map((id) => newCase(id)),
      );
      await recordVerdicts(
        lead.core.store,
        goldIds.map((caseId) => ({ caseId, result: auditResult(caseId === 'gold-d' ? 0 : 1) })),
      );
      for (const id of goldIds)
        await lead.handlers['gold.set']({ caseId: id, risk: 1, category: 'Cybersecurity', explanation: SECRET });
      // A high rate so both small packs surely carry gold (the rate itself is tested over 10,000 draws).
      await lead.core.store.settings.setMany({ goldRate: 0.45 });
      const { packs } = await lead.handlers['packs.create']({
        reviewers: ['ann', 'bob'],
        caseIds: regular,
        overlap: 0,
        outDir: path.join(lead.dir, 'packs'),
      });
      const answers: Record<string, 0 | 1> = { ann: 1, bob: 0 };
      for (const [name, reviewer] of [
        ['ann', ann],
        ['bob', bob],
      ] as const) {
        const pack = packs.find((p) => p.reviewer === name)!;
        expect(readFileSync(pack.file).includes(SECRET)).toBe(false);
        await reviewer.handlers['packs.import']({ file: pack.file });
        expect(await reviewer.handlers['gold.list']()).toEqual([]);
        const received = await reviewer.handlers['cases.list']({ pack: pack.packId, limit: 1000 });
        const goldReceived = received.rows.filter((row) => goldIds.includes(row.id));
        expect(goldReceived.length, `${name} got gold`).toBeGreaterThan(0);
        for (const row of received.rows)
          await reviewer.handlers['reviews.submit']({
            caseId: row.id,
            risk: answers[name],
            reviewer: name,
            source: 'manual',
          });
        const out = path.join(reviewer.dir, 'decisions.json');
        await reviewer.handlers['decisions.export']({ pack: pack.packId, out });
        await lead.handlers['decisions.import']({ file: out });
      }
      const report = await lead.handlers['gold.report']();
      expect(report.cases).toBe(4);
      expect(report.rate).toBe(0.45);
      const byName = Object.fromEntries(report.reviewers.map((r) => [r.reviewer, r]));
      expect(byName.ann.n).toBeGreaterThan(0);
      expect(byName.ann).toMatchObject({ accuracy: 1, f1: 1, missed: [] });
      expect(byName.bob).toMatchObject({ accuracy: 0, f1: 0 });
      expect(byName.bob.missed.length).toBe(byName.bob.n);
      // The model: 3 of 4 gold cases right (gold-d judged safe).
      expect(report.model).toMatchObject({ n: 4, accuracy: 0.75 });
      expect(report.model.missed.map((m) => m.caseId)).toEqual(['gold-d']);

      const cli = await runCli(['stats', '--data-dir', lead.dir, '--json']);
      expect(cli.code).toBe(0);
      const stats = JSON.parse(cli.stdout);
      expect(stats.gold).toMatchObject({ cases: 4, rate: 0.45, model: { n: 4, accuracy: 0.75 } });
      expect(stats.gold.reviewers[0]).toHaveProperty('byCategory');
      expect(stats.gold.reviewers.map((r: { reviewer: string }) => r.reviewer).sort()).toEqual(['ann', 'bob']);
    } finally {
      await Promise.all([lead.core.close(), ann.core.close(), bob.core.close()]);
    }
  });

  it('CLI: gold set / unset / list', async () => {
    const { core, dir } = await workspace('lea');
    await addTwins(core, ['c1']);
    await core.close();
    const set = await runCli([
      'gold',
      'set',
      'c1',
      '--risk',
      '0.5',
      '--category',
      'hate speech',
      '--note',
      'why',
      '--data-dir',
      dir,
    ]);
    expect(set.stderr).toBe('');
    expect(set.stdout).toMatch(/Gold set: c1\trisk 0.5\tHate speech\tmanual/);
    const list = await runCli(['gold', 'list', '--json', '--data-dir', dir]);
    expect(JSON.parse(list.stdout)).toMatchObject([
      { caseId: 'c1', risk: 0.5, category: 'Hate speech', explanation: 'why' },
    ]);
    expect((await runCli(['gold', 'set', 'c1', '--data-dir', dir])).stderr).toMatch(/--risk is required/);
    expect((await runCli(['gold', 'frob', '--data-dir', dir])).code).toBe(2);
    expect((await runCli(['gold', 'unset', 'c1', '--data-dir', dir])).stdout).toMatch(/Gold removed from case c1/);
    expect((await runCli(['gold', 'list', '--data-dir', dir])).stdout).toBe('No gold cases.\n');
  });
});
