import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DecisionsFile } from '@domain/team';
import { assignCases, createPacks } from '@main/io/packs/create-packs';
import { exportDecisions, importDecisions } from '@main/io/packs/decisions-file';
import { importPack, readPack } from '@main/io/packs/import-pack';
import { asStore, auditResult, newCase, openTempStore } from '../helpers/store-fixtures';
import { newSigner, signedDecisions, teamWorkspaces } from '../helpers/team-keys';
import { tempDir } from '../helpers/temp-dir';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('assignCases', () => {
  const cases = ['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) => ({
    id,
    category: i < 4 ? 'Cybersecurity' : 'Hate speech',
  }));

  it('is deterministic and sends exactly round(overlap × n) cases, the lowest id hashes, to a second reviewer', () => {
    const first = assignCases(cases, ['ann', 'bob', 'cy'], 'round_robin', 0.5);
    const again = assignCases(cases, ['ann', 'bob', 'cy'], 'round_robin', 0.5);
    expect(again).toEqual(first);
    const lowest = [...cases]
      .sort((x, y) => sha(x.id).localeCompare(sha(y.id)))
      .slice(0, 3)
      .map((c) => c.id);
    expect([...first.doubled].sort()).toEqual(lowest.sort());
    const total = [...first.assignment.values()].reduce((n, ids) => n + ids.length, 0);
    expect(total).toBe(6 + 3);
    for (const ids of first.assignment.values()) expect(new Set(ids).size).toBe(ids.length);
  });

  it('by category keeps each category with one reviewer, the larger to the less loaded', () => {
    const { assignment } = assignCases(cases, ['ann', 'bob'], 'category', 0);
    expect(assignment.get('ann')).toEqual(['a', 'b', 'c', 'd']);
    expect(assignment.get('bob')).toEqual(['e', 'f']);
  });

  it('sends nothing twice with a single reviewer', () => {
    expect(assignCases(cases, ['ann'], 'round_robin', 0.5).doubled.size).toBe(0);
  });
});

