// Streaming safetensors reader: the JSON header is read and checked against the file before any weight is
// touched, and tensor data is read in bounded element ranges, so a 4 GB shard never sits in memory.
// Format: https://github.com/huggingface/safetensors#format (u64 LE header length, JSON header, contiguous data).
import { open, type FileHandle } from 'node:fs/promises';
import { ConvertError } from './convert-error';

export type SafetensorsDtype = 'BF16' | 'F16' | 'F32';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { BF16: 2, F16: 2, F32: 4 };

/**
 * The safetensors library itself refuses headers over 100 MB (HeaderTooLarge); a real 3B checkpoint's header is
 * about 100 KB. A smaller bound keeps a hostile file from making us allocate and parse hundreds of MB of JSON.
 */
export const MAX_HEADER_BYTES = 16 << 20;

export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  /** PyTorch order: outermost dimension first. */
  shape: number[];
  file: string;
  /** Absolute byte offset of the first element in `file`. */
  dataStart: number;
  byteLength: number;
}

export interface SafetensorsFile {
  file: string;
  size: number;
  tensors: SafetensorsTensor[];
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Top-level keys of a JSON object text, in order, duplicates included (JSON.parse silently keeps the last of a
 * duplicated key, which would hide a second tensor of the same name).
 */
export function topLevelJsonKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return keys;
}

function invalid(file: string, message: string): ConvertError {
  return new ConvertError('invalid_checkpoint', `${file}: ${message}`);
}

/** Reads and validates the header: every tensor's offsets lie inside the file, agree with its shape, and do not overlap. */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsFile> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw invalid(file, `cannot be opened (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    const { size } = await handle.stat();
    if (size < 8) throw invalid(file, `is ${size} bytes, too short to be a safetensors file (truncated download?)`);
    const lengthBytes = Buffer.alloc(8);
    await handle.read(lengthBytes, 0, 8, 0);
    const headerLength = lengthBytes.readBigUInt64LE(0);
    if (headerLength > BigInt(MAX_HEADER_BYTES)) {
      throw invalid(
        file,
        `declares a ${headerLength}-byte header (at most ${MAX_HEADER_BYTES} accepted; a real checkpoint's is a few hundred KB): the file is corrupt or not a safetensors file`,
      );
    }
    const n = Number(headerLength);
    if (8 + n > size)
      throw invalid(file, `declares a ${n}-byte header but the file has only ${size} bytes (truncated download?)`);
    const headerBytes = Buffer.alloc(n);
    await handle.read(headerBytes, 0, n, 8);
    const text = headerBytes.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw invalid(file, `header is not valid JSON (${(err as Error).message})`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw invalid(file, 'header is not a JSON object');
    const seen = new Set<string>();
    for (const key of topLevelJsonKeys(text)) {
      if (seen.has(key)) throw invalid(file, `tensor "${key}" is listed twice in the header`);
      seen.add(key);
    }
    const dataBase = 8 + n;
    const dataSize = size - dataBase;
    const tensors: SafetensorsTensor[] = [];
    for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
      if (name === '__metadata__') continue;
      const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (typeof e?.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) {
        throw invalid(
          file,
          `tensor "${name}" has dtype ${JSON.stringify(e?.dtype)}; only BF16, F16 and F32 checkpoints can be converted`,
        );
      }
      const dtype = e.dtype as SafetensorsDtype;
      if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw invalid(file, `tensor "${name}" has an invalid shape ${JSON.stringify(e.shape)}`);
      }
      const offsets = e.data_offsets;
      if (
        !Array.isArray(offsets) ||
        offsets.length !== 2 ||
        !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
        offsets[1] < offsets[0]
      ) {
        throw invalid(file, `tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
      }
      const shape = e.shape as number[];
      const [begin, end] = offsets as [number, number];
      const expected = elementCount(shape) * DTYPE_BYTES[dtype];
      if (end - begin !== expected) {
        throw invalid(
          file,
          `tensor "${name}" claims bytes ${begin}..${end} (${end - begin} bytes) but its shape [${shape.join(', ')}] in ${dtype} needs ${expected}: the header lies about its offsets`,
        );
      }
      if (end > dataSize) {
        throw invalid(
          file,
          `tensor "${name}" ends at data byte ${end} but the file holds only ${dataSize} bytes of data (truncated download? ${size} bytes on disk)`,
        );
      }
      tensors.push({ name, dtype, shape, file, dataStart: dataBase + begin, byteLength: end - begin });
    }
    const byStart = [...tensors].sort((a, b) => a.dataStart - b.dataStart);
    for (let i = 1; i < byStart.length; i++) {
      const prev = byStart[i - 1];
      if (byStart[i].dataStart < prev.dataStart + prev.byteLength) {
        throw invalid(
          file,
          `tensors "${prev.name}" and "${byStart[i].name}" overlap in the file: the header lies about its offsets`,
        );
      }
    }
    return { file, size, tensors };
  } finally {
    await handle.close();
  }
}

/** Decodes raw little-endian elements of `dtype` into float32 (exactly: bf16 and f16 are subsets of f32). */
export function decodeToF32(dtype: SafetensorsDtype, raw: Uint8Array, out: Float32Array): void {
  const count = out.length;
  if (dtype === 'F32') {
    new Uint8Array(out.buffer, out.byteOffset, count * 4).set(raw.subarray(0, count * 4));
    return;
  }
  // `raw` is 2-byte aligned (SafetensorsReader allocates it); little-endian hosts only, like ggml itself.
  const halves = new Uint16Array(raw.buffer, raw.byteOffset, count);
  const bits = new Uint32Array(out.buffer, out.byteOffset, count);
  if (dtype === 'BF16') {
    for (let i = 0; i < count; i++) bits[i] = halves[i] << 16;
    return;
  }
  for (let i = 0; i < count; i++) bits[i] = halfBitsToFloatBits(halves[i]);
}

/** IEEE half → single bit pattern (exact, NaN payload kept in the top mantissa bits). */
export function halfBitsToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp === 0) {
    if (mant === 0) return sign >>> 0;
    let e = -1;
    do {
      e++;
      mant <<= 1;
    } while ((mant & 0x400) === 0);
    return (sign | ((127 - 15 - e) << 23) | ((mant & 0x3ff) << 13)) >>> 0;
  }
  return (sign | ((exp - 15 + 127) << 23) | (mant << 13)) >>> 0;
}

/** An open shard that reads element ranges of its tensors as float32. */
export class SafetensorsReader {
  private constructor(
    private readonly handle: FileHandle,
    readonly file: string,
  ) {}

  static async open(file: string): Promise<SafetensorsReader> {
    return new SafetensorsReader(await open(file, 'r'), file);
  }

  /** Elements [start, start + out.length) of `tensor` (flat, row-major) into `out`. */
  async readF32(tensor: SafetensorsTensor, start: number, out: Float32Array): Promise<void> {
    const width = DTYPE_BYTES[tensor.dtype];
    const bytes = out.length * width;
    const raw = Buffer.from(new ArrayBuffer(bytes));
    let done = 0;
    while (done < bytes) {
      const { bytesRead } = await this.handle.read(raw, done, bytes - done, tensor.dataStart + start * width + done);
      if (bytesRead === 0) {
        throw new ConvertError(
          'invalid_checkpoint',
          `${this.file}: ended while reading tensor "${tensor.name}" (the file shrank or is truncated)`,
        );
      }
      done += bytesRead;
    }
    decodeToF32(tensor.dtype, raw, out);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
