// Streams one planned GGUF file: header first, then each tensor read from its shard in bounded chunks,
// encoded (F32/F16/Q8_0) and written at its aligned offset. Peak memory is a few chunks, whatever the model size.
import { open } from 'node:fs/promises';
import { encodeF16, encodeQ8_0, countNonFinite } from '../gguf/ggml-encoding';
import { GgmlType } from '../gguf/gguf-types';
import { encodeGgufHeader, tensorByteSize } from '../gguf/gguf-writer';
import { ConvertError } from './convert-error';
import type { PlannedFile, PlannedTensor } from './plan';
import { elementCount, type SafetensorsReader } from './safetensors';

/** 1 Mi elements: 4 MB of float32 per chunk; a multiple of the Q8_0 block. */
const CHUNK_ELEMENTS = 1 << 20;

export interface WriteCallbacks {
  /** Source elements consumed so far in this file (for progress). */
  onElements: (count: number) => void;
  signal?: AbortSignal;
  warnings: string[];
}

export function plannedFileBytes(plan: PlannedFile): number {
  const { head, dataBytes } = encodeGgufHeader(plan.metadata, plan.tensors);
  return head.length + dataBytes;
}

export function plannedElements(plan: PlannedFile): number {
  return plan.tensors.reduce((n, t) => n + elementCount(t.dims), 0);
}

/** Fills `out` with elements [start, start + out.length) of the planned tensor (after its selection). */
async function readSelected(
  reader: SafetensorsReader,
  t: PlannedTensor,
  start: number,
  out: Float32Array,
): Promise<void> {
  const sel = t.selection;
  if (sel.kind === 'all') return reader.readF32(t.source, start, out);
  if (sel.kind === 'slice') return reader.readF32(t.source, sel.startElement + start, out);
  // One frame of a [E, C, T, kh, kw] tensor: output row i (of kh*kw values) is source row i*T + t.
  const fe = sel.frameElements;
  const firstRow = Math.floor(start / fe);
  const lastRow = Math.floor((start + out.length - 1) / fe);
  const span = new Float32Array((lastRow - firstRow) * sel.frames * fe + fe);
  await reader.readF32(t.source, (firstRow * sel.frames + sel.t) * fe, span);
  for (let k = 0; k < out.length; k++) {
    const i = Math.floor((start + k) / fe) - firstRow;
    out[k] = span[i * sel.frames * fe + ((start + k) % fe)];
  }
}

function encode(type: PlannedTensor['type'], values: Float32Array): Buffer {
  if (type === GgmlType.F32) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  if (type === GgmlType.F16) return encodeF16(values);
  return encodeQ8_0(values);
}

function diskError(file: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
    return new ConvertError(
      'disk_full',
      `${file}: the disk filled up while writing (${code}); free space or choose another output folder, then convert again`,
    );
  }
  return err as Error;
}

export async function writePlannedGguf(
  file: string,
  plan: PlannedFile,
  readers: (sourceFile: string) => SafetensorsReader,
  cb: WriteCallbacks,
): Promise<void> {
  const { head, offsets } = encodeGgufHeader(plan.metadata, plan.tensors);
  const handle = await open(file, 'wx').catch((err: unknown) => {
    throw diskError(file, err);
  });
  try {
    const put = async (buf: Buffer, position: number) => {
      let done = 0;
      while (done < buf.length) {
        const { bytesWritten } = await handle.write(buf, done, buf.length - done, position + done);
        done += bytesWritten;
      }
    };
    await put(head, 0).catch((err: unknown) => {
      throw diskError(file, err);
    });
    const scratch = new Float32Array(CHUNK_ELEMENTS);
    for (let i = 0; i < plan.tensors.length; i++) {
      const t = plan.tensors[i];
      const n = elementCount(t.dims);
      let position = head.length + offsets[i];
      let nonFinite = 0;
      const reader = readers(t.source.file);
      for (let start = 0; start < n; start += CHUNK_ELEMENTS) {
        if (cb.signal?.aborted) throw new ConvertError('cancelled', 'conversion cancelled');
        const view = scratch.subarray(0, Math.min(CHUNK_ELEMENTS, n - start));
        await readSelected(reader, t, start, view);
        nonFinite += countNonFinite(view);
        const bytes = encode(t.type, view);
        await put(bytes, position).catch((err: unknown) => {
          throw diskError(file, err);
        });
        position += bytes.length;
        cb.onElements(view.length);
      }
      const size = tensorByteSize(t);
      const padding = (32 - (size % 32)) % 32;
      if (padding)
        await put(Buffer.alloc(padding), position).catch((err: unknown) => {
          throw diskError(file, err);
        });
      if (nonFinite > 0) {
        cb.warnings.push(
          `${t.source.file}: tensor "${t.source.name}" (${t.name}) holds ${nonFinite} NaN/Inf value(s); the checkpoint may be damaged and verdicts from it meaningless`,
        );
      }
    }
    await handle.sync().catch((err: unknown) => {
      throw diskError(file, err);
    });
  } finally {
    await handle.close();
  }
}