describe('packs and decisions files', () => {
  it('a blind pack carries no model verdict, so the reviewer cannot see one', async () => {
    const {
      lead: { store: lead, signer },
      reviewers: {
        ann: { store: reviewer },
      },
    } = await teamWorkspaces(['ann']);
    lead.transaction(() => {
      for (const id of ['x', 'y']) {
        lead.cases.insert(newCase(id), null);
        lead.audits.insert(id, auditResult(1));
      }
    });
    const out = tempDir();
    const summary = await createPacks(asStore(lead), {
      reviewers: ['ann'],
      outDir: out,
      showModelVerdict: false,
      createdBy: 'lea',
      signer,
    });
    const pack = await readPack(summary.packs[0].file);
    expect(pack.manifest.showModelVerdict).toBe(false);
    expect(Object.keys(pack.manifest.entries)).toEqual(['cases.jsonl']);
    expect(pack.verdicts).toEqual([]);
    expect(await importPack(asStore(reviewer), summary.packs[0].file, 'ann')).toMatchObject({
      verdicts: 0,
      newCases: 2,
    });
    expect(reviewer.caseDetail('x').latestAudit).toBeNull();
    lead.close();
    reviewer.close();
  });

  it('refuses bad requests before writing anything', async () => {
    const lead = openTempStore();
    const signer = newSigner();
    lead.transaction(() => lead.cases.insert(newCase('x'), null));
    const out = tempDir();
    await expect(
      createPacks(asStore(lead), { reviewers: ['../ann'], outDir: out, createdBy: 'l', signer }),
    ).rejects.toThrow(/cannot be a file name/);
    await expect(
      createPacks(asStore(lead), { reviewers: ['ann', 'ANN'], outDir: out, createdBy: 'l', signer }),
    ).rejects.toThrow(/named once/);
    await expect(
      createPacks(asStore(lead), { reviewers: ['ann'], overlap: 0.2, outDir: out, createdBy: 'l', signer }),
    ).rejects.toThrow(/needs at least two reviewers/);
    await expect(
      createPacks(asStore(lead), { reviewers: ['ann', 'bob'], overlap: 1.5, outDir: out, createdBy: 'l', signer }),
    ).rejects.toThrow(/between 0 and 1/);
    await expect(
      createPacks(asStore(lead), {
        reviewers: ['ann'],
        filter: { status: 'reviewed' },
        outDir: out,
        createdBy: 'l',
        signer,
      }),
    ).rejects.toThrow(/No case matches/);
    expect(lead.packs.list()).toEqual([]);
    await createPacks(asStore(lead), { reviewers: ['ann'], outDir: out, createdBy: 'l', signer });
    await expect(
      createPacks(asStore(lead), { reviewers: ['ann'], outDir: out, createdBy: 'l', signer }),
    ).rejects.toThrow(/exists already/);
    expect(lead.packs.list()).toHaveLength(1);
    lead.close();
  });

  it('refuses an undo of a decision the file does not hold, importing nothing', async () => {
    const { lead: leadSide, reviewers } = await teamWorkspaces(['ann']);
    const { store: lead } = leadSide;
    const { store: reviewer, signer: annKey } = reviewers.ann;
    lead.transaction(() => lead.cases.insert(newCase('x'), null));
    const out = tempDir();
    const { packs } = await createPacks(asStore(lead), {
      reviewers: ['ann'],
      outDir: out,
      createdBy: 'lea',
      signer: leadSide.signer,
    });
    const file = path.join(out, 'decisions.json');
    await expect(exportDecisions(asStore(reviewer), { pack: packs[0].file, out: file }, annKey)).rejects.toThrow(
      /has not been imported here/,
    );
    await expect(exportDecisions(asStore(lead), { pack: packs[0].packId, out: file }, leadSide.signer)).rejects.toThrow(
      /issued by this workstation/,
    );
    await importPack(asStore(reviewer), packs[0].file, 'ann');
    reviewer.reviews.submit({ caseId: 'x', risk: 1, category: 'Extremism', reviewer: 'ann' });
    await exportDecisions(asStore(reviewer), { pack: packs[0].packId, out: file }, annKey);
    const {
      checksum: _checksum,
      signature: _signature,
      ...body
    } = JSON.parse(readFileSync(file, 'utf8')) as DecisionsFile;
    const orphanUndo = {
      ...body.decisions[0],
      originId: 99,
      kind: 'undo' as const,
      risk: null,
      category: null,
      undoesOriginId: 98,
    };
    writeFileSync(
      file,
      JSON.stringify(signedDecisions({ ...body, decisions: [...body.decisions, orphanUndo] }, annKey)),
    );
    await expect(importDecisions(asStore(lead), file, 'lea')).rejects.toThrow(
      /takes back decision 98, which the file does not contain/,
    );
    expect(lead.db.prepare('SELECT count(*) FROM reviews').pluck().get()).toBe(0);
    expect(lead.caseDetail('x').currentReview).toBeNull();
    lead.close();
    reviewer.close();
  });
});

describe('team CLI usage errors exit 2 with one readable line', () => {
  const run = async (...args: string[]) => {
    let stderr = '';
    const { main } = await import('@main/cli/main');
    const code = await main([...args, '--data-dir', tempDir()], {
      stdout: () => undefined,
      stderr: (t) => void (stderr += t),
      interactive: false,
    });
    return { code, stderr };
  };

  it.each([
    [['pack', 'frob'], /expected "pack create" or "pack import" \(got "frob"\)/],
    [['pack', 'create', '--reviewers', 'a,b', '--out', 'x', '--filter', 'bogus=1'], /unknown --filter key "bogus"/],
    [['pack', 'create', '--reviewers', 'a,b', '--overlap', 'ten', '--out', 'x'], /--overlap must be a share/],
    [['pack', 'create', '--reviewers', 'a,b'], /--out DIR is required/],
    [['decisions', 'export', '--out', 'x'], /--pack FILE\|ID is required/],
    [['adjudicate', 'c1', '--risk', '2', '--reviewer', 'l'], /--risk must be 0, 0.5 or 1/],
    [['adjudicate', 'c1', '--risk', '1'], /--reviewer NAME is required/],
  ])('guardtrace %j', async (args, message) => {
    const { code, stderr } = await run(...args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});
