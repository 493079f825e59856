// Item 7 of issue 19: what the decoder process answers is checked before use. A prepared PNG must be a PNG
// (signature, IHDR first, the announced size, 8-bit RGB, IEND last); a PPM must hold exactly its pixels.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { checkResult, type DecodeJob, type PreparedImage } from '@main/engine/image-decoding/protocol';

const job: DecodeJob = { kind: 'prepare', bytes: new Uint8Array(1), maxPixels: 1e6, format: 'png' };

async function rgbPng(width: number, height: number, options: { grey?: boolean } = {}): Promise<Buffer> {
  const image = sharp({ create: { width, height, channels: 3, background: { r: 10, g: 200, b: 30 } } });
  return (options.grey ? image.greyscale().toColourspace('b-w') : image).png().toBuffer();
}

const answer = (bytes: Uint8Array, width = 56, height = 28): PreparedImage => ({
  bytes,
  mime: 'image/png',
  width,
  height,
  visionTokens: (width / 28) * (height / 28),
});

describe('checkResult on a prepared PNG', () => {
  it('accepts a real 8-bit RGB PNG of the announced size', async () => {
    expect(checkResult(job, answer(await rgbPng(56, 28)))).toBeNull();
  });

  it('refuses a PNG of another size, a greyscale one, a truncated one, and bytes that are no PNG', async () => {
    const png = await rgbPng(56, 28);
    expect(checkResult(job, answer(await rgbPng(28, 56)))).toBe('the PNG is 28x56, not the 56x28 announced');
    expect(checkResult(job, answer(await rgbPng(56, 28, { grey: true })))).toBe('the PNG is not 8-bit RGB');
    expect(checkResult(job, answer(png.subarray(0, png.length - 5)))).toBe('the PNG does not end with IEND');
    expect(checkResult(job, answer(Buffer.alloc(200)))).toBe('the PNG has no PNG signature');
    const noHeader = Buffer.from(png);
    noHeader.write('IDAT', 12, 'latin1');
    expect(checkResult(job, answer(noHeader))).toBe('the PNG does not start with its header chunk');
  });
});
