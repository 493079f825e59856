// Pure-TypeScript GGUF header reader: validates a model file without loading weights.
// Reads only the header (metadata + tensor table), in chunks, so a 3 GB model costs a few MB of I/O.
import { open, type FileHandle } from 'node:fs/promises';
import {
  FILE_TYPE_NAMES,
  GGML_TYPE_NAMES,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GgufValueType,
  type GgufHeader,
  type GgufTensorInfo,
  type GgufValue,
} from './gguf-types';

export class GgufFormatError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'GgufFormatError';
  }
}

export interface ReadGgufOptions {
  /** Arrays longer than this are summarised as {length, skipped} instead of materialised (tokenizer vocabularies). */
  maxArrayLength?: number;
  /** Stop after metadata; tensor infos are not needed to validate keys. */
  readTensors?: boolean;
}

const CHUNK = 1 << 20;
// A corrupt length must not make us allocate gigabytes: no real key or string is this large.
const MAX_STRING_BYTES = 64 << 20;

class ChunkedReader {
  private buffer = Buffer.alloc(0);
  private bufferStart = 0; // absolute file offset of buffer[0]
  private position = 0; // absolute offset of the next read

  constructor(
    private readonly handle: FileHandle,
    private readonly file: string,
    private readonly fileSize: number,
  ) {}

  get offset(): number {
    return this.position;
  }

  private async ensure(n: number): Promise<void> {
    const have = this.bufferStart + this.buffer.length - this.position;
    if (have >= n) return;
    if (this.position + n > this.fileSize) {
      throw new GgufFormatError(
        this.file,
        `file ends at byte ${this.fileSize} but the GGUF header needs ${n} more bytes at offset ${this.position} (truncated or not a complete download)`,
      );
    }
    const keepFrom = this.position - this.bufferStart;
    const kept = this.buffer.subarray(keepFrom);
    const want = Math.max(n - kept.length, CHUNK);
    const fresh = Buffer.alloc(Math.min(want, this.fileSize - (this.bufferStart + this.buffer.length)));
    const { bytesRead } = await this.handle.read(fresh, 0, fresh.length, this.bufferStart + this.buffer.length);
    this.buffer = Buffer.concat([kept, fresh.subarray(0, bytesRead)]);
    this.bufferStart = this.position;
  }

  async bytes(n: number): Promise<Buffer> {
    await this.ensure(n);
    const start = this.position - this.bufferStart;
    this.position += n;
    return this.buffer.subarray(start, start + n);
  }

  async skip(n: number): Promise<void> {
    if (this.position + n > this.fileSize) await this.ensure(n); // throws the truncation error
    const inBuffer = this.bufferStart + this.buffer.length - this.position;
    if (n <= inBuffer) {
      this.position += n;
      return;
    }
    this.position += n;
    this.buffer = Buffer.alloc(0);
    this.bufferStart = this.position;
  }

  async u8(): Promise<number> {
    return (await this.bytes(1)).readUInt8(0);
  }
  async u32(): Promise<number> {
    return (await this.bytes(4)).readUInt32LE(0);
  }
  async u64(): Promise<bigint> {
    return (await this.bytes(8)).readBigUInt64LE(0);
  }
  async safeU64(what: string): Promise<number> {
    const v = await this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new GgufFormatError(this.file, `${what} is ${v} at offset ${this.position - 8}: the header is corrupt`);
    }
    return Number(v);
  }
  async string(what: string): Promise<string> {
    const len = await this.safeU64(`length of ${what}`);
    if (len > MAX_STRING_BYTES) {
      throw new GgufFormatError(
        this.file,
        `${what} claims ${len} bytes at offset ${this.position - 8}: the header is corrupt`,
      );
    }
    return (await this.bytes(len)).toString('utf8');
  }
}

const SCALAR_SIZE: Partial<Record<GgufValueType, number>> = {
  [GgufValueType.UINT8]: 1,
  [GgufValueType.INT8]: 1,
  [GgufValueType.UINT16]: 2,
  [GgufValueType.INT16]: 2,
  [GgufValueType.UINT32]: 4,
  [GgufValueType.INT32]: 4,
  [GgufValueType.FLOAT32]: 4,
  [GgufValueType.BOOL]: 1,
  [GgufValueType.UINT64]: 8,
  [GgufValueType.INT64]: 8,
  [GgufValueType.FLOAT64]: 8,
};

