// Case images prepared exactly as the published GuardTrace evaluation prepares them. The reference passes
// `Image.open(path).convert("RGB")` to qwen-vl-utils' fetch_image, which resizes it with smart_resize (factor 28,
// 4..16,384 vision tokens) and Pillow's default BICUBIC resample; Qwen2.5-VL's processor then finds the size already
// valid and leaves it. Here: sharp decodes (no EXIF rotation, no ICC conversion, alpha dropped — what
// convert("RGB") does), smartResize computes the same size, resizeRgbBicubic reproduces Pillow's pixels, and libmtmd /
// the server is told the same token limits so it never resizes again. docs/fidelity.md lists each step and its test.
// Re-encoding also matters: libmtmd decodes with stb_image, which cannot read WebP.
import sharp from 'sharp';
import { resizeRgbBicubic } from './pil-bicubic';

import { REFERENCE_MAX_PIXELS, REFERENCE_MIN_PIXELS, VISION_TOKEN_PIXELS } from '@domain/fidelity';

export {
  REFERENCE_MAX_PIXELS,
  REFERENCE_MIN_PIXELS,
  SMALL_MAX_PIXELS,
  VISION_TOKEN_PIXELS,
  imageBudgetWarning,
  isReferenceImageBudget,
  visionTokenLimits,
} from '@domain/fidelity';

/** smart_resize refuses images whose long side is more than this many times the short side. */
export const MAX_ASPECT_RATIO = 200;
/** The default is the reference budget; anything smaller is an explicit choice (Settings → Max pixels, --max-pixels). */
export const DEFAULT_MAX_PIXELS = REFERENCE_MAX_PIXELS;
export const MIN_PIXELS = REFERENCE_MIN_PIXELS;

export class ImagePrepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImagePrepError';
  }
}

/** The reference refuses the case (smart_resize raises); the app fails the case with this instead of guessing. */
export class ImageAspectRatioError extends Error {
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    super(
      `the image is ${width}x${height} pixels, an aspect ratio of ${(Math.max(width, height) / Math.min(width, height)).toFixed(1)}:1; ` +
        `the GuardTrace reference (qwen-vl-utils smart_resize) refuses anything over ${MAX_ASPECT_RATIO}:1. ` +
        `Crop or pad the image and re-import the case.`,
    );
    this.name = 'ImageAspectRatioError';
  }
}

/** Python 3's round(): halves go to the even neighbour (round(36.5) == 36), unlike Math.round. */
export function roundHalfToEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor; // exact for doubles of this size
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * qwen-vl-utils' smart_resize, operation for operation (same IEEE double arithmetic as CPython): both sides become
 * multiples of 28, the area lands in [minPixels, maxPixels], the aspect ratio is kept. Over-budget sides are floored
 * to at least 28 as current qwen-vl-utils and llama.cpp do (older releases could return 0 there, which the processor
 * then rejected). Throws ImageAspectRatioError over 200:1, as the reference does.
 */
export function smartResize(
  height: number,
  width: number,
  maxPixels: number = REFERENCE_MAX_PIXELS,
  minPixels: number = REFERENCE_MIN_PIXELS,
): { height: number; width: number } {
  const f = VISION_TOKEN_PIXELS;
  if (maxPixels < f * f) throw new ImagePrepError(`maxPixels ${maxPixels} is below one vision token (${f * f} pixels)`);
  if (Math.max(height, width) / Math.min(height, width) > MAX_ASPECT_RATIO)
    throw new ImageAspectRatioError(width, height);
  let h = Math.max(f, roundHalfToEven(height / f) * f);
  let w = Math.max(f, roundHalfToEven(width / f) * f);
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = Math.max(f, Math.floor(height / beta / f) * f);
    w = Math.max(f, Math.floor(width / beta / f) * f);
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = Math.ceil((height * beta) / f) * f;
    w = Math.ceil((width * beta) / f) * f;
  }
  return { height: h, width: w };
}

/** The image as PIL's `Image.open(…).convert("RGB")` sees it: packed 8-bit RGB, stored orientation, alpha dropped. */
export async function decodeLikePil(bytes: Uint8Array): Promise<{ rgb: Uint8Array; width: number; height: number }> {
  try {
    // ignoreIcc: PIL does not apply embedded colour profiles; without autoOrient/rotate() EXIF orientation is ignored,
    // as PIL ignores it; removeAlpha() keeps the colour under transparent pixels, as convert("RGB") does.
    const { data, info } = await sharp(bytes, { animated: false, ignoreIcc: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels instead of 3`);
    return { rgb: data, width: info.width, height: info.height };
  } catch (err) {
    throw new ImagePrepError(
      `the image could not be decoded (${(err as Error).message}); re-import it as PNG, JPEG or WebP`,
    );
  }
}

/**
 * format 'png' (default) suits any consumer (OpenAI-compatible servers); 'ppm' is raw RGB with a 15-byte header that
 * libmtmd's stb_image reads directly — it skips PNG compression, the largest cost of preparing a photo in-process.
 */
export async function prepareImage(
  bytes: Uint8Array,
  maxPixels: number = DEFAULT_MAX_PIXELS,
  format: 'png' | 'ppm' = 'png',
): Promise<{ bytes: Buffer; mime: string; width: number; height: number; visionTokens: number }> {
  const source = await decodeLikePil(bytes);
  const { height, width } = smartResize(source.height, source.width, maxPixels);
  const rgb =
    width === source.width && height === source.height
      ? source.rgb
      : resizeRgbBicubic(source.rgb, source.width, source.height, width, height);
  const visionTokens = (width / VISION_TOKEN_PIXELS) * (height / VISION_TOKEN_PIXELS);
  if (format === 'ppm') {
    const header = Buffer.from(`P6\n${width} ${height}\n255\n`, 'latin1');
    return { bytes: Buffer.concat([header, rgb]), mime: 'image/x-portable-pixmap', width, height, visionTokens };
  }
  const out = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
  return { bytes: out, mime: 'image/png', width, height, visionTokens };
}

export function toDataUri(bytes: Uint8Array, mime: string): string {
  return `data:${mime};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}
