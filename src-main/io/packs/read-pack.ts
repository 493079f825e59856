import path from 'node:path';
import type { PackManifest } from '@domain/team';
import { caseDigest } from '../../store/contract';
import { MAX_IMAGE_FILE_BYTES } from '../import/image-intake';
import { IoError } from '../io-error';
import { boundedLines } from '../safe-read/bounded-lines';
import {
  MAX_MANIFEST_BYTES,
  MAX_PACK_CASES,
  MAX_PACK_LINE_BYTES,
  MAX_ZIP_RATIO,
  ZIP_RATIO_FLOOR_BYTES,
  mib,
} from '../safe-read/limits';
import { fingerprintOf, signatureSchema, verifyDigest } from '../identity/signing';
import { streamArchive, type ReadLimits } from './archive';
import {
  CASES_ENTRY,
  IMAGE_ENTRY_PREFIX,
  MANIFEST_ENTRY,
  SIGNATURE_ENTRY,
  VERDICTS_ENTRY,
  firstIssue,
  imageEntryName,
  isImageEntryName,
  isPackEntryName,
  manifestSchema,
  packCaseSchema,
  packVerdictSchema,
  sha256,
  type PackCaseRecord,
  type PackVerdictRecord,
} from './pack-format';

// Reading and checking a pack, with nothing about the store: the pack reader thread (team-file-worker.ts) runs this
// module, and must not pull in team-file-reader.ts (the main side), so that in the electron-vite bundle that module
// stays in the main entry, where import.meta.url names the folder the worker scripts lie in.

/**
 * A pack is streamed entry by entry and line by line: no entry is held before it is checked, one line of
 * cases.jsonl at a time is parsed (so 300 MB of `{}` lines cost one line, then a refusal), and what is kept (the
 * parsed cases and verdicts, the image bytes) is bounded by these caps and the manifest's case count. A pack may
 * hold at most 1 GiB uncompressed; split bigger assignments into several packs.
 */
const LIMITS: ReadLimits = {
  maxEntries: 2 * MAX_PACK_CASES + 3,
  maxEntryBytes: (name) =>
    name === MANIFEST_ENTRY
      ? MAX_MANIFEST_BYTES
      : name === SIGNATURE_ENTRY
        ? MAX_SIGNATURE_BYTES
        : isImageEntryName(name)
          ? MAX_IMAGE_FILE_BYTES
          : 512 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxRatio: MAX_ZIP_RATIO,
  ratioFloorBytes: ZIP_RATIO_FLOOR_BYTES,
  allowedName: isPackEntryName,
};

/** signature.json holds a short JSON object (algorithm, public key, signature). */
const MAX_SIGNATURE_BYTES = 4096;

export interface VerifiedPack {
  manifest: PackManifest;
  manifestSha256: string;
  /** The key that signed the manifest (verified); whether it is trusted is for the caller, or `trusted` below. */
  signer: { publicKey: string; fingerprint: string };
  cases: PackCaseRecord[];
  verdicts: PackVerdictRecord[];
  images: Map<string, Buffer>;
}

/**
 * Reads a pack and checks all of it before anything is used: the entry names and kinds, the manifest (which must
 * come first, as the app writes it), the sha256 of every entry against the manifest, that the entries are exactly
 * the ones the manifest lists, that every image's bytes hash to its name, and that the cases are the manifest's
 * cases with the manifest's digests. The entry after the manifest must be signature.json, an Ed25519 signature over
 * the manifest's sha256 (which covers every other entry through the manifest's hashes): a pack without one, or
 * whose signature does not verify, is refused before anything else is read, and so is one signed by a key outside
 * `trusted` (raw public keys, base64) when that list is given. Throws an IoError naming the file and the problem.
 * In the app and the CLI it runs on a thread of its own with a bounded heap (readPackOffThread).
 */
