import { createHash, randomBytes, type Hash } from 'node:crypto';
import { closeSync, createWriteStream, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { IoError } from '../io-error';
import { mib } from '../safe-read/limits';
import { openRegularFd } from '../safe-read/open-regular';

// Pack archives are plain zip files written by yazl and read by yauzl (maintained libraries, no hand-made
// format). Reading is defensive: the archive comes from another machine, so every name, size and count is
// checked before any byte is used, and nothing is ever written to a path named inside the archive.

export interface ArchiveEntry {
  name: string;
  data: Buffer;
  /** Images are compressed already; deflating them again costs time for nothing. */
  compress: boolean;
}

/** A fixed timestamp: the same pack content gives the same archive bytes. */
const ENTRY_TIME = new Date(Date.UTC(2020, 0, 1));

/** Writes the archive to a temp file beside `target`, fsyncs it and renames it into place. */
export async function writeArchive(target: string, entries: readonly ArchiveEntry[]): Promise<void> {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const zip = new yazl.ZipFile();
  for (const entry of entries) zip.addBuffer(entry.data, entry.name, { mtime: ENTRY_TIME, compress: entry.compress });
  zip.end();
  try {
    await pipeline(zip.outputStream, createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
    const fd = openSync(temp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new IoError(
      'io',
      `Could not write ${target}: ${(error as Error).message}. Check that the folder is writable.`,
    );
  }
}

export interface ReadLimits {
  maxEntries: number;
  /** The largest a given entry may be, uncompressed (yauzl's validateEntrySizes holds each to its declared size). */
  maxEntryBytes: (name: string) => number;
  maxTotalBytes: number;
  /** Uncompressed/compressed ratio an entry above `ratioFloorBytes` may not exceed (a zip bomb). */
  maxRatio: number;
  ratioFloorBytes: number;
  /** Which names may appear at all (anything else is refused). */
  allowedName: (name: string) => boolean;
}

/** Reads one entry's bytes as they are inflated; it must read them all (or throw, which refuses the archive). */
export type EntryConsumer = (name: string, chunks: AsyncIterable<Buffer>) => Promise<void>;

/** A safe relative name: no absolute path, drive letter, backslash, empty, "." or ".." segment. */
export function isSafeEntryName(name: string): boolean {
  if (!name || name.length > 255 || name.startsWith('/') || name.includes('\\') || /^[a-zA-Z]:/.test(name))
    return false;
  return name.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/** The Unix file type a zip entry claims (0 when the archive was made where there is none, e.g. by yazl's defaults). */
function unixFileType(entry: yauzl.Entry): number {
  return (entry.externalFileAttributes >>> 16) & S_IFMT;
}

/**
 * Streams every entry of a zip to `consume`, in archive order, and returns each entry's sha256. Refuses the whole
 * archive on the first problem: an unsafe, unexpected or repeated name, a link or any other non-regular entry,
 * too many entries, an entry larger than its cap or inflating by more than `maxRatio`, or a damaged archive. The
 * file is opened once (a regular file only) and read through that descriptor.
 */
export async function streamArchive(
  file: string,
  limits: ReadLimits,
  consume: EntryConsumer,
): Promise<Map<string, string>> {
  const label = path.basename(file);
  const { fd } = openRegularFd(file, limits.maxTotalBytes, '.gtpack file');
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.fromFd(
        fd,
        { lazyEntries: true, validateEntrySizes: true, strictFileNames: true, autoClose: true },
        (error, opened) => (error ? reject(damaged(label, error)) : resolve(opened)),
      ),
    );
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  // From here yauzl owns the descriptor: close() releases it once the last entry stream is done.
  try {
    return await readEntries(zip, label, limits, consume);
  } finally {
    zip.close();
  }
}

async function readEntries(
  zip: yauzl.ZipFile,
  label: string,
  limits: ReadLimits,
  consume: EntryConsumer,
): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  let total = 0;
  const refuse = (reason: string) => new IoError('invalid_file', `${label} ${reason}; the pack was refused.`);
  for (;;) {
    const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
      const cleanup = () => zip.removeAllListeners('entry').removeAllListeners('end').removeAllListeners('error');
      zip.once('entry', (found: yauzl.Entry) => (cleanup(), resolve(found)));
      zip.once('end', () => (cleanup(), resolve(null)));
      zip.once('error', (error: Error) => (cleanup(), reject(damaged(label, error))));
      zip.readEntry();
    });
    if (!entry) return hashes;
    const name = entry.fileName;
    if (!isSafeEntryName(name)) throw refuse(`holds an entry named "${name}", a path outside the pack`);
    if (!limits.allowedName(name))
      throw new IoError(
        'invalid_file',
        `${label} holds an unexpected entry "${name}"; it is not a GuardTrace pack as written by the app.`,
      );
    if (hashes.has(name)) throw refuse(`holds the entry "${name}" twice`);
    const type = unixFileType(entry);
    if (type !== 0 && type !== S_IFREG)
      throw refuse(
        `holds "${name}" as ${type === 0o120000 ? 'a symbolic link' : 'something other than a file'}; a pack holds files only`,
      );
    if (hashes.size + 1 > limits.maxEntries) throw refuse(`holds more than ${limits.maxEntries} entries`);
    const cap = limits.maxEntryBytes(name);
    if (entry.uncompressedSize > cap)
      throw refuse(`holds "${name}" of ${mib(entry.uncompressedSize)}, more than such an entry may be (${mib(cap)})`);
    if (total + entry.uncompressedSize > limits.maxTotalBytes)
      throw refuse(`unpacks to more than ${mib(limits.maxTotalBytes)}; split the assignment into smaller packs`);
    if (
      entry.uncompressedSize > limits.ratioFloorBytes &&
      entry.uncompressedSize > entry.compressedSize * limits.maxRatio
    )
      throw refuse(
        `holds "${name}", which inflates ${Math.round(entry.uncompressedSize / Math.max(entry.compressedSize, 1))}x ` +
          `(${mib(entry.compressedSize)} to ${mib(entry.uncompressedSize)}), more than a pack's ${limits.maxRatio}x: a zip bomb`,
      );
    total += entry.uncompressedSize;
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      zip.openReadStream(entry, (error, opened) => (error ? reject(damaged(label, error)) : resolve(opened))),
    );
    const hash = createHash('sha256');
    try {
      await consume(name, hashing(stream, hash, label));
    } catch (error) {
      (stream as unknown as { destroy(): void }).destroy();
      throw error;
    }
    hashes.set(name, hash.digest('hex'));
  }
}

async function* hashing(stream: NodeJS.ReadableStream, hash: Hash, label: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      yield chunk;
    }
  } catch (error) {
    if (error instanceof IoError) throw error;
    throw damaged(label, error as Error);
  }
}

function damaged(label: string, error: Error): IoError {
  const message = error.message;
  if (/invalid relative path|absolute path|invalid characters/i.test(message))
    return new IoError(
      'invalid_file',
      `${label} holds an entry with a path outside the pack (${message}); the pack was refused.`,
    );
  return new IoError(
    'invalid_file',
    `${label} is not a complete zip archive (${message}); it may be truncated or damaged. Copy the file again from its source.`,
  );
}
