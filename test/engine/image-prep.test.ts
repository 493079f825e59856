import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_PIXELS,
  ImageAspectRatioError,
  ImagePrepError,
  REFERENCE_MAX_PIXELS,
  SMALL_MAX_PIXELS,
  imageBudgetWarning,
  prepareImage,
  roundHalfToEven,
  smartResize,
  toDataUri,
  visionTokenLimits,
} from '@main/engine/image-prep';
import { prepareCaseImage } from '@main/engine/audit-common';
import { EngineError } from '@main/engine/engine';

const solid = (w: number, h: number, format: 'png' | 'jpeg' | 'webp' = 'png') => {
  const image = sharp({ create: { width: w, height: h, channels: 3, background: '#336699' } });
  return image[format]().toBuffer();
};

describe('smartResize is qwen-vl-utils smart_resize (factor 28, 4..16384 tokens, round half to even)', () => {
  // Expected sizes worked out by hand from the reference formula (qwen-vl-utils vision_process.py):
  //   h_bar = max(28, round(h/28)*28), w_bar likewise (Python round: halves to even);
  //   if h_bar*w_bar > max: beta = sqrt(h*w/max), side = floor(side/beta/28)*28;
  //   elif h_bar*w_bar < min: beta = sqrt(min/(h*w)), side = ceil(side*beta/28)*28.
  it.each([
    // 1920/28 = 68.57 -> 69 -> 1932; 1080/28 = 38.57 -> 39 -> 1092; 69*39 = 2691 tokens (under 16384, kept)
    { w: 1920, h: 1080, width: 1932, height: 1092, tokens: 2691 },
    // 3840/28 = 137.14 -> 137 -> 3836; 2160/28 = 77.14 -> 77 -> 2156; 137*77 = 10549 tokens
    { w: 3840, h: 2160, width: 3836, height: 2156, tokens: 10549 },
    // 10/28 = 0.36 -> 0 -> max(28, 0) = 28; 28*28 = 784 < 3136: beta = sqrt(3136/100) = 5.6,
    // 10*5.6 = 56.0, 56/28 = 2 -> ceil 2 -> 56; 2*2 = 4 tokens
    { w: 10, h: 10, width: 56, height: 56, tokens: 4 },
    // 1022/28 = 36.5 exactly: Python rounds to the even 36 -> 1008 (Math.round would give 37 -> 1036);
    // 500/28 = 17.86 -> 18 -> 504; 36*18 = 648 tokens
    { w: 1022, h: 500, width: 1008, height: 504, tokens: 648 },
    { w: 500, h: 1022, width: 504, height: 1008, tokens: 648 },
    // aspect ratio 199 is accepted: 1/28 -> 0 -> 28; 199/28 = 7.11 -> 7 -> 196; 28*196 = 5488 >= 3136; 7 tokens
    { w: 199, h: 1, width: 196, height: 28, tokens: 7 },
    // exactly 200:1 is accepted (the reference refuses only "> 200"): 5600/28 = 200, 28/28 = 1; 200 tokens
    { w: 5600, h: 28, width: 5600, height: 28, tokens: 200 },
    // over the budget: 7000/28 = 250, 5000/28 = 178.57 -> 179; 250*179 = 44750 > 16384:
    // beta = sqrt(35e6/12845056) = 1.65067; 5000/1.65067/28 = 108.2 -> 108 -> 3024; 7000/1.65067/28 = 151.5 -> 151 -> 4228
    { w: 7000, h: 5000, width: 4228, height: 3024, tokens: 16308 },
    // 448x448 is already 16x16 tokens
    { w: 448, h: 448, width: 448, height: 448, tokens: 256 },
  ])('$w x $h -> $width x $height ($tokens tokens)', ({ w, h, width, height, tokens }) => {
    const r = smartResize(h, w);
    expect(r).toEqual({ width, height });
    expect((r.width / 28) * (r.height / 28)).toBe(tokens);
  });

  it('refuses an aspect ratio over 200 with the sizes and what to do (201:1 either way round)', () => {
    expect(() => smartResize(1, 201)).toThrow(ImageAspectRatioError);
    expect(() => smartResize(201, 1)).toThrow(/201x1|1x201/);
    expect(() => smartResize(1, 201)).toThrow(/over 200:1.*Crop or pad/);
  });

  it('the small budget (1,280 tokens) shrinks 1920x1080 to 1,222 tokens', () => {
    // 69*39 = 2691 > 1280: beta = sqrt(1920*1080/1003520) = 1.43747; 1080/1.43747/28 = 26.83 -> 26 -> 728;
    // 1920/1.43747/28 = 47.70 -> 47 -> 1316; 26*47 = 1222 tokens
    expect(smartResize(1080, 1920, SMALL_MAX_PIXELS)).toEqual({ height: 728, width: 1316 });
  });

  it('roundHalfToEven is Python round()', () => {
    expect([0.5, 1.5, 2.5, 36.5, 37.5, 36.4999, 36.5001, 3].map(roundHalfToEven)).toEqual([0, 2, 2, 36, 38, 36, 37, 3]);
  });
});