export async function readPack(file: string, trusted?: readonly string[]): Promise<VerifiedPack> {
  const label = path.basename(file);
  let manifest: PackManifest | null = null;
  let manifestBytes: Buffer | null = null;
  let signer: VerifiedPack['signer'] | null = null;
  const cases: PackCaseRecord[] = [];
  const verdicts: PackVerdictRecord[] = [];
  const imageBytes = new Map<string, Buffer>();
  const hashes = await streamArchive(file, LIMITS, async (name, chunks) => {
    if (name === MANIFEST_ENTRY) {
      manifestBytes = await gather(chunks);
      manifest = parseManifest(manifestBytes, label);
      return;
    }
    if (!manifest)
      throw new IoError(
        'invalid_file',
        `${label}: "${name}" comes before ${MANIFEST_ENTRY}; the app writes the manifest first, so the pack was refused.`,
      );
    const known: PackManifest = manifest;
    if (!signer) {
      if (name !== SIGNATURE_ENTRY) throw unsigned(label);
      signer = checkSignature(await gather(chunks), sha256(manifestBytes!), label, trusted);
      return;
    }
    if (name === SIGNATURE_ENTRY) throw new IoError('invalid_file', `${label}: ${SIGNATURE_ENTRY} comes twice.`);
    if (name === CASES_ENTRY) {
      for await (const { value, line } of jsonLines(chunks, label, name, known.caseIds.length)) {
        const record = packCaseSchema.safeParse(value);
        if (!record.success)
          throw new IoError('invalid_file', `${label}: ${CASES_ENTRY} line ${line}: ${firstIssue(record.error)}.`);
        cases.push(record.data);
      }
    } else if (name === VERDICTS_ENTRY) {
      for await (const { value, line } of jsonLines(chunks, label, name, known.caseIds.length)) {
        const record = packVerdictSchema.safeParse(value);
        if (!record.success)
          throw new IoError('invalid_file', `${label}: ${VERDICTS_ENTRY} line ${line}: ${firstIssue(record.error)}.`);
        if (!(record.data.caseId in known.caseDigests))
          throw new IoError('invalid_file', `${label}: ${VERDICTS_ENTRY} line ${line} is for a case not in the pack.`);
        verdicts.push(record.data);
      }
    } else imageBytes.set(name, await gather(chunks));
  });
  if (!manifest || !manifestBytes)
    throw new IoError('invalid_file', `${label} has no ${MANIFEST_ENTRY}; it is not a GuardTrace pack.`);
  if (!signer) throw unsigned(label);
  const checked: PackManifest = manifest;
  for (const [name, hash] of hashes) {
    if (name === MANIFEST_ENTRY || name === SIGNATURE_ENTRY) continue;
    const expected = checked.entries[name];
    if (expected === undefined)
      throw new IoError(
        'invalid_file',
        `${label}: entry "${name}" is not listed in the manifest; the pack was refused.`,
      );
    if (hash !== expected)
      throw new IoError(
        'invalid_file',
        `${label}: entry "${name}" does not match the sha256 in the manifest; the pack was changed or damaged after it was written.`,
      );
    if (isImageEntryName(name) && hash !== name.slice(IMAGE_ENTRY_PREFIX.length))
      throw new IoError(
        'invalid_file',
        `${label}: image entry "${name}" holds bytes whose sha256 is ${hash}, not its name; the pack was refused.`,
      );
  }
  for (const name of Object.keys(checked.entries)) {
    if (!hashes.has(name))
      throw new IoError(
        'invalid_file',
        `${label}: entry "${name}" listed in the manifest is missing; the pack is incomplete.`,
      );
  }
  if (!hashes.has(CASES_ENTRY))
    throw new IoError('invalid_file', `${label} has no ${CASES_ENTRY}; it is not a complete GuardTrace pack.`);
  if (cases.length !== checked.caseIds.length || cases.some((c, i) => c.id !== checked.caseIds[i]))
    throw new IoError('invalid_file', `${label}: ${CASES_ENTRY} does not hold exactly the manifest's cases.`);
  const images = new Map<string, Buffer>();
  for (const record of cases) {
    const digest = caseDigest(record);
    if (checked.caseDigests[record.id] !== digest)
      throw new IoError('invalid_file', `${label}: case "${record.id}" does not match its digest in the manifest.`);
    if (record.imageSha256) {
      const bytes = imageBytes.get(imageEntryName(record.imageSha256));
      if (!bytes)
        throw new IoError(
          'invalid_file',
          `${label}: the image of case "${record.id}" (${record.imageSha256}) is not in the pack.`,
        );
      images.set(record.imageSha256, bytes);
    }
  }
  if (!checked.showModelVerdict && verdicts.length)
    throw new IoError('invalid_file', `${label}: a blind pack (model verdict hidden) must not carry verdicts.`);
  return { manifest: checked, manifestSha256: sha256(manifestBytes), signer, cases, verdicts, images };
}

