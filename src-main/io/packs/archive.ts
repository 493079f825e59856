import { randomBytes } from 'node:crypto';
import { closeSync, createWriteStream, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { IoError } from '../io-error';

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
    await pipeline(zip.outputStream, createWriteStream(temp, { flags: 'wx' }));
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
  maxEntryBytes: number;
  maxTotalBytes: number;
  /** Which names may appear at all (anything else is refused). */
  allowedName: (name: string) => boolean;
}

/** A safe relative name: no absolute path, drive letter, backslash, empty, "." or ".." segment. */
export function isSafeEntryName(name: string): boolean {
  if (!name || name.length > 255 || name.startsWith('/') || name.includes('\\') || /^[a-zA-Z]:/.test(name))
    return false;
  return name.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** Reads every entry of a zip into memory, refusing the whole archive on the first problem. */
export async function readArchive(file: string, limits: ReadLimits): Promise<Map<string, Buffer>> {
  const label = path.basename(file);
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true }, (error, opened) =>
      error ? reject(damaged(label, error)) : resolve(opened),
    ),
  );
  const entries = new Map<string, Buffer>();
  let total = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        zip.close();
        reject(error);
      };
      zip.on('error', (error: Error) => fail(damaged(label, error)));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        const name = entry.fileName;
        if (!isSafeEntryName(name))
          return fail(
            new IoError(
              'invalid_file',
              `${label} holds an entry named "${name}", a path outside the pack; the pack was refused.`,
            ),
          );
        if (!limits.allowedName(name))
          return fail(
            new IoError(
              'invalid_file',
              `${label} holds an unexpected entry "${name}"; it is not a GuardTrace pack as written by the app.`,
            ),
          );
        if (entries.has(name))
          return fail(new IoError('invalid_file', `${label} holds the entry "${name}" twice; the pack was refused.`));
        if (entries.size + 1 > limits.maxEntries)
          return fail(
            new IoError('invalid_file', `${label} holds more than ${limits.maxEntries} entries; the pack was refused.`),
          );
        if (entry.uncompressedSize > limits.maxEntryBytes || total + entry.uncompressedSize > limits.maxTotalBytes)
          return fail(
            new IoError(
              'invalid_file',
              `${label}: entry "${name}" is larger than a pack may hold (${entry.uncompressedSize} bytes).`,
            ),
          );
        zip.openReadStream(entry, (error, stream) => {
          if (error) return fail(damaged(label, error));
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', (streamError: Error) => fail(damaged(label, streamError)));
          stream.on('end', () => {
            const data = Buffer.concat(chunks);
            total += data.length;
            entries.set(name, data);
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return entries;
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
