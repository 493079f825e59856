// Reading an image file of the store as untrusted: the images/ folder is on the user's disk, where a file can be
// deleted, truncated, replaced by a link to somewhere else, or swapped for a FIFO that blocks a read forever.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { StoreError } from '../errors';
import { sha256Hex } from '../digests';

export interface ExpectedImage {
  sha256: string;
  /** Size recorded at import; a different size is the cheap sign that the bytes changed. */
  bytes: number;
}

/**
 * Reads the file at `file` as the image `expected`, refusing links (O_NOFOLLOW) and anything that is not a regular
 * file, and checking the sha256 when `verify` is 'always', or when the size differs from the recorded one.
 * Throws StoreError('image_unavailable') saying what is wrong and how to restore it.
 */
export async function readStoredImage(
  file: string,
  expected: ExpectedImage,
  verify: 'always' | 'if-suspicious' = 'if-suspicious',
): Promise<Buffer> {
  const unavailable = (why: string) =>
    new StoreError(
      'image_unavailable',
      `Image unavailable: ${file} ${why}. Restore the data folder's images/ from a backup, or re-import the case's source file.`,
    );
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO planted there must not hang; a regular file ignores it.
    handle = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw unavailable('does not exist');
    if (code === 'ELOOP' || code === 'EMLINK') throw unavailable('is a symbolic link, which the store never creates');
    throw unavailable(`cannot be opened (${code ?? (error as Error).message})`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw unavailable('is not a regular file');
    if (stat.nlink > 1 && verify !== 'always') verify = 'always'; // a hard link may be changed from elsewhere
    const bytes = await handle.readFile();
    if (verify === 'always' || bytes.length !== expected.bytes) {
      const actual = sha256Hex(bytes);
      if (actual !== expected.sha256)
        throw unavailable(
          `does not hold the recorded bytes (sha256 ${actual.slice(0, 12)}…, expected ${expected.sha256.slice(0, 12)}…)`,
        );
    }
    return bytes;
  } finally {
    await handle.close();
  }
}
