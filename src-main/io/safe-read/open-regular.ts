import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { IoError } from '../io-error';
import { mib } from './limits';

// Every untrusted file is opened once and only the descriptor is trusted afterwards: fstat says what was opened
// (a regular file, its size), and the bytes are read from that same descriptor, so nothing can be swapped in
// between a check and the read. O_NONBLOCK keeps the open itself from hanging on a FIFO with no writer; the
// fstat then refuses it like any other non-regular file (a device, a socket, a folder).

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What a descriptor is, in words, when it is not a regular file. */
export function describeNonRegular(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

export interface OpenedFile {
  handle: FileHandle;
  size: number;
  stats: Stats;
}

/**
 * Opens `file` for reading, refusing anything that is not a regular file or is larger than `maxBytes`. The caller
 * reads from `handle` (positioned reads: `handle.createReadStream({ start: 0 })`) and closes it.
 */
export async function openRegularFile(file: string, maxBytes: number, what: string): Promise<OpenedFile> {
  let handle: FileHandle;
  try {
    handle = await open(file, OPEN_FLAGS);
  } catch (error) {
    throw openError(file, error, what);
  }
  try {
    const stats = await handle.stat();
    checkOpened(file, stats, maxBytes, what);
    return { handle, size: stats.size, stats };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The same as a plain descriptor, for a library that takes ownership of it (yauzl closes what it reads). */
export function openRegularFd(file: string, maxBytes: number, what: string): { fd: number; stats: Stats } {
  let fd: number;
  try {
    fd = openSync(file, OPEN_FLAGS);
  } catch (error) {
    throw openError(file, error, what);
  }
  try {
    const stats = fstatSync(fd);
    checkOpened(file, stats, maxBytes, what);
    return { fd, stats };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Reads `size` bytes from the start of `fd`; a file that shrank meanwhile gives what it still holds. */
export function readExactly(fd: number, size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  let offset = 0;
  while (offset < size) {
    const read = readSync(fd, bytes, offset, size - offset, offset);
    if (read === 0) break;
    offset += read;
  }
  return offset === size ? bytes : bytes.subarray(0, offset);
}

function checkOpened(file: string, stats: Stats, maxBytes: number, what: string): void {
  if (!stats.isFile())
    throw new IoError('usage', `${file} is ${describeNonRegular(stats)}, not a regular file; give the ${what}.`);
  if (stats.size > maxBytes)
    throw new IoError(
      'invalid_file',
      `${file} is ${mib(stats.size)}, more than a ${what} may be (${mib(maxBytes)}); it was refused unread.`,
    );
}

function openError(file: string, error: unknown, what: string): IoError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new IoError('usage', `${file} does not exist; give the ${what}.`);
  if (code === 'EISDIR') return new IoError('usage', `${file} is a folder, not a regular file; give the ${what}.`);
  return new IoError('io', `${file} cannot be opened (${code ?? (error as Error).message}); check its permissions.`);
}
