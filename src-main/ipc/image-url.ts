// The custom scheme that serves content-addressed images from the store. The renderer only ever names a hash;
// the main process resolves it, so no file path from the renderer is ever opened.
export const IMAGE_SCHEME = 'gt-image';
const SHA256_HEX = /^[0-9a-f]{64}$/;

export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

export function imageUrlFor(sha256: string): string {
  return `${IMAGE_SCHEME}://image/${sha256}`;
}

/** Returns the hash named by a gt-image URL, or null when the URL is not exactly `gt-image://image/<64 hex>`. */
export function hashFromImageUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${IMAGE_SCHEME}:` || parsed.host !== 'image') return null;
  const hash = parsed.pathname.replace(/^\//, '');
  return isSha256Hex(hash) ? hash : null;
}
