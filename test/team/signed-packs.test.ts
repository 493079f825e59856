// Item 1 of issue 19: packs and decisions files carry the signer's identity. A pack is accepted only when signed by
// a key the reviewer enrolled, a decisions file only when signed by the key of the reviewer the pack was made for,
// and the reviewer stored is the key's enrolled name, never the file's `reviewer` string. Each refusal stores nothing.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DecisionsFile } from '@domain/team';
import { createPacks } from '@main/io/packs/create-packs';
import { exportDecisions, importDecisions } from '@main/io/packs/decisions-file';
import { importPack } from '@main/io/packs/import-pack';
import { streamArchive, writeArchive, type ArchiveEntry } from '@main/io/packs/archive';
import { asStore, auditResult, newCase, type openTempStore } from '../helpers/store-fixtures';
import { enrol, newSigner, signedDecisions, teamWorkspaces } from '../helpers/team-keys';
import { tempDir } from '../helpers/temp-dir';

type Sqlite = ReturnType<typeof openTempStore>;
const count = (store: Sqlite, table: string) => store.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();

/** The entries of a pack as written, in order, to rebuild it changed. */
async function entriesOf(file: string): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  const limits = {
    maxEntries: 100,
    maxEntryBytes: () => 1 << 30,
    maxTotalBytes: 1 << 30,
    maxRatio: 1e9,
    ratioFloorBytes: 1 << 30,
    allowedName: () => true,
  };
  await streamArchive(file, limits, async (name, chunks) => {
    const parts: Buffer[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    entries.push({ name, data: Buffer.concat(parts), compress: true });
  });
  return entries;
}

/** The lead (two cases, audited) with `ann` and `bob`, each enrolled at the lead; the lead enrolled at both. */
async function team() {
  const { lead, reviewers } = await teamWorkspaces(['ann', 'bob']);
  lead.store.transaction(() => {
    for (const id of ['x', 'y']) {
      lead.store.cases.insert(newCase(id), null);
      lead.store.audits.insert(id, auditResult(1));
    }
  });
  const out = tempDir();
  const { packs } = await createPacks(asStore(lead.store), {
    reviewers: ['ann'],
    outDir: out,
    createdBy: 'lea',
    signer: lead.signer,
  });
  return { lead, ...reviewers, out, pack: packs[0] };
}

/** Ann imports her pack, decides case x, exports: the genuine decisions file. */
async function annDecides(t: Awaited<ReturnType<typeof team>>): Promise<string> {
  await importPack(asStore(t.ann.store), t.pack.file, 'ann');
  await asStore(t.ann.store).decisions.submit({ caseId: 'x', risk: 1, category: 'Extremism', reviewer: 'ann' });
  const file = path.join(t.out, 'ann-decisions.json');
  await exportDecisions(asStore(t.ann.store), { pack: t.pack.packId, out: file }, t.ann.signer);
  return file;
}

