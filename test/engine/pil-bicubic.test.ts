import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { resizeRgbBicubic } from '@main/engine/pil-bicubic';

const GOLDEN = path.join(import.meta.dirname, 'golden', 'pil-bicubic');

/** The same formula as golden/pil-bicubic/make-golden.py (an LCG mod 2^31 over a gradient). */
function source(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  let state = 12345;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff; // low 31 bits = Python's % 2**31
    const x = Math.floor(i / 3) % width;
    const y = Math.floor(Math.floor(i / 3) / width);
    data[i] = (x * 7 + y * 3 + (i % 3) * 50 + (state >> 24)) % 256;
  }
  return data;
}

describe("resizeRgbBicubic reproduces Pillow's Image.resize (BICUBIC) byte for byte", () => {
  it.each([
    [97, 61, 112, 56],
    [97, 61, 56, 28],
    [200, 150, 56, 28],
    [97, 61, 97, 84],
    [97, 61, 140, 61],
  ])('%ix%i -> %ix%i equals the Pillow 12.3 golden', (sw, sh, w, h) => {
    const golden = readFileSync(path.join(GOLDEN, `${sw}x${sh}-to-${w}x${h}.rgb`));
    const out = resizeRgbBicubic(source(sw, sh), sw, sh, w, h);
    expect(out.length).toBe(golden.length);
    let differing = 0;
    for (let i = 0; i < out.length; i++) if (out[i] !== golden[i]) differing++;
    expect(differing).toBe(0);
  });

  it("sharp's kernels do not: libvips 'cubic' differs from Pillow on the same enlargement (why the port exists)", async () => {
    const [sw, sh, w, h] = [97, 61, 112, 56];
    const golden = readFileSync(path.join(GOLDEN, `${sw}x${sh}-to-${w}x${h}.rgb`));
    const viaSharp = await sharp(source(sw, sh), { raw: { width: sw, height: sh, channels: 3 } })
      .resize(w, h, { fit: 'fill', kernel: 'cubic' })
      .raw()
      .toBuffer();
    let differing = 0;
    for (let i = 0; i < viaSharp.length; i++) if (viaSharp[i] !== golden[i]) differing++;
    expect(differing).toBeGreaterThan(viaSharp.length / 10);
  });

  it('the same size is an exact copy, and wrong input sizes are refused', () => {
    const src = source(30, 20);
    expect(Buffer.from(resizeRgbBicubic(src, 30, 20, 30, 20)).equals(Buffer.from(src))).toBe(true);
    expect(() => resizeRgbBicubic(src, 31, 20, 28, 28)).toThrow(/expected 1860 bytes/);
  });
});
