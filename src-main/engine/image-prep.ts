// Resizes case images so the Qwen2.5-VL vision tokens stay under a budget. After the 2x2 patch merge, one vision token
// covers 28x28 pixels, so tokens = (h/28)*(w/28) once both sides are multiples of 28 (Qwen's smart_resize).
// Re-encoding to PNG also matters: libmtmd decodes with stb_image, which cannot read WebP.
import sharp, { type Metadata } from 'sharp';

export const VISION_TOKEN_PIXELS = 28;
export const DEFAULT_MAX_PIXELS = 1280 * 28 * 28;
/** Qwen2.5-VL's processor minimum (4 tokens); llama.cpp additionally pads tiny images up to its own minimum. */
export const MIN_PIXELS = 4 * 28 * 28;

export class ImagePrepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImagePrepError';
  }
}

/** Qwen2-VL's smart_resize: sides become multiples of 28, area within [minPixels, maxPixels], aspect ratio kept. */
export function smartResize(
  height: number,
  width: number,
  maxPixels = DEFAULT_MAX_PIXELS,
  minPixels = MIN_PIXELS,
): { height: number; width: number } {
  const f = VISION_TOKEN_PIXELS;
  if (maxPixels < f * f) throw new ImagePrepError(`maxPixels ${maxPixels} is below one vision token (${f * f} pixels)`);
  let h = Math.max(f, Math.round(height / f) * f);
  let w = Math.max(f, Math.round(width / f) * f);
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

/**
 * format 'png' (default) suits any consumer (OpenAI-compatible servers); 'ppm' is raw RGB with a 15-byte header that
 * libmtmd's stb_image reads directly — it skips PNG compression, the largest cost of preparing a photo in-process.
 */
export async function prepareImage(
  bytes: Uint8Array,
  maxPixels: number = DEFAULT_MAX_PIXELS,
  format: 'png' | 'ppm' = 'png',
): Promise<{ bytes: Buffer; mime: string; width: number; height: number; visionTokens: number }> {
  let meta: Metadata;
  try {
    // EXIF orientations 5-8 swap the sides: measure the image the way it is seen (rotate() below applies it).
    meta = await sharp(bytes).metadata();
  } catch (err) {
    throw new ImagePrepError(
      `the image could not be decoded (${(err as Error).message}); re-import it as PNG, JPEG or WebP`,
    );
  }
  const rotated = meta.orientation !== undefined && meta.orientation >= 5;
  const srcW = rotated ? meta.height : meta.width;
  const srcH = rotated ? meta.width : meta.height;
  if (!srcW || !srcH) throw new ImagePrepError('the image has no width/height; re-import it as PNG, JPEG or WebP');
  const { height, width } = smartResize(srcH, srcW, maxPixels);
  const pipeline = sharp(bytes, { animated: false })
    .rotate()
    .flatten({ background: '#ffffff' }) // transparent pixels would otherwise become black in RGB
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .removeAlpha();
  const visionTokens = (width / VISION_TOKEN_PIXELS) * (height / VISION_TOKEN_PIXELS);
  if (format === 'ppm') {
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    const header = Buffer.from(`P6\n${info.width} ${info.height}\n255\n`, 'latin1');
    return { bytes: Buffer.concat([header, data]), mime: 'image/x-portable-pixmap', width, height, visionTokens };
  }
  const out = await pipeline.png({ compressionLevel: 1 }).toBuffer();
  return { bytes: out, mime: 'image/png', width, height, visionTokens };
}

export function toDataUri(bytes: Uint8Array, mime: string): string {
  return `data:${mime};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}