describe('signed packs and decisions files', () => {
  it('round trip lead → reviewer → lead with enrolled keys: accepted, and named by the enrolled keys', async () => {
    const t = await team();
    const imported = await importPack(asStore(t.ann.store), t.pack.file, 'ann');
    expect(imported).toMatchObject({ newCases: 2, signedBy: { name: 'lea', fingerprint: t.lead.signer.fingerprint } });
    expect(t.lead.signer.fingerprint).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){3}$/);
    await asStore(t.ann.store).decisions.submit({ caseId: 'x', risk: 1, category: 'Extremism', reviewer: 'ann' });
    const file = path.join(t.out, 'ann-decisions.json');
    await exportDecisions(asStore(t.ann.store), { pack: t.pack.packId, out: file }, t.ann.signer);
    const written = JSON.parse(readFileSync(file, 'utf8')) as DecisionsFile;
    expect(written.signature).toMatchObject({ algorithm: 'ed25519', publicKey: t.ann.signer.publicKey });
    expect(await importDecisions(asStore(t.lead.store), file, 'lea')).toMatchObject({
      imported: 1,
      reviewer: 'ann',
      signerFingerprint: t.ann.signer.fingerprint,
    });
    expect((await asStore(t.lead.store).cases.get('x')).currentReview).toMatchObject({ risk: 1, reviewer: 'ann' });
  });

  it('the stored reviewer is the enrolled name of the signing key, not the string in the file', async () => {
    const t = await team();
    const genuine = await annDecides(t);
    const { checksum: _c, signature: _s, ...body } = JSON.parse(readFileSync(genuine, 'utf8')) as DecisionsFile;
    const renamed = path.join(t.out, 'renamed.json');
    writeFileSync(renamed, JSON.stringify(signedDecisions({ ...body, reviewer: 'zed' }, t.ann.signer)));
    expect(await importDecisions(asStore(t.lead.store), renamed, 'lea')).toMatchObject({ reviewer: 'ann' });
    expect(t.lead.store.db.prepare('SELECT DISTINCT reviewer FROM reviews').pluck().all()).toEqual(['ann']);
  });

  it("a forged reviewer: bob decides ann's pack and signs a file that names ann; refused, nothing stored", async () => {
    const t = await team();
    await importPack(asStore(t.bob.store), t.pack.file, 'bob');
    await asStore(t.bob.store).decisions.submit({ caseId: 'x', risk: 0, category: null, reviewer: 'bob' });
    const forged = path.join(t.out, 'forged.json');
    await exportDecisions(asStore(t.bob.store), { pack: t.pack.packId, out: forged }, t.bob.signer);
    expect((JSON.parse(readFileSync(forged, 'utf8')) as DecisionsFile).reviewer).toBe('ann');
    await expect(importDecisions(asStore(t.lead.store), forged, 'lea')).rejects.toThrow(
      /forged\.json is signed by the key enrolled as "bob" \([0-9a-f ]{19}\), but pack .* was made for "ann"; only ann's key may return its decisions\. Nothing was stored\./,
    );
    expect(count(t.lead.store, 'reviews')).toBe(0);
  });

  it('an unsigned pack and an unsigned decisions file are refused whole', async () => {
    const t = await team();
    const unsignedPack = path.join(t.out, 'unsigned.gtpack');
    await writeArchive(
      unsignedPack,
      (await entriesOf(t.pack.file)).filter((e) => e.name !== 'signature.json'),
    );
    await expect(importPack(asStore(t.ann.store), unsignedPack, 'ann')).rejects.toThrow(
      /unsigned\.gtpack is not signed \(no signature\.json after its manifest\)/,
    );
    expect(count(t.ann.store, 'cases')).toBe(0);
    expect(count(t.ann.store, 'packs')).toBe(0);

    const genuine = await annDecides(t);
    const { signature: _s, ...unsigned } = JSON.parse(readFileSync(genuine, 'utf8')) as DecisionsFile;
    const unsignedFile = path.join(t.out, 'unsigned.json');
    writeFileSync(unsignedFile, JSON.stringify(unsigned));
    await expect(importDecisions(asStore(t.lead.store), unsignedFile, 'lea')).rejects.toThrow(
      /unsigned\.json is not signed, so who made its decisions cannot be told; the file was refused/,
    );
    expect(count(t.lead.store, 'reviews')).toBe(0);
  });

  it('a pack with one byte changed after signing is refused, whether or not its hashes were updated', async () => {
    const t = await team();
    const entries = await entriesOf(t.pack.file);
    // One byte of the manifest (its createdBy "lea" → "leb"): the signed digest no longer matches.
    const tampered = path.join(t.out, 'tampered.gtpack');
    await writeArchive(
      tampered,
      entries.map((e) =>
        e.name === 'manifest.json' ? { ...e, data: Buffer.from(e.data.toString().replace('"lea"', '"leb"')) } : e,
      ),
    );
    await expect(importPack(asStore(t.ann.store), tampered, 'ann')).rejects.toThrow(
      /tampered\.gtpack: the signature does not match the manifest .* changed after it was signed/,
    );
    // One byte of a case, its sha256 left as signed: the entry no longer matches the signed manifest.
    const caseByte = path.join(t.out, 'case-byte.gtpack');
    await writeArchive(
      caseByte,
      entries.map((e) =>
        e.name === 'cases.jsonl' ? { ...e, data: Buffer.from(e.data.toString().replace('"x"', '"z"')) } : e,
      ),
    );
    await expect(importPack(asStore(t.ann.store), caseByte, 'ann')).rejects.toThrow(
      /entry "cases\.jsonl" does not match the sha256 in the manifest/,
    );
    expect(count(t.ann.store, 'cases')).toBe(0);
  });

  it('a decisions file with one byte changed after signing is refused, also with its checksum recomputed', async () => {
    const t = await team();
    const genuine = await annDecides(t);
    const text = readFileSync(genuine, 'utf8');
    const changed = path.join(t.out, 'changed.json');
    writeFileSync(changed, text.replace('"risk": 1', '"risk": 0'));
    await expect(importDecisions(asStore(t.lead.store), changed, 'lea')).rejects.toThrow(
      /changed after it was exported/,
    );
    // The attacker recomputes the checksum but cannot sign: ann's signature no longer matches.
    const { checksum: _c, signature, ...body } = JSON.parse(text) as DecisionsFile;
    const recomputed = signedDecisions({ ...body, decisions: [{ ...body.decisions[0], risk: 0 }] }, newSigner());
    const resigned = path.join(t.out, 'resigned.json');
    writeFileSync(resigned, JSON.stringify({ ...recomputed, signature }));
    await expect(importDecisions(asStore(t.lead.store), resigned, 'lea')).rejects.toThrow(
      /resigned\.json: the signature does not match the file's content/,
    );
    expect(count(t.lead.store, 'reviews')).toBe(0);
  });

  it('a pack or decisions file signed by a key nobody enrolled is refused, naming its fingerprint', async () => {
    const t = await team();
    const stranger = newSigner();
    const out = tempDir();
    const { packs } = await createPacks(asStore(t.lead.store), {
      reviewers: ['ann'],
      outDir: out,
      createdBy: 'lea',
      signer: stranger,
    });
    const fingerprint = stranger.fingerprint;
    await expect(importPack(asStore(t.ann.store), packs[0].file, 'ann')).rejects.toThrow(
      `ann.gtpack is signed by a key this workspace does not trust (fingerprint ${fingerprint}); the pack was refused.`,
    );
    expect(count(t.ann.store, 'cases')).toBe(0);

    const genuine = await annDecides(t);
    const { checksum: _c, signature: _s, ...body } = JSON.parse(readFileSync(genuine, 'utf8')) as DecisionsFile;
    const foreign = path.join(t.out, 'foreign.json');
    writeFileSync(foreign, JSON.stringify(signedDecisions(body, stranger)));
    await expect(importDecisions(asStore(t.lead.store), foreign, 'lea')).rejects.toThrow(
      `foreign.json is signed by a key this workspace does not trust (fingerprint ${fingerprint}); the decisions file was refused.`,
    );
    expect(count(t.lead.store, 'reviews')).toBe(0);
    // Once enrolled (under ann's name it is refused: ann has a key), it is known, but not ann's.
    await expect(enrol(t.lead.store, 'ann', stranger)).rejects.toThrow(/"ann" is enrolled already with another key/);
    await enrol(t.lead.store, 'cy', stranger);
    await expect(importDecisions(asStore(t.lead.store), foreign, 'lea')).rejects.toThrow(
      /signed by the key enrolled as "cy" .* was made for "ann"/,
    );
  });
});
