// Pillow's BICUBIC resize, reimplemented so that the pixels the model sees are the pixels the published evaluation fed
// it: the reference runs `PIL.Image.resize((w, h))` (BICUBIC by default for RGB) inside qwen-vl-utils' fetch_image.
// None of sharp's kernels reproduces it: libvips enlarges with an interpolator that ignores `kernel` and aligns pixel
// centres differently, and shrinks by more than 2x with a box pre-shrink (measured against Pillow 12.3 in
// docs/fidelity.md). Same algorithm as Pillow's libImaging/Resample.c for 8-bit images: separable two-pass convolution
// (horizontal, clipped to 8 bits, then vertical), Keys cubic with a = -0.5, support widened by the shrink factor,
// coefficients normalised and fixed to 22 fractional bits. Bit-identical output is tested against a Pillow golden.

const PRECISION_BITS = 32 - 8 - 2;
const BICUBIC_SUPPORT = 2.0;

function bicubicFilter(x: number): number {
  const a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

interface Coefficients {
  /** Taps per output pixel (the row stride of `weights`). */
  ksize: number;
  /** Per output pixel: first input index and number of taps. */
  bounds: Int32Array;
  weights: Int32Array;
}

function precomputeCoefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1.0);
  const support = BICUBIC_SUPPORT * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const row = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1.0 / filterScale;
    // C casts truncate toward zero; Math.trunc does the same for the negative values near the left edge.
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let total = 0.0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubicFilter((x + xmin - center + 0.5) * ss);
      row[x] = w;
      total += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = total !== 0.0 ? row[x] / total : row[x];
      weights[xx * ksize + x] =
        w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS; // the accumulator is a C int: ToInt32 + arithmetic shift, as in Pillow
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Resizes packed RGB (3 bytes a pixel) exactly as Pillow's `Image.resize(size, Image.BICUBIC)` does for mode "RGB". */
export function resizeRgbBicubic(
  src: Uint8Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
): Uint8Array {
  if (src.length !== width * height * 3)
    throw new Error(`resizeRgbBicubic: expected ${width * height * 3} bytes of RGB, got ${src.length}`);
  if (outWidth < 1 || outHeight < 1) throw new Error(`resizeRgbBicubic: target ${outWidth}x${outHeight} is empty`);
  const vertical = precomputeCoefficients(height, outHeight);
  // Only the source rows the vertical pass reads are resampled horizontally (Pillow does the same).
  const firstRow = vertical.bounds[0];
  const lastRow = vertical.bounds[(outHeight - 1) * 2] + vertical.bounds[(outHeight - 1) * 2 + 1];

  let temp = src;
  let tempWidth = width;
  let rowOffset = 0;
  if (outWidth !== width) {
    const horizontal = precomputeCoefficients(width, outWidth);
    const rows = lastRow - firstRow;
    temp = new Uint8Array(outWidth * rows * 3);
    const { ksize, bounds, weights } = horizontal;
    for (let yy = 0; yy < rows; yy++) {
      const inRow = (yy + firstRow) * width * 3;
      const outRow = yy * outWidth * 3;
      for (let xx = 0; xx < outWidth; xx++) {
        const xmin = bounds[xx * 2];
        const taps = bounds[xx * 2 + 1];
        const k = xx * ksize;
        let s0 = 1 << (PRECISION_BITS - 1);
        let s1 = s0;
        let s2 = s0;
        for (let x = 0; x < taps; x++) {
          const w = weights[k + x];
          const p = inRow + (x + xmin) * 3;
          s0 += src[p] * w;
          s1 += src[p + 1] * w;
          s2 += src[p + 2] * w;
        }
        const o = outRow + xx * 3;
        temp[o] = clip8(s0);
        temp[o + 1] = clip8(s1);
        temp[o + 2] = clip8(s2);
      }
    }
    tempWidth = outWidth;
    rowOffset = firstRow;
  }
  if (outHeight === height) return temp === src ? src.slice() : temp;

  const out = new Uint8Array(tempWidth * outHeight * 3);
  const { ksize, bounds, weights } = vertical;
  const stride = tempWidth * 3;
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[yy * 2] - rowOffset;
    const taps = bounds[yy * 2 + 1];
    const k = yy * ksize;
    const outRow = yy * stride;
    for (let i = 0; i < stride; i++) {
      let s = 1 << (PRECISION_BITS - 1);
      for (let y = 0; y < taps; y++) s += temp[(y + ymin) * stride + i] * weights[k + y];
      out[outRow + i] = clip8(s);
    }
  }
  return out;
}