function unsigned(label: string): IoError {
  return new IoError(
    'invalid_file',
    `${label} is not signed (no ${SIGNATURE_ENTRY} after its manifest), so who wrote it cannot be told; the pack was refused. Ask the lead to write it again with this version.`,
  );
}

/** Parses and verifies signature.json against the manifest's sha256; refuses a key outside `trusted` if given. */
function checkSignature(
  bytes: Buffer,
  manifestSha256: string,
  label: string,
  trusted: readonly string[] | undefined,
): VerifiedPack['signer'] {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new IoError('invalid_file', `${label}: ${SIGNATURE_ENTRY} is not valid JSON (${(error as Error).message}).`);
  }
  const parsed = signatureSchema.safeParse(json);
  if (!parsed.success)
    throw new IoError(
      'invalid_file',
      `${label}: ${SIGNATURE_ENTRY} is not a valid signature (${firstIssue(parsed.error)}).`,
    );
  const fingerprint = fingerprintOf(parsed.data.publicKey);
  if (!verifyDigest(parsed.data, 'pack', manifestSha256))
    throw new IoError(
      'invalid_file',
      `${label}: the signature does not match the manifest (key ${fingerprint}): the pack was changed after it was signed, or the signature was made for another pack. The pack was refused.`,
    );
  if (trusted && !trusted.includes(parsed.data.publicKey)) throw unknownSigner(label, fingerprint, 'pack');
  return { publicKey: parsed.data.publicKey, fingerprint };
}

/** The refusal of a file signed by a key nobody enrolled here. */
export function unknownSigner(label: string, fingerprint: string, what: 'pack' | 'decisions file'): IoError {
  return new IoError(
    'invalid_file',
    `${label} is signed by a key this workspace does not trust (fingerprint ${fingerprint}); the ${what} was refused. ` +
      `Check that fingerprint with its sender in person or by phone, then enrol their key file: guardtrace team trust KEYFILE --as NAME.`,
  );
}

function parseManifest(bytes: Buffer, label: string): PackManifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new IoError('invalid_file', `${label}: ${MANIFEST_ENTRY} is not valid JSON (${(error as Error).message}).`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success)
    throw new IoError(
      'invalid_file',
      `${label}: ${MANIFEST_ENTRY} is not a valid pack manifest (${firstIssue(parsed.error)}).`,
    );
  const manifest = parsed.data as PackManifest;
  if (manifest.caseIds.length > MAX_PACK_CASES)
    throw new IoError(
      'invalid_file',
      `${label}: the manifest lists ${manifest.caseIds.length} cases, more than a pack may hold (${MAX_PACK_CASES}).`,
    );
  // The manifest decides what may be read; a name outside the pack's own entries is refused even if unused.
  for (const name of Object.keys(manifest.entries)) {
    if (!isPackEntryName(name) || name === MANIFEST_ENTRY || name === SIGNATURE_ENTRY)
      throw new IoError(
        'invalid_file',
        `${label}: the manifest names "${name}", a path outside the pack's own entries; the pack was refused.`,
      );
  }
  return manifest;
}

async function gather(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

/** The JSON values of a .jsonl entry, one line at a time: a line over the cap, or more lines than cases, refuse. */
async function* jsonLines(
  chunks: AsyncIterable<Buffer>,
  label: string,
  entry: string,
  maxLines: number,
): AsyncGenerator<{ value: unknown; line: number }> {
  let values = 0;
  for await (const read of boundedLines(chunks, MAX_PACK_LINE_BYTES)) {
    if ('oversizeBytes' in read)
      throw new IoError(
        'invalid_file',
        `${label}: ${entry} line ${read.line} is ${mib(read.oversizeBytes)}, more than a line of a pack may be (${mib(MAX_PACK_LINE_BYTES)}); the pack was refused.`,
      );
    if (!read.text.trim()) continue;
    if (++values > maxLines)
      throw new IoError(
        'invalid_file',
        `${label}: ${entry} holds more lines than the manifest's ${maxLines} case(s); the pack was refused.`,
      );
    try {
      yield { value: JSON.parse(read.text) as unknown, line: read.line };
    } catch (error) {
      throw new IoError(
        'invalid_file',
        `${label}: ${entry} line ${read.line} is not valid JSON (${(error as Error).message}).`,
      );
    }
  }
}
