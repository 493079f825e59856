// Item 2 of issue 19: conflicts are never silent. A decision whose (pack, origin id) is already stored with other
// content is reported and stored nowhere (it used to be skipped as "already present"), and the same pack decided on
// two reviewer workstations is detected and explained (their origin ids collide).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DecisionsFile } from '@domain/team';
import { createPacks } from '@main/io/packs/create-packs';
import { exportDecisions, importDecisions } from '@main/io/packs/decisions-file';
import { importPack } from '@main/io/packs/import-pack';
import { asStore, newCase, openTempStore } from '../helpers/store-fixtures';
import { enrol, signedDecisions, teamWorkspaces } from '../helpers/team-keys';
import { tempDir } from '../helpers/temp-dir';

const reviewCount = (store: ReturnType<typeof openTempStore>) =>
  store.db.prepare('SELECT count(*) FROM reviews').pluck().get() as number;

describe('decisions that conflict with what the lead already stored', () => {
  it('a changed decision under a stored origin id, and one pack decided on two workstations, are refused and explained', async () => {
    const { lead: leadSide, reviewers } = await teamWorkspaces(['ann']);
    const lead = leadSide.store;
    const { store: first, signer: annKey } = reviewers.ann;
    lead.transaction(() => lead.cases.insert(newCase('x'), null));
    const out = tempDir();
    const { packs } = await createPacks(asStore(lead), {
      reviewers: ['ann'],
      outDir: out,
      createdBy: 'lea',
      signer: leadSide.signer,
    });

    await importPack(asStore(first), packs[0].file, 'ann');
    await asStore(first).decisions.submit({ caseId: 'x', risk: 1, category: 'Extremism', reviewer: 'ann' });
    const genuine = path.join(out, 'ann-decisions.json');
    await exportDecisions(asStore(first), { pack: packs[0].packId, out: genuine }, annKey);
    expect(await importDecisions(asStore(lead), genuine, 'lea')).toMatchObject({ imported: 1, alreadyPresent: 0 });
    expect(await importDecisions(asStore(lead), genuine, 'lea')).toMatchObject({ imported: 0, alreadyPresent: 1 });

    // The same origin id with another verdict (an edited file, re-signed with ann's key): reported, not skipped.
    const {
      checksum: _checksum,
      signature: _signature,
      ...body
    } = JSON.parse(readFileSync(genuine, 'utf8')) as DecisionsFile;
    const forged = path.join(out, 'forged.json');
    writeFileSync(
      forged,
      JSON.stringify(
        signedDecisions({ ...body, decisions: [{ ...body.decisions[0], risk: 0, category: null }] }, annKey),
      ),
    );
    await expect(importDecisions(asStore(lead), forged, 'lea')).rejects.toThrow(
      /1 decision\(s\) differ from the ones already imported under the same origin id.*Nothing was stored\. Decision \d+ \(case "x"\): risk: 1 stored, 0 in the file; category: "Extremism" stored, null in the file\./,
    );
    expect(reviewCount(lead)).toBe(1);
    expect((await asStore(lead).cases.get('x')).currentReview).toMatchObject({ risk: 1 });

    // The same pack imported and decided on a second workstation: its origin ids restart there.
    const second = openTempStore();
    await enrol(second, 'lea', leadSide.signer);
    await importPack(asStore(second), packs[0].file, 'ann');
    await asStore(second).decisions.submit({ caseId: 'x', risk: 0, category: null, reviewer: 'ann' });
    const other = path.join(out, 'ann-decisions-laptop.json');
    await exportDecisions(asStore(second), { pack: packs[0].packId, out: other }, annKey);
    await expect(importDecisions(asStore(lead), other, 'lea')).rejects.toThrow(
      /comes from reviewer workstation [0-9a-f]{32}, but pack .*'s decisions came from workstation [0-9a-f]{32} until now .*imported and decided on two workstations\. Nothing was stored\./,
    );
    expect(reviewCount(lead)).toBe(1);
    for (const store of [lead, first, second]) store.close();
  });
});