async function readScalar(r: ChunkedReader, type: GgufValueType, key: string, file: string): Promise<GgufValue> {
  switch (type) {
    case GgufValueType.UINT8:
      return (await r.bytes(1)).readUInt8(0);
    case GgufValueType.INT8:
      return (await r.bytes(1)).readInt8(0);
    case GgufValueType.UINT16:
      return (await r.bytes(2)).readUInt16LE(0);
    case GgufValueType.INT16:
      return (await r.bytes(2)).readInt16LE(0);
    case GgufValueType.UINT32:
      return (await r.bytes(4)).readUInt32LE(0);
    case GgufValueType.INT32:
      return (await r.bytes(4)).readInt32LE(0);
    case GgufValueType.FLOAT32:
      return (await r.bytes(4)).readFloatLE(0);
    case GgufValueType.BOOL:
      return (await r.bytes(1)).readUInt8(0) !== 0;
    case GgufValueType.STRING:
      return r.string(`value of ${key}`);
    case GgufValueType.UINT64: {
      const v = (await r.bytes(8)).readBigUInt64LE(0);
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case GgufValueType.INT64: {
      const v = (await r.bytes(8)).readBigInt64LE(0);
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
    }
    case GgufValueType.FLOAT64:
      return (await r.bytes(8)).readDoubleLE(0);
    default:
      throw new GgufFormatError(file, `metadata key ${key} has unknown value type ${type}: the header is corrupt`);
  }
}

async function readValue(
  r: ChunkedReader,
  type: GgufValueType,
  key: string,
  file: string,
  maxArrayLength: number,
): Promise<GgufValue> {
  if (type !== GgufValueType.ARRAY) return readScalar(r, type, key, file);
  const elemType = (await r.u32()) as GgufValueType;
  const length = await r.safeU64(`array length of ${key}`);
  if (length > maxArrayLength) {
    const size = SCALAR_SIZE[elemType];
    if (size !== undefined) await r.skip(size * length);
    else if (elemType === GgufValueType.STRING) {
      for (let i = 0; i < length; i++) await r.skip(await r.safeU64(`string length in ${key}`));
    } else
      throw new GgufFormatError(
        file,
        `metadata key ${key} is an array of type ${elemType}, which GGUF does not allow here`,
      );
    return { arrayType: elemType, length, skipped: true };
  }
  const out: GgufValue[] = [];
  for (let i = 0; i < length; i++) out.push(await readValue(r, elemType, key, file, maxArrayLength));
  return out;
}

/** Reads the GGUF header. Throws GgufFormatError (with the file name) for anything that is not a GGUF v2/v3 file. */
export async function readGgufHeader(file: string, opts: ReadGgufOptions = {}): Promise<GgufHeader> {
  const maxArrayLength = opts.maxArrayLength ?? 1024;
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 24)
      throw new GgufFormatError(
        file,
        `is not a GGUF file (only ${size} bytes; a GGUF file starts with a 24-byte header); choose the .gguf file of the model`,
      );
    const r = new ChunkedReader(handle, file, size);
    const magic = (await r.bytes(4)).toString('latin1');
    if (magic !== GGUF_MAGIC) {
      const hex = Buffer.from(magic, 'latin1').toString('hex');
      throw new GgufFormatError(
        file,
        `is not a GGUF file (starts with bytes ${hex}, expected "GGUF"); choose the .gguf file of the model`,
      );
    }
    const version = await r.u32();
    if (version !== 2 && version !== 3) {
      throw new GgufFormatError(
        file,
        `is GGUF version ${version}; only versions 2 and 3 are supported (re-convert with a current llama.cpp)`,
      );
    }
    const tensorCount = await r.safeU64('tensor count');
    const kvCount = await r.safeU64('metadata key count');
    const metadata = new Map<string, GgufValue>();
    for (let i = 0; i < kvCount; i++) {
      const key = await r.string(`metadata key #${i}`);
      const type = (await r.u32()) as GgufValueType;
      metadata.set(key, await readValue(r, type, key, file, maxArrayLength));
    }
    const alignmentValue = metadata.get('general.alignment');
    const alignment =
      typeof alignmentValue === 'number' && alignmentValue > 0 ? alignmentValue : GGUF_DEFAULT_ALIGNMENT;
    const tensors: GgufTensorInfo[] = [];
    if (opts.readTensors !== false) {
      for (let i = 0; i < tensorCount; i++) {
        const name = await r.string(`tensor #${i} name`);
        const nDims = await r.u32();
        if (nDims > 4)
          throw new GgufFormatError(file, `tensor ${name} has ${nDims} dimensions (at most 4): the header is corrupt`);
        const dims: number[] = [];
        for (let d = 0; d < nDims; d++) dims.push(await r.safeU64(`dimension ${d} of tensor ${name}`));
        const type = await r.u32();
        const offset = await r.u64();
        tensors.push({ name, dims, type, offset });
      }
    }
    const dataOffset = Math.ceil(r.offset / alignment) * alignment;
    return { version, metadata, tensors, alignment, dataOffset };
  } finally {
    await handle.close();
  }
}

// ---------- typed accessors ----------

export function metaString(h: GgufHeader, key: string): string | null {
  const v = h.metadata.get(key);
  return typeof v === 'string' ? v : null;
}

export function metaNumber(h: GgufHeader, key: string): number | null {
  const v = h.metadata.get(key);
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return null;
}

export function metaBool(h: GgufHeader, key: string): boolean | null {
  const v = h.metadata.get(key);
  return typeof v === 'boolean' ? v : null;
}

/** The quantization name: from general.file_type when present, else the most common weight tensor type. */
export function quantizationName(h: GgufHeader): string {
  const ft = metaNumber(h, 'general.file_type');
  if (ft !== null && FILE_TYPE_NAMES[ft]) return FILE_TYPE_NAMES[ft];
  const counts = new Map<number, number>();
  for (const t of h.tensors) if (t.dims.length >= 2) counts.set(t.type, (counts.get(t.type) ?? 0) + 1);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
  return top ? (GGML_TYPE_NAMES[top[0]] ?? `type ${top[0]}`) : 'unknown';
}
