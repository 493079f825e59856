// Content hashes every engine computes the same way: image files are named by sha256 of their bytes, and packs and
// decisions files name a case by the digest of its texts and image hash.
import { createHash } from 'node:crypto';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** sha256 of what identifies a case's content: the three texts and the image hash. */
export function caseDigest(content: { query: string; thinking: string; response: string; imageSha256: string | null }) {
  return createHash('sha256')
    .update(JSON.stringify([content.query, content.thinking, content.response, content.imageSha256]))
    .digest('hex');
}
