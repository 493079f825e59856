// The messages between GuardTrace and its image-decoding process (docs/security.md, "Images"). Both sides check
// every message they receive: the decoder process trusts nothing from a request beyond these shapes, and the
// parent trusts nothing from a decoder that may have been subverted by the image it was decoding — a result must
// be self-consistent (its size matches its pixels) before anything uses it.
import { z } from 'zod';
import { VISION_TOKEN_PIXELS } from '@domain/fidelity';

/** Work that parses untrusted image bytes with native code (sharp/libvips), so it never runs in GuardTrace itself. */
export type DecodeJob =
  /** The reference preprocessing of an audit (image-prep.ts prepareImage). */
  | { kind: 'prepare'; bytes: Uint8Array; maxPixels: number; format: 'png' | 'ppm' }
  /** The header read of an import (image-intake.ts inspectImage): format and size, no pixels decoded. */
  | { kind: 'inspect'; bytes: Uint8Array };

export interface PreparedImage {
  bytes: Uint8Array;
  mime: 'image/png' | 'image/x-portable-pixmap';
  width: number;
  height: number;
  visionTokens: number;
}

export interface ImageHeader {
  /** sharp's name of the format ('png', 'jpeg', 'webp', 'gif', …), as the bytes decode. */
  format: string | null;
  width: number | null;
  /** The first page's height for multi-page images (sharp's pageHeight), else the height. */
  height: number | null;
}

export type DecodeResult<J extends DecodeJob> = J extends { kind: 'prepare' } ? PreparedImage : ImageHeader;

/** An error crosses the boundary as data; the parent rebuilds the classes callers catch (client.ts). */
export interface DecodeFailure {
  name: string;
  message: string;
  width?: number;
  height?: number;
  /** For an ImageDecoderProcessError relayed from another thread: why the decoder process failed the job. */
  reason?: string;
}

export interface DecodeRequest {
  id: number;
  job: DecodeJob;
}

export type DecodeResponse =
  { id: number; ok: true; result: PreparedImage | ImageHeader } | { id: number; ok: false; error: DecodeFailure };

/** The decoder process says it has loaded sharp and takes jobs. */
export const READY_MESSAGE = { type: 'ready' } as const;

/** Larger than any image the import accepts (64 MiB) with room; anything bigger is not ours. */
const MAX_MESSAGE_BYTES = 512 * 1024 * 1024;
const bytesSchema = z
  .instanceof(Uint8Array)
  .refine((bytes) => bytes.byteLength <= MAX_MESSAGE_BYTES, 'over the size limit');
const id = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const side = z.number().int().positive().max(1_000_000);

const requestSchema = z.strictObject({
  id,
  job: z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('prepare'),
      bytes: bytesSchema,
      maxPixels: z
        .number()
        .int()
        .min(VISION_TOKEN_PIXELS * VISION_TOKEN_PIXELS)
        .max(1e9),
      format: z.enum(['png', 'ppm']),
    }),
    z.strictObject({ kind: z.literal('inspect'), bytes: bytesSchema }),
  ]),
});

const preparedSchema = z.strictObject({
  bytes: bytesSchema,
  mime: z.enum(['image/png', 'image/x-portable-pixmap']),
  width: side,
  height: side,
  visionTokens: z.number().int().positive(),
});

const headerSchema = z.strictObject({
  format: z.string().max(32).nullable(),
  width: side.nullable(),
  height: side.nullable(),
});

const failureSchema = z.strictObject({
  name: z.string().max(100),
  message: z.string().max(10_000),
  width: z.number().optional(),
  height: z.number().optional(),
  reason: z.string().max(32).optional(),
});

const responseSchema = z.union([
  z.strictObject({ id, ok: z.literal(true), result: z.union([preparedSchema, headerSchema]) }),
  z.strictObject({ id, ok: z.literal(false), error: failureSchema }),
]);

export function parseDecodeRequest(value: unknown): DecodeRequest | null {
  const parsed = requestSchema.safeParse(value);
  return parsed.success ? (parsed.data as DecodeRequest) : null;
}

/** The id of a message that is not a valid request, when it has one, so the sender can be told. */
export function requestIdOf(value: unknown): number | null {
  const parsed = z.object({ id }).safeParse(value);
  return parsed.success ? parsed.data.id : null;
}

export function parseDecodeResponse(value: unknown): DecodeResponse | null {
  const parsed = responseSchema.safeParse(value);
  return parsed.success ? (parsed.data as DecodeResponse) : null;
}

/**
 * Whether a result is the kind the job asked for and consistent with itself: a prepared image's size is a whole
 * number of vision tokens, its token count matches, a PPM holds exactly its pixels, and a PNG is a PNG of that size.
 * Returns the reason when it is not.
 */
export function checkResult(job: DecodeJob, result: PreparedImage | ImageHeader): string | null {
  if (job.kind === 'inspect') return 'bytes' in result ? 'a prepared image came back for a header read' : null;
  if (!('bytes' in result)) return 'a header came back for an image preparation';
  const { width, height, visionTokens, mime, bytes } = result;
  const f = VISION_TOKEN_PIXELS;
  if (width % f !== 0 || height % f !== 0) return `the size ${width}x${height} is not a multiple of ${f}`;
  if (visionTokens !== (width / f) * (height / f)) return `${visionTokens} vision tokens for ${width}x${height}`;
  if (mime !== (job.format === 'ppm' ? 'image/x-portable-pixmap' : 'image/png')) return `${mime} for ${job.format}`;
  if (job.format === 'ppm') {
    const header = `P6\n${width} ${height}\n255\n`;
    if (bytes.byteLength !== header.length + width * height * 3) return 'the PPM does not hold its pixels';
    if (Buffer.from(bytes.buffer, bytes.byteOffset, header.length).toString('latin1') !== header)
      return 'the PPM header does not match its size';
  }
  if (job.format === 'png')
    return checkPng(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), width, height);
  return null;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PNG_IEND = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
/** Signature, IHDR (length, type, 13 bytes, CRC), at least one IDAT chunk's frame, IEND. */
const PNG_MIN_BYTES = 8 + 25 + 12 + 12;

/**
 * A prepared PNG must be one: the signature, an IHDR first that announces exactly the size the answer claims as
 * 8-bit RGB (what Pillow's convert("RGB") gives the reference), room for its data and the IEND chunk last. Pixels
 * are not decoded here (that is the decoder's job); a PNG that lies inside its data fails where it is read.
 */
function checkPng(bytes: Buffer, width: number, height: number): string | null {
  if (bytes.length < PNG_MIN_BYTES || !bytes.subarray(0, 8).equals(PNG_SIGNATURE))
    return 'the PNG has no PNG signature';
  if (bytes.readUInt32BE(8) !== 13 || bytes.toString('latin1', 12, 16) !== 'IHDR')
    return 'the PNG does not start with its header chunk';
  const [pngWidth, pngHeight] = [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
  if (pngWidth !== width || pngHeight !== height)
    return `the PNG is ${pngWidth}x${pngHeight}, not the ${width}x${height} announced`;
  if (bytes[24] !== 8 || bytes[25] !== 2) return 'the PNG is not 8-bit RGB';
  if (!bytes.subarray(bytes.length - PNG_IEND.length).equals(PNG_IEND)) return 'the PNG does not end with IEND';
  return null;
}
