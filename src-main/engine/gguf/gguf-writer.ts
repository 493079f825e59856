// Minimal GGUF writer. Used to generate deterministic random-weight models for tests and benchmarks
// (no weights can be downloaded on CI); it lives with the reader so both agree on the format.
import { open } from 'node:fs/promises';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_VERSION, GgmlType, GgufValueType } from './gguf-types';

export type GgufWriteValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'u64'; value: number }
  | { type: 'i32[]'; value: number[] }
  | { type: 'f32[]'; value: number[] }
  | { type: 'string[]'; value: string[] };

export interface GgufWriteTensor {
  name: string;
  /** ggml order: innermost dimension first. */
  dims: number[];
  type: GgmlType.F32 | GgmlType.F16 | GgmlType.Q8_0;
  /** Fills `out` (a slice of the tensor's float values starting at element `start`). */
  fill: (out: Float32Array, start: number) => void;
}

const Q8_0_BLOCK = 32;
const Q8_0_BLOCK_BYTES = 2 + Q8_0_BLOCK;

export function tensorByteSize(t: Pick<GgufWriteTensor, 'dims' | 'type'>): number {
  const n = t.dims.reduce((a, b) => a * b, 1);
  switch (t.type) {
    case GgmlType.F32:
      return n * 4;
    case GgmlType.F16:
      return n * 2;
    case GgmlType.Q8_0:
      if (t.dims[0] % Q8_0_BLOCK !== 0)
        throw new Error(`Q8_0 needs the innermost dimension divisible by 32, got ${t.dims[0]}`);
      return (n / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
  }
}

class ByteSink {
  private parts: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number | bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function writeValue(sink: ByteSink, v: GgufWriteValue): void {
  switch (v.type) {
    case 'u32':
      sink.u32(GgufValueType.UINT32);
      sink.u32(v.value);
      return;
    case 'i32':
      sink.u32(GgufValueType.INT32);
      sink.i32(v.value);
      return;
    case 'f32':
      sink.u32(GgufValueType.FLOAT32);
      sink.f32(v.value);
      return;
    case 'bool':
      sink.u32(GgufValueType.BOOL);
      sink.push(Buffer.from([v.value ? 1 : 0]));
      return;
    case 'string':
      sink.u32(GgufValueType.STRING);
      sink.string(v.value);
      return;
    case 'u64':
      sink.u32(GgufValueType.UINT64);
      sink.u64(v.value);
      return;
    case 'i32[]':
      sink.u32(GgufValueType.ARRAY);
      sink.u32(GgufValueType.INT32);
      sink.u64(v.value.length);
      for (const x of v.value) sink.i32(x);
      return;
    case 'f32[]':
      sink.u32(GgufValueType.ARRAY);
      sink.u32(GgufValueType.FLOAT32);
      sink.u64(v.value.length);
      for (const x of v.value) sink.f32(x);
      return;
    case 'string[]':
      sink.u32(GgufValueType.ARRAY);
      sink.u32(GgufValueType.STRING);
      sink.u64(v.value.length);
      for (const x of v.value) sink.string(x);
      return;
  }
}

// IEEE 754 half from float, round-to-nearest-even; enough for weights and Q8_0 scales.
const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);
export function toHalf(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let half = mant >> shift;
    if ((mant >> (shift - 1)) & 1 && ((mant & ((1 << (shift - 1)) - 1)) !== 0 || half & 1)) half++;
    return sign | half;
  }
  let half = sign | (exp << 10) | (mant >> 13);
  if (mant & 0x1000 && (mant & 0x2fff) !== 0) half++;
  return half;
}

function encodeChunk(type: GgufWriteTensor['type'], values: Float32Array): Buffer {
  if (type === GgmlType.F32) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  if (type === GgmlType.F16) {
    const halves = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) halves[i] = toHalf(values[i]);
    return Buffer.from(halves.buffer);
  }
  // Q8_0: per block of 32, d = max|x|/127 stored as f16, then 32 int8 of round(x/d).
  const blocks = values.length / Q8_0_BLOCK;
  const out = Buffer.alloc(blocks * Q8_0_BLOCK_BYTES);
  const q = new Int8Array(out.buffer, out.byteOffset, out.length);
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    const base = b * Q8_0_BLOCK;
    for (let i = 0; i < Q8_0_BLOCK; i++) {
      const a = Math.abs(values[base + i]);
      if (a > amax) amax = a;
    }
    const d = amax / 127;
    const id = d ? 1 / d : 0;
    const o = b * Q8_0_BLOCK_BYTES;
    const h = toHalf(d);
    out[o] = h & 0xff;
    out[o + 1] = h >> 8;
    for (let i = 0; i < Q8_0_BLOCK; i++) q[o + 2 + i] = Math.round(values[base + i] * id);
  }
  return out;
}

const ELEMENTS_PER_CHUNK = 1 << 20; // multiple of 32, so Q8_0 blocks never straddle chunks

/** Writes a GGUF v3 file, streaming tensor data so multi-GB benchmark models need little memory. */
export async function writeGguf(
  file: string,
  metadata: Array<[string, GgufWriteValue]>,
  tensors: GgufWriteTensor[],
  alignment = GGUF_DEFAULT_ALIGNMENT,
): Promise<void> {
  const header = new ByteSink();
  header.push(Buffer.from('GGUF', 'latin1'));
  header.u32(GGUF_VERSION);
  header.u64(tensors.length);
  header.u64(metadata.length);
  for (const [key, value] of metadata) {
    header.string(key);
    writeValue(header, value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    header.string(t.name);
    header.u32(t.dims.length);
    for (const d of t.dims) header.u64(d);
    header.u32(t.type);
    header.u64(offset);
    offsets.push(offset);
    offset += Math.ceil(tensorByteSize(t) / alignment) * alignment;
  }
  const pad = (n: number) => Buffer.alloc((alignment - (n % alignment)) % alignment);
  const handle = await open(file, 'w');
  try {
    const head = header.toBuffer();
    let pos = 0;
    const put = async (b: Buffer) => {
      await handle.write(b, 0, b.length, pos);
      pos += b.length;
    };
    await put(head);
    await put(pad(head.length));
    const dataStart = pos;
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i];
      pos = dataStart + offsets[i];
      const n = t.dims.reduce((a, b) => a * b, 1);
      const scratch = new Float32Array(Math.min(n, ELEMENTS_PER_CHUNK));
      for (let start = 0; start < n; start += ELEMENTS_PER_CHUNK) {
        const view = scratch.subarray(0, Math.min(ELEMENTS_PER_CHUNK, n - start));
        t.fill(view, start);
        await put(encodeChunk(t.type, view));
      }
      const size = tensorByteSize(t);
      await put(pad(size));
    }
  } finally {
    await handle.close();
  }
}
