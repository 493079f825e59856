// Minimal GGUF writer. Used to generate deterministic random-weight models for tests and benchmarks
// (no weights can be downloaded on CI); it lives with the reader so both agree on the format.
import { open } from 'node:fs/promises';
import { encodeF16, encodeQ8_0, floatToHalfBits, Q8_0_BLOCK, Q8_0_BLOCK_BYTES } from './ggml-encoding';
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

/** IEEE 754 half bits of a float, round to nearest even (numpy's cast, which llama.cpp's converter uses). */
export function toHalf(value: number): number {
  return floatToHalfBits(value);
}

function encodeChunk(type: GgufWriteTensor['type'], values: Float32Array): Buffer {
  if (type === GgmlType.F32) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  if (type === GgmlType.F16) return encodeF16(values);
  return encodeQ8_0(values);
}

const ELEMENTS_PER_CHUNK = 1 << 20; // multiple of 32, so Q8_0 blocks never straddle chunks

export interface EncodedGgufHeader {
  /** Magic through the last tensor info, padded to the alignment: tensor data starts right after it. */
  head: Buffer;
  /** Each tensor's offset in the data section. */
  offsets: number[];
  /** The data section's size, each tensor padded to the alignment. */
  dataBytes: number;
}

/** The header of a GGUF v3 file (metadata and tensor table); shared with the Hugging Face converter's streaming writer. */
export function encodeGgufHeader(
  metadata: Array<[string, GgufWriteValue]>,
  tensors: Array<Pick<GgufWriteTensor, 'name' | 'dims' | 'type'>>,
  alignment = GGUF_DEFAULT_ALIGNMENT,
): EncodedGgufHeader {
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
  const raw = header.toBuffer();
  const head = Buffer.concat([raw, Buffer.alloc((alignment - (raw.length % alignment)) % alignment)]);
  return { head, offsets, dataBytes: offset };
}

/** Writes a GGUF v3 file, streaming tensor data so multi-GB benchmark models need little memory. */
export async function writeGguf(
  file: string,
  metadata: Array<[string, GgufWriteValue]>,
  tensors: GgufWriteTensor[],
  alignment = GGUF_DEFAULT_ALIGNMENT,
): Promise<void> {
  const { head, offsets } = encodeGgufHeader(metadata, tensors, alignment);
  const pad = (n: number) => Buffer.alloc((alignment - (n % alignment)) % alignment);
  const handle = await open(file, 'w');
  try {
    let pos = 0;
    const put = async (b: Buffer) => {
      await handle.write(b, 0, b.length, pos);
      pos += b.length;
    };
    await put(head);
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
