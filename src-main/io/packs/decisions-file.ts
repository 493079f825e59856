import { existsSync, readFileSync, statSync } from 'node:fs';
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
import { readPack } from './import-pack';
import { decisionsChecksum, decisionsFileSchema, firstIssue, withChecksum } from './pack-format';

/** Decisions files above this size are refused unread (a pack of 100k cases with long notes stays far below). */
const MAX_DECISIONS_FILE_BYTES = 256 * 1024 * 1024;

/** `--pack FILE|ID`: a pack file (its manifest names the id) or the id itself. */
async function resolvePackId(store: Store, pack: string): Promise<string> {
  if (existsSync(pack) && statSync(pack).isFile()) return (await readPack(pack)).manifest.packId;
  if (await store.packs.get(pack)) return pack;
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
  store: Store,
  request: { pack: string; out: string },
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
 * Lead side: checks a decisions file whole (format, checksum, store, pack, reviewer, every case against the
 * pack's manifest) and then stores all its new entries in one transaction, or none of them.
 */
export async function importDecisions(store: Store, file: string, actor?: string): Promise<DecisionsImportSummary> {
  const label = path.basename(file);
  if (!existsSync(file) || !statSync(file).isFile())
    throw new IoError('usage', `${file} does not exist or is not a file; give the decisions file a reviewer exported.`);
  if (statSync(file).size > MAX_DECISIONS_FILE_BYTES)
    throw new IoError(
      'invalid_file',
      `${label} is larger than ${MAX_DECISIONS_FILE_BYTES} bytes; it is not a decisions file.`,
    );
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new IoError(
      'invalid_file',
      `${label} is not valid JSON (${(error as Error).message}); it is not a decisions file or it was cut short.`,
    );
  }
  const parsed = decisionsFileSchema.safeParse(json);
  if (!parsed.success)
    throw new IoError(
      'invalid_file',
      `${label} is not a valid GuardTrace decisions file (${firstIssue(parsed.error)}).`,
    );
  const { checksum, ...body } = parsed.data;
  if (decisionsChecksum(body) !== checksum)
    throw new IoError(
      'invalid_file',
      `${label} was changed after it was exported: its checksum does not match its content. Ask the reviewer to export it again.`,
    );
  const storeId = await store.packs.storeId();
  if (body.sourceStoreId !== storeId)
    throw new IoError(
      'invalid_file',
      `${label} is for pack ${body.packId} of another store (${body.sourceStoreId}); this workstation is ${storeId}. Import it on the workstation that created the pack.`,
    );
  const pack = await store.packs.get(body.packId);
  if (!pack || pack.role !== 'issued')
    throw new IoError('invalid_file', `${label} is for pack ${body.packId}, which this workstation did not issue.`);
  if (pack.reviewer !== body.reviewer)
    throw new IoError(
      'invalid_file',
      `${label} names reviewer "${body.reviewer}", but pack ${body.packId} was sent to "${pack.reviewer}"; it does not match its pack.`,
    );
  return store.packs.importDecisions(body, checksum, path.resolve(file), actor);
}
