import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  DECISIONS_FORMAT,
  TEAM_FORMAT_VERSION,
  type DecisionsExportSummary,
  type DecisionsFileBody,
  type DecisionsImportSummary,
} from '@domain/team';
import type { Store } from '../../store/contract';
import { AtomicFile } from '../export/atomic-file';
import { IoError } from '../io-error';
import { fingerprintOf, signDigest, type Signer } from '../identity/signing';
import { withChecksum } from './pack-format';
import { unknownSigner } from './read-pack';
import { readDecisionsFileOffThread, readPackOffThread } from './team-file-reader';

/** `--pack FILE|ID`: a pack file (its manifest names the id) or the id itself. */
async function resolvePackId(store: Store, pack: string): Promise<string> {
  if (existsSync(pack) && statSync(pack).isFile()) return (await readPackOffThread(pack)).manifest.packId;
  if (await store.packs.get(pack)) return pack;
  throw new IoError(
    'usage',
    `No pack "${pack}" here: give the .gtpack file or the id of a pack imported on this workstation.`,
  );
}

/**
 * Reviewer side: writes every decision, undo and note made here on the pack's cases since it was imported, with
 * reviewer, time and case identity, plus a checksum of the whole content signed with this workspace's key. Cumulative: a later export holds the
 * earlier entries too, and the lead's import skips what it already has.
 */
export async function exportDecisions(
  store: Store,
  request: { pack: string; out: string },
  /** The reviewer's workspace key: the file is signed with it (the lead enrolled its public key). */
  signer: Signer,
): Promise<DecisionsExportSummary> {
  if (!request.out) throw new IoError('usage', 'No output file given (--out FILE).');
  const packId = await resolvePackId(store, request.pack);
  const pack = await store.packs.get(packId);
  if (!pack)
    throw new IoError(
      'usage',
      `Pack ${packId} (${request.pack}) has not been imported here; run: guardtrace pack import FILE.`,
    );
  if (pack.role !== 'received')
    throw new IoError(
      'usage',
      `Pack ${packId} was issued by this workstation; export decisions on the reviewer's workstation that imported it.`,
    );
  const body: DecisionsFileBody = {
    format: DECISIONS_FORMAT,
    version: TEAM_FORMAT_VERSION,
    packId,
    sourceStoreId: pack.sourceStoreId,
    reviewerStoreId: await store.packs.storeId(),
    reviewer: pack.reviewer,
    exportedAt: new Date().toISOString(),
    decisions: await store.packs.decisionsSince(packId),
  };
  const checked = withChecksum(body);
  const file = { ...checked, signature: signDigest(signer, 'decisions', checked.checksum) };
  const out = path.resolve(request.out);
  const writer = new AtomicFile(out);
  try {
    writer.write(JSON.stringify(file, null, 2) + '\n');
    writer.commit();
  } catch (error) {
    writer.abort();
    throw error;
  }
  return {
    packId,
    out,
    decisions: body.decisions.filter((d) => d.kind === 'decision').length,
    undos: body.decisions.filter((d) => d.kind === 'undo').length,
    checksum: file.checksum,
  };
}

/**
 * Lead side: checks a decisions file whole (format, checksum and signature on a bounded thread, then that the signing
 * key is enrolled here and is the key of the reviewer the pack was made for, then store, pack,
 * every case against the pack's manifest) and then stores all its new entries in one transaction, or none of them.
 */
export async function importDecisions(store: Store, file: string, actor?: string): Promise<DecisionsImportSummary> {
  const label = path.basename(file);
  const { checksum, signature, ...signedBody } = await readDecisionsFileOffThread(file);
  // The reader verified the signature; here: whose key it is. The file's own `reviewer` string is never used.
  const fingerprint = fingerprintOf(signature!.publicKey);
  const signedBy = (await store.packs.trustedKeys()).find((key) => key.publicKey === signature!.publicKey);
  if (!signedBy) throw unknownSigner(label, fingerprint, 'decisions file');
  const body = { ...signedBody, reviewer: signedBy.name };
  const storeId = await store.packs.storeId();
  if (body.sourceStoreId !== storeId)
    throw new IoError(
      'invalid_file',
      `${label} is for pack ${body.packId} of another store (${body.sourceStoreId}); this workstation is ${storeId}. Import it on the workstation that created the pack.`,
    );
  const pack = await store.packs.get(body.packId);
  if (!pack || pack.role !== 'issued')
    throw new IoError('invalid_file', `${label} is for pack ${body.packId}, which this workstation did not issue.`);
  if (pack.reviewer !== signedBy.name)
    throw new IoError(
      'invalid_file',
      `${label} is signed by the key enrolled as "${signedBy.name}" (${fingerprint}), but pack ${body.packId} was made for "${pack.reviewer}"; ` +
        `only ${pack.reviewer}'s key may return its decisions. Nothing was stored.`,
    );
  // One pack, two workstations: origin ids are each workstation's own review ids, so they would collide.
  const firstStore = await store.packs.reviewerStore(body.packId);
  if (firstStore && firstStore.storeId !== body.reviewerStoreId)
    throw new IoError(
      'invalid_file',
      `${label} comes from reviewer workstation ${body.reviewerStoreId}, but pack ${body.packId}'s decisions came from workstation ${firstStore.storeId} until now (${firstStore.firstFile}, ${firstStore.recordedAt}): the pack was imported and decided on two workstations. Nothing was stored. Ask ${body.reviewer} which workstation holds the decisions to keep; issue a new pack for the other one's work.`,
    );
  // An entry already stored under its (pack, origin id) but with other content is never skipped as "already present".
  const conflicts = await store.packs.decisionConflicts(body);
  if (conflicts.length)
    throw new IoError(
      'invalid_file',
      `${label}: ${conflicts.length} decision(s) differ from the ones already imported under the same origin id, so the file was changed or comes from elsewhere. Nothing was stored. ` +
        conflicts
          .slice(0, 10)
          .map((c) => `Decision ${c.originId} (case "${c.caseId}"): ${c.differences.join('; ')}.`)
          .join(' ') +
        (conflicts.length > 10 ? ` And ${conflicts.length - 10} more.` : ''),
    );
  const summary = await store.packs.importDecisions(body, checksum, path.resolve(file), actor);
  await store.packs.recordReviewerStore(body.packId, body.reviewerStoreId, path.resolve(file));
  return { ...summary, signerFingerprint: fingerprint };
}
