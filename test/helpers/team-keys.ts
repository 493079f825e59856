// Workspace keys for team-review tests: since issue 19 every pack is signed by the lead's key and every decisions
// file by the reviewer's, and each side accepts only keys it enrolled. These fixtures make the keys and the
// enrolments the way `guardtrace team trust` does, through the store contract.
import { generateKeyPairSync } from 'node:crypto';
import type { DecisionsFile, DecisionsFileBody } from '@domain/team';
import type { Core } from '@main/api/core';
import { signDigest, signerOf, type Signer } from '@main/io/identity/signing';
import { withChecksum } from '@main/io/packs/pack-format';
import type { CaseStore } from '@main/store/sqlite';
import { asStore, openTempStore } from './store-fixtures';

/** A fresh Ed25519 key, as a workspace would make on first use. */
export const newSigner = (): Signer => signerOf(generateKeyPairSync('ed25519').privateKey);

/** Enrols `signer`'s public key in `store` under `name` (what `guardtrace team trust FILE --as NAME` does). */
export async function enrol(store: CaseStore, name: string, signer: Signer): Promise<void> {
  await asStore(store).packs.trustKey({ name, publicKey: signer.publicKey, fingerprint: signer.fingerprint }, 'test');
}

export interface Workspace {
  store: CaseStore;
  signer: Signer;
}

/**
 * A lead (enrolled as "lea" at each reviewer) and one workspace per reviewer (each enrolled at the lead under its
 * name), every one with its own key: two workspaces with one reviewer, the default.
 */
export async function teamWorkspaces<R extends string>(
  reviewers: readonly R[] = ['ann' as R],
): Promise<{ lead: Workspace; reviewers: Record<R, Workspace> }> {
  const lead: Workspace = { store: openTempStore(), signer: newSigner() };
  const team = {} as Record<R, Workspace>;
  for (const name of reviewers) {
    const workspace: Workspace = { store: openTempStore(), signer: newSigner() };
    await enrol(lead.store, name, workspace.signer);
    await enrol(workspace.store, 'lea', lead.signer);
    team[name] = workspace;
  }
  return { lead, reviewers: team };
}

/** A decisions file with its checksum recomputed and signed by `signer` (to build edited or forged files). */
export function signedDecisions(body: DecisionsFileBody, signer: Signer): DecisionsFile {
  const checked = withChecksum(body);
  return { ...checked, signature: signDigest(signer, 'decisions', checked.checksum) };
}

/** Enrols, between cores, the lead's key at each reviewer (as "lea") and each reviewer's at the lead (as its name). */
export async function enrolCores(lead: Core, reviewers: ReadonlyArray<readonly [string, Core]>): Promise<void> {
  const leadKey = await lead.identity();
  for (const [name, core] of reviewers) {
    const key = await core.identity();
    await lead.store.packs.trustKey({ name, publicKey: key.publicKey, fingerprint: key.fingerprint }, 'test');
    await core.store.packs.trustKey(
      { name: 'lea', publicKey: leadKey.publicKey, fingerprint: leadKey.fingerprint },
      'test',
    );
  }
}