describe('image budget', () => {
  it('the default is the reference budget, 16,384 vision tokens of 28x28 pixels', () => {
    expect(DEFAULT_MAX_PIXELS).toBe(16384 * 28 * 28);
    expect(visionTokenLimits()).toEqual({ min: 4, max: 16384 });
    expect(imageBudgetWarning(REFERENCE_MAX_PIXELS)).toBeNull();
  });

  it('a smaller budget is said plainly to make verdicts differ from the published evaluation', () => {
    expect(imageBudgetWarning(SMALL_MAX_PIXELS)).toMatch(/1,280 vision tokens.*differ from the published evaluation/);
  });
});

describe('prepareImage', () => {
  it('a 1920x1080 photo becomes 1932x1092 (2,691 tokens) at the default budget', async () => {
    const img = await prepareImage(await solid(1920, 1080, 'jpeg'));
    expect(img).toMatchObject({ mime: 'image/png', width: 1932, height: 1092, visionTokens: 2691 });
    const meta = await sharp(img.bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 1932, 1092]);
  });

  it('respects a smaller configured maxPixels', async () => {
    const img = await prepareImage(await solid(1000, 1000), 64 * 28 * 28);
    expect(img).toMatchObject({ width: 224, height: 224, visionTokens: 64 });
  });

  it('drops alpha as PIL convert("RGB") does: the colour under a transparent pixel stays (no white flattening)', async () => {
    // 56x56 needs no resize, so the output pixels are the decoded ones.
    const rgba = Buffer.alloc(56 * 56 * 4);
    for (let i = 0; i < 56 * 56; i++) rgba.set([10, 20, 30, i % 2 ? 0 : 255], i * 4);
    const png = await sharp(rgba, { raw: { width: 56, height: 56, channels: 4 } })
      .png()
      .toBuffer();
    const img = await prepareImage(png, DEFAULT_MAX_PIXELS, 'ppm');
    const pixels = img.bytes.subarray(img.bytes.length - 56 * 56 * 3);
    expect([...pixels.subarray(0, 6)]).toEqual([10, 20, 30, 10, 20, 30]);
    expect(pixels.every((v, i) => v === [10, 20, 30][i % 3])).toBe(true);
  });

  it('grey + alpha becomes grey RGB (L replicated, alpha dropped)', async () => {
    const la = Buffer.alloc(56 * 56 * 2);
    for (let i = 0; i < 56 * 56; i++) la.set([77, i % 3 ? 0 : 200], i * 2);
    const png = await sharp(la, { raw: { width: 56, height: 56, channels: 2 } })
      .png()
      .toBuffer();
    const img = await prepareImage(png, DEFAULT_MAX_PIXELS, 'ppm');
    expect(img.bytes.subarray(img.bytes.length - 56 * 56 * 3).every((v) => v === 77)).toBe(true);
  });

  it('does not apply EXIF rotation (PIL does not): a 600x300 JPEG tagged orientation 6 stays 600 wide', async () => {
    const jpeg = await sharp({ create: { width: 600, height: 300, channels: 3, background: '#808080' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    // 600/28 = 21.43 -> 21 -> 588; 300/28 = 10.71 -> 11 -> 308
    expect(await prepareImage(jpeg)).toMatchObject({ width: 588, height: 308 });
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

  it('an image over 200:1 fails its case with image_refused (the reference refuses it too), not "image missing"', async () => {
    const strip = await solid(2010, 10);
    const input = { caseId: 'c-wide', query: 'q', thinking: 't', response: 'r', imageMissing: false };
    const failure = await prepareCaseImage(
      { ...input, image: { bytes: strip, mime: 'image/png' } },
      DEFAULT_MAX_PIXELS,
    ).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(EngineError);
    expect(failure).toMatchObject({ code: 'image_refused', details: { caseId: 'c-wide', width: 2010, height: 10 } });
    expect((failure as Error).message).toMatch(/^Case c-wide: .*201\.0:1/);
  });

  it('toDataUri is a base64 data URI', () => {
    expect(toDataUri(new Uint8Array([104, 105]), 'image/png')).toBe('data:image/png;base64,aGk=');
  });
});
