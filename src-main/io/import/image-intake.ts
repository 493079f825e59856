import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ImageRef } from '@domain/cases';
import { imageDecoder } from '../../engine/image-decoding';
import { sha256Hex } from '../../store/contract';

// Images are identified by their bytes, never by their extension or a data: URI's declared type: only the
// four formats the vision encoder and the renderer both handle are let in, and their size is checked from
// the header (sharp metadata never decodes pixels), so a decompression bomb is refused before it costs memory.
// The header is read in the image-decoding process, not here (engine/image-decoding, docs/security.md).

export const MAX_IMAGE_SIDE = 16_384;
export const MAX_IMAGE_PIXELS = 40_000_000;
/** Bigger files than this are refused before reading them whole. */
export const MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;

export type ImageMime = 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif';

const SHARP_FORMAT: Record<ImageMime, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/webp': 'webp',
  'image/gif': 'gif',
};

export const EXTENSION: Record<ImageMime, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
};

/** The format the magic bytes say, or null for anything else (SVG, BMP, TIFF, text…). */
export function sniffImageType(bytes: Uint8Array): ImageMime | null {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (bytes.length >= 12 && starts(0x52, 0x49, 0x46, 0x46) && ascii(bytes, 8, 12) === 'WEBP') return 'image/webp';
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'image/gif';
  return null;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

function describeUnknown(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, 256)).toString('utf8').trimStart().toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg')))
    return 'an SVG (vector images are not accepted)';
  if (head.startsWith('<')) return 'an XML/HTML document';
  if (bytes.length === 0) return 'an empty file';
  if (ascii(bytes, 0, 2) === 'BM') return 'a BMP';
  if (starts4(bytes, [0x49, 0x49, 0x2a, 0x00]) || starts4(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'a TIFF';
  return 'not a PNG, JPEG, WebP or GIF image';
}

function starts4(bytes: Uint8Array, sig: number[]): boolean {
  return sig.every((b, i) => bytes[i] === b);
}

export type ImageCheck = { ok: true; image: ImageRef } | { ok: false; reason: string };

/** Checks type and header dimensions; `label` names the image in the reason (file path or "data: URI"). */
export async function inspectImage(bytes: Uint8Array, label: string): Promise<ImageCheck> {
  const mime = sniffImageType(bytes);
  if (!mime) {
    return { ok: false, reason: `${label} is ${describeUnknown(bytes)}; use PNG, JPEG, WebP or GIF` };
  }
  let width: number | undefined;
  let height: number | undefined;
  let format: string | undefined;
  try {
    const header = await imageDecoder().inspect(bytes);
    width = header.width ?? undefined;
    height = header.height ?? undefined;
    format = header.format ?? undefined;
  } catch (error) {
    return {
      ok: false,
      reason: `${label} looks like ${mime} but its header cannot be read (${(error as Error).message}); the file is damaged`,
    };
  }
  if (format !== SHARP_FORMAT[mime]) {
    return {
      ok: false,
      reason: `${label} starts like ${mime} but decodes as ${format ?? 'nothing'}; the file is damaged`,
    };
  }
  if (!width || !height)
    return { ok: false, reason: `${label} has no width/height in its header; the file is damaged` };
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    return {
      ok: false,
      reason:
        `${label} claims ${width}x${height} pixels, over the limit of ${MAX_IMAGE_SIDE}x${MAX_IMAGE_SIDE} and ` +
        `${MAX_IMAGE_PIXELS / 1e6} megapixels (refused unread, a possible decompression bomb); resize it first`,
    };
  }
  return { ok: true, image: { sha256: sha256Hex(bytes), mime, width, height, bytes: bytes.length } };
}

/** Reads a file for inspection; 'missing' when it does not exist (the case is then imported with imageMissing). */
export async function readImageFile(file: string): Promise<{ bytes: Buffer } | 'missing' | { error: string }> {
  try {
    const bytes = await readFile(file);
    if (bytes.length > MAX_IMAGE_FILE_BYTES) {
      return {
        error: `${file} is ${(bytes.length / 1048576).toFixed(0)} MiB, over the ${MAX_IMAGE_FILE_BYTES / 1048576} MiB image limit`,
      };
    }
    return { bytes };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'EISDIR') return { error: `${file} is a folder, not an image` };
    return { error: `${file} cannot be read (${code ?? (error as Error).message}); check its permissions` };
  }
}

/**
 * Resolves a name from the source inside `baseDir`, refusing absolute paths and anything (including a
 * symlink) that lands outside it: an import file must not be able to pull arbitrary files into the store.
 */
export function resolveInside(baseDir: string, name: string): { path: string } | { error: string } {
  if (name.includes('\0')) return { error: `image name ${JSON.stringify(name)} contains a NUL byte` };
  if (path.isAbsolute(name) || path.win32.isAbsolute(name)) {
    return { error: `image name "${name}" is an absolute path; give a path relative to ${baseDir}` };
  }
  const base = path.resolve(baseDir);
  const target = path.resolve(base, name);
  if (!isInside(base, target))
    return { error: `image name "${name}" points outside the images folder ${base}; path traversal is refused` };
  try {
    const realTarget = realpathSync(target);
    if (!isInside(realpathSync(base), realTarget)) {
      return { error: `image name "${name}" is a link to ${realTarget}, outside the images folder ${base}; refused` };
    }
  } catch {
    // Does not exist (yet): the lexical check above is all there is to do; the reader reports it missing.
  }
  return { path: target };
}

function isInside(base: string, target: string): boolean {
  const relative = path.relative(base, target);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

const DATA_URI = /^data:([^,;]*)((?:;[^,;]*)*?)(;base64)?,(.*)$/s;

/** Decodes a data: URI's payload; the declared type is ignored (the bytes are sniffed). */
export function decodeDataUri(uri: string): { bytes: Buffer } | { error: string } {
  const match = DATA_URI.exec(uri);
  if (!match) return { error: 'the data: URI is malformed (expected data:<type>;base64,<payload>)' };
  const payload = match[4];
  if (match[3]) {
    if (!/^[A-Za-z0-9+/=\s_-]*$/.test(payload)) return { error: 'the data: URI payload is not valid base64' };
    const bytes = Buffer.from(payload, 'base64');
    if (bytes.length > MAX_IMAGE_FILE_BYTES)
      return { error: `the data: URI holds ${bytes.length} bytes, over the image limit` };
    return { bytes };
  }
  try {
    return { bytes: Buffer.from(decodeURIComponent(payload), 'latin1') };
  } catch {
    // A stray % makes decodeURIComponent throw: this record's problem, never the whole import's.
    return { error: 'the data: URI payload has an invalid %-escape (use ;base64 for binary data)' };
  }
}
