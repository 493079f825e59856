// Builds .gtpack files the way an attacker would: any entries, names, kinds and sizes, with a manifest whose
// sha256 values are updated to match and a valid signature by HOSTILE_LEAD (a key the test's workspace enrolled:
// a lead turned hostile, or whose key was stolen), so that each test reaches the defence it is about rather than
// failing on a checksum or the signature first.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { PACK_FORMAT } from '@domain/team';
import { signDigest } from '@main/io/identity/signing';
import { caseDigest } from '@main/store/contract';
import { CaseStore } from '@main/store/sqlite';
import { newCase } from './store-fixtures';
import { enrol, newSigner } from './team-keys';

/** The key every hostile pack is signed with. */
export const HOSTILE_LEAD = newSigner();

/** Enrols HOSTILE_LEAD in a store, or in the data folder `dir`, as "lea". */
export async function trustHostileLead(store: CaseStore | string): Promise<void> {
  if (typeof store !== 'string') return enrol(store, 'lea', HOSTILE_LEAD);
  const opened = CaseStore.open(store);
  try {
    await enrol(opened, 'lea', HOSTILE_LEAD);
  } finally {
    opened.close();
  }
}

export interface HostileEntry {
  name: string;
  /** Bytes, or a function giving the same chunks each time it is called (hashed first, then written). */
  data: Buffer | (() => Iterable<Buffer>);
  compress?: boolean;
  /** Unix mode for the entry (e.g. 0o120777, a symbolic link). */
  mode?: number;
  /** Leave the entry out of the manifest's hashes. */
  unlisted?: boolean;
}

/** A case as cases.jsonl carries it: the fixture case's fields, without the ones a pack leaves out. */
export function packCase(id: string) {
  const { query, thinking, response, imageSha256, imageRef, imageMissing, meta } = newCase(id);
  return { id, query, thinking, response, imageSha256, imageRef, imageMissing, meta };
}

export function manifestFor(caseIds: string[], entries: Record<string, string>) {
  return {
    format: PACK_FORMAT,
    version: 1,
    packId: randomUUID(),
    sourceStoreId: createHash('sha256').update('some other lead').digest('hex').slice(0, 32),
    reviewer: 'ann',
    createdAt: new Date().toISOString(),
    createdBy: 'lea',
    showModelVerdict: false,
    caseIds,
    caseDigests: Object.fromEntries(
      caseIds.map((id) => {
        const c = packCase(id);
        return [id, caseDigest({ ...c, imageSha256: null })];
      }),
    ),
    entries,
  };
}

function sha256Of(data: HostileEntry['data']): string {
  const hash = createHash('sha256');
  if (Buffer.isBuffer(data)) hash.update(data);
  else for (const chunk of data()) hash.update(chunk);
  return hash.digest('hex');
}

/** Writes `file` with manifest.json first (listing `caseIds` and the sha256 of every listed entry), its signature.json, then `entries`. */
export async function writeHostilePack(file: string, caseIds: string[], entries: HostileEntry[]): Promise<void> {
  const hashes: Record<string, string> = {};
  for (const entry of entries) if (!entry.unlisted) hashes[entry.name] = sha256Of(entry.data);
  const zip = new yazl.ZipFile();
  const manifest = Buffer.from(JSON.stringify(manifestFor(caseIds, hashes)));
  zip.addBuffer(manifest, 'manifest.json');
  const digest = createHash('sha256').update(manifest).digest('hex');
  zip.addBuffer(Buffer.from(JSON.stringify(signDigest(HOSTILE_LEAD, 'pack', digest))), 'signature.json');
  for (const entry of entries) {
    const options = { compress: entry.compress ?? true, ...(entry.mode ? { mode: entry.mode } : {}) };
    if (Buffer.isBuffer(entry.data)) zip.addBuffer(entry.data, entry.name, options);
    else zip.addReadStream(Readable.from(entry.data()), entry.name, options);
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
}

/** `count` chunks of `chunk`, for entries too large to build in memory. */
export function repeated(chunk: Buffer, count: number): () => Iterable<Buffer> {
  return function* () {
    for (let i = 0; i < count; i++) yield chunk;
  };
}

export const caseLines = (ids: string[]) =>
  Buffer.from(ids.map((id) => JSON.stringify(packCase(id))).join('\n') + '\n');
