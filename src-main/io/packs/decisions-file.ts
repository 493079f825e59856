import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  DECISIONS_FORMAT,
  TEAM_FORMAT_VERSION,
  type DecisionsExportSummary,
  type DecisionsFileBody,
  type DecisionsImportSummary,
} from '@domain/team';
import type { CaseStore } from '../../store';
import { AtomicFile } from '../export/atomic-file';
import { IoError } from '../io-error';
import { withChecksum } from './pack-format';
import { readDecisionsFileOffThread, readPackOffThread } from './team-file-reader';

/** `--pack FILE|ID`: a pack file (its manifest names the id) or the id itself. */
async function resolvePackId(store: CaseStore, pack: string): Promise<string> {
  if (existsSync(pack) && statSync(pack).isFile()) return (await readPackOffThread(pack)).manifest.packId;
  if (store.packs.get(pack)) return pack;
  throw new IoError(
    'usage',
    `No pack "${pack}" here: give the .gtpack file or the id of a pack imported on this workstation.`,
  );
}

/**
 * Reviewer side: writes every decision, undo and note made here on the pack's cases since it was imported, with
 * reviewer, time and case identity, plus a checksum of the whole content. Cumulative: a later export holds the
 * earlier entries too, and the lead's import skips what it already has.
 */
export async function exportDecisions(
  store: CaseStore,
  request: { pack: string; out: string },
): Promise<DecisionsExportSummary> {
  if (!request.out) throw new IoError('usage', 'No output file given (--out FILE).');
  const packId = await resolvePackId(store, request.pack);
  const pack = store.packs.get(packId);
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
    reviewerStoreId: store.packs.storeId(),
    reviewer: pack.reviewer,
    exportedAt: new Date().toISOString(),
    decisions: store.packs.decisionsSince(packId),
  };
  const file = withChecksum(body);
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
 * Lead side: checks a decisions file whole (format and checksum on a bounded thread, then store, pack, reviewer,
 * every case against the pack's manifest) and then stores all its new entries in one transaction, or none of them.
 */
export async function importDecisions(store: CaseStore, file: string, actor: string): Promise<DecisionsImportSummary> {
  const label = path.basename(file);
  const { checksum, ...body } = await readDecisionsFileOffThread(file);
  const storeId = store.packs.storeId();
  if (body.sourceStoreId !== storeId)
    throw new IoError(
      'invalid_file',
      `${label} is for pack ${body.packId} of another store (${body.sourceStoreId}); this workstation is ${storeId}. Import it on the workstation that created the pack.`,
    );
  const pack = store.packs.get(body.packId);
  if (!pack || pack.role !== 'issued')
    throw new IoError('invalid_file', `${label} is for pack ${body.packId}, which this workstation did not issue.`);
  if (pack.reviewer !== body.reviewer)
    throw new IoError(
      'invalid_file',
      `${label} names reviewer "${body.reviewer}", but pack ${body.packId} was sent to "${pack.reviewer}"; it does not match its pack.`,
    );
  return store.packs.importDecisions(body, checksum, path.resolve(file), actor);
}
