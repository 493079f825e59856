import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PIXELS, prepareImage, smartResize, toDataUri, ImagePrepError } from '@main/engine/image-prep';

const solid = (w: number, h: number, format: 'png' | 'jpeg' | 'webp' = 'png') => {
  const image = sharp({ create: { width: w, height: h, channels: 3, background: '#336699' } });
  return image[format]().toBuffer();
};

describe('image preparation', () => {
  it('default budget is 1280 vision tokens of 28x28 pixels', () => {
    expect(DEFAULT_MAX_PIXELS).toBe(1280 * 28 * 28);
  });

  it.each([
    [448, 448, 256],
    [4000, 3000, null],
    [100, 5000, null],
    [30, 30, 4],
  ])('smartResize(%i x %i) keeps multiples of 28 within the budget', (w, h, tokens) => {
    const r = smartResize(h, w);
    expect(r.width % 28).toBe(0);
    expect(r.height % 28).toBe(0);
    expect((r.width / 28) * (r.height / 28)).toBeLessThanOrEqual(1280);
    if (tokens !== null) expect((r.width / 28) * (r.height / 28)).toBe(tokens);
    // aspect ratio kept within one 28-pixel step
    expect(Math.abs(r.width / r.height - w / h) / (w / h)).toBeLessThan(0.35);
  });

  it('a large photo is shrunk under the budget, aspect kept, re-encoded as PNG', async () => {
    const img = await prepareImage(await solid(4032, 3024, 'jpeg'));
    expect(img.mime).toBe('image/png');
    expect(img.visionTokens).toBeLessThanOrEqual(1280);
    expect(img.visionTokens).toBeGreaterThan(1100);
    expect(img.width / img.height).toBeCloseTo(4032 / 3024, 1);
    const meta = await sharp(img.bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', img.width, img.height]);
  });

  it('respects a smaller configured maxPixels', async () => {
    const img = await prepareImage(await solid(1000, 1000), 64 * 28 * 28);
    expect(img.visionTokens).toBeLessThanOrEqual(64);
    expect(img).toMatchObject({ width: 224, height: 224, visionTokens: 64 });
  });

  it('WebP (which libmtmd cannot decode) becomes PNG', async () => {
    const img = await prepareImage(await solid(300, 200, 'webp'));
    expect(img.mime).toBe('image/png');
    expect((await sharp(img.bytes).metadata()).format).toBe('png');
  });

  it('undecodable bytes raise ImagePrepError with what to do', async () => {
    await expect(prepareImage(new Uint8Array([1, 2, 3, 4]))).rejects.toBeInstanceOf(ImagePrepError);
    await expect(prepareImage(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow(/re-import/);
  });

  it('toDataUri is a base64 data URI', () => {
    expect(toDataUri(new Uint8Array([104, 105]), 'image/png')).toBe('data:image/png;base64,aGk=');
  });
});
