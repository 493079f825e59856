// The three encodings the converter writes itself, bit for bit as llama.cpp's converter does:
// - F32: the float32 values (gguf-py quants.quantize, F32 branch).
// - F16: numpy's float32 → float16 cast, round to nearest even (gguf-py quants.quantize, `astype(np.float16)`),
//   ported from numpy's npy_floatbits_to_halfbits so NaN and subnormals match too.
// - Q8_0: ggml's quantize_row_q8_0_ref (ggml/src/ggml-quants.c) as mirrored by gguf-py quants.Q8_0: per block of
//   32, d = max|x| / 127 in float32, id = 1/d (0 for an all-zero block), q = roundf(x * id) (half away from zero),
//   d stored as f16.
// llama.cpp commit 80fb11ac73e66d89eae2c6a91d8a77428fa733ed (the source node-llama-cpp 3.21.1 bundles).

export const Q8_0_BLOCK = 32;
export const Q8_0_BLOCK_BYTES = 2 + Q8_0_BLOCK;

/** numpy's npy_floatbits_to_halfbits (round to nearest even; NaN payload kept and kept a NaN). */
export function floatBitsToHalfBits(f: number): number {
  const hSign = (f >>> 16) & 0x8000;
  const fExp = f & 0x7f800000;
  if (fExp >= 0x47800000) {
    if (fExp === 0x7f800000) {
      const fSig = f & 0x007fffff;
      if (fSig !== 0) {
        let ret = 0x7c00 + (fSig >>> 13);
        if (ret === 0x7c00) ret++;
        return hSign + ret;
      }
      return hSign + 0x7c00;
    }
    return hSign + 0x7c00;
  }
  if (fExp <= 0x38000000) {
    if (fExp < 0x33000000) return hSign;
    const e = fExp >>> 23;
    let fSig = 0x00800000 + (f & 0x007fffff);
    fSig >>>= 113 - e;
    if ((fSig & 0x3fff) !== 0x1000 || (f & 0x7ff) !== 0) fSig += 0x1000;
    return hSign + (fSig >>> 13);
  }
  const hExp = (fExp - 0x38000000) >>> 13;
  let fSig = f & 0x007fffff;
  if ((fSig & 0x3fff) !== 0x1000) fSig += 0x1000;
  return hSign + ((fSig >>> 13) + hExp);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function floatToHalfBits(value: number): number {
  f32[0] = value;
  return floatBitsToHalfBits(u32[0]);
}

export function encodeF16(values: Float32Array): Buffer {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = floatBitsToHalfBits(bits[i]);
  return Buffer.from(out.buffer);
}

export function encodeF32(values: Float32Array): Buffer {
  return Buffer.from(values.slice().buffer);
}

/** Q8_0 of a whole number of blocks; every step rounded to float32 as ggml's C code computes it. */
export function encodeQ8_0(values: Float32Array): Buffer {
  if (values.length % Q8_0_BLOCK !== 0) throw new Error(`Q8_0 needs a multiple of 32 values, got ${values.length}`);
  const blocks = values.length / Q8_0_BLOCK;
  const out = new Uint8Array(blocks * Q8_0_BLOCK_BYTES);
  const q = new Int8Array(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const base = b * Q8_0_BLOCK;
    let amax = 0;
    for (let i = 0; i < Q8_0_BLOCK; i++) {
      const a = Math.abs(values[base + i]);
      if (a > amax) amax = a;
    }
    const d = Math.fround(amax / 127);
    const id = d !== 0 ? Math.fround(1 / d) : 0;
    const o = b * Q8_0_BLOCK_BYTES;
    const h = floatToHalfBits(d);
    out[o] = h & 0xff;
    out[o + 1] = h >>> 8;
    for (let i = 0; i < Q8_0_BLOCK; i++) {
      const x = Math.fround(values[base + i] * id);
      // roundf: to nearest, halves away from zero (gguf-py's np_roundf does the same).
      q[o + 2 + i] = x < 0 ? -Math.round(-x) : Math.round(x);
    }
  }
  return Buffer.from(out.buffer);
}

/** NaN or ±Inf values in a chunk (a checkpoint that trained into NaN still converts, with a warning). */
export function countNonFinite(values: Float32Array): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) n++;
  return n;
}
