// Item 7 of issue 19: what the app writes is this user's only (files 0600, folders 0700), including a data folder
// that already existed with wider modes, which is narrowed and reported.
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { exportCases } from '@main/io/export';
import { createPacks } from '@main/io/packs/create-packs';
import { exportDecisions } from '@main/io/packs/decisions-file';
import { importPack } from '@main/io/packs/import-pack';
import { openStore } from '@main/store/open-store';
import { fileKeyStorage, loadIdentity } from '@main/io/identity/workspace-identity';
import { asStore, newCase } from '../helpers/store-fixtures';
import { teamWorkspaces } from '../helpers/team-keys';
import { tempDir } from '../helpers/temp-dir';

const modeOf = (file: string) => statSync(file).mode & 0o777;

describe.skipIf(process.platform === 'win32')('file and folder modes (POSIX only: Windows ignores them)', () => {
  it('narrows an existing data folder left 0755 to 0700 and says so', async () => {
    const dataDir = path.join(tempDir(), 'data');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const store = await openStore({ kind: 'folder', dataDir });
      await store.close();
      expect(modeOf(dataDir)).toBe(0o700);
      expect(warn).toHaveBeenCalledWith(
        expect.stringMatching(/data folder: .* was open to other users \(mode 0755\); it is now 0700/),
      );
      warn.mockClear();
      await (await openStore({ kind: 'folder', dataDir })).close();
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('writes exports, packs, decisions files and backups 0600, in folders it creates 0700', async () => {
    const { lead: leadSide, reviewers } = await teamWorkspaces(['ann']);
    const lead = leadSide.store;
    lead.transaction(() => lead.cases.insert(newCase('x'), null));
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const out = path.join(dir, 'cases.jsonl');
    await exportCases(asStore(lead), { format: 'jsonl', out });
    expect(modeOf(out)).toBe(0o600);
    const packDir = path.join(dir, 'packs');
    const { packs } = await createPacks(asStore(lead), {
      reviewers: ['ann'],
      outDir: packDir,
      createdBy: 'lea',
      signer: leadSide.signer,
    });
    expect(modeOf(packDir)).toBe(0o700);
    expect(modeOf(packs[0].file)).toBe(0o600);
    const backup = path.join(dir, 'backup.sqlite');
    await asStore(lead).backups.backup(backup);
    expect(modeOf(backup)).toBe(0o600);
    const reviewer = reviewers.ann.store;
    await importPack(asStore(reviewer), packs[0].file, 'ann');
    await asStore(reviewer).decisions.submit({ caseId: 'x', risk: 0, category: null, reviewer: 'ann' });
    const decisions = path.join(dir, 'decisions.json');
    await exportDecisions(asStore(reviewer), { pack: packs[0].packId, out: decisions }, reviewers.ann.signer);
    expect(modeOf(decisions)).toBe(0o600);
    lead.close();
    reviewer.close();
  });

  it('keeps the workspace private key in a 0600 file, in a 0700 folder, made once even when two processes race', async () => {
    const dataDir = tempDir();
    const storage = fileKeyStorage(dataDir);
    const [one, two] = await Promise.all([loadIdentity(storage), loadIdentity(fileKeyStorage(dataDir))]);
    const again = await loadIdentity(storage);
    expect(again.publicKey).toBe(one.publicKey);
    expect([one.publicKey, two.publicKey]).toContain(again.publicKey);
    expect(modeOf(storage.where)).toBe(0o600);
    expect(modeOf(path.dirname(storage.where))).toBe(0o700);
    chmodSync(storage.where, 0o644);
    expect((await loadIdentity(storage)).publicKey).toBe(one.publicKey);
    expect(modeOf(storage.where)).toBe(0o600);
  });
});
