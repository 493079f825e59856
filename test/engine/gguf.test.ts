import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GgufFormatError,
  metaNumber,
  metaString,
  quantizationName,
  readGgufHeader,
} from '@main/engine/gguf/gguf-reader';
import { GgmlType } from '@main/engine/gguf/gguf-types';
import { tensorByteSize, toHalf, writeGguf } from '@main/engine/gguf/gguf-writer';
import { TINY_LM, writeTinyModelFolder } from '../models/tiny-gguf';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gt-gguf-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = async (f: string) =>
  createHash('sha256')
    .update(await readFile(f))
    .digest('hex');

describe('GGUF writer/reader', () => {
  it('round-trips metadata of every written type and the tensor table', async () => {
    const file = path.join(dir, 'rt.gguf');
    await writeGguf(
      file,
      [
        ['general.architecture', { type: 'string', value: 'qwen2vl' }],
        ['a.u32', { type: 'u32', value: 4_000_000_000 }],
        ['a.i32', { type: 'i32', value: -5 }],
        ['a.f32', { type: 'f32', value: 0.5 }],
        ['a.bool', { type: 'bool', value: true }],
        ['a.u64', { type: 'u64', value: 2 ** 40 }],
        ['a.i32s', { type: 'i32[]', value: [16, 24, 24, 0] }],
        ['a.strs', { type: 'string[]', value: ['x', 'ÿ€'] }],
      ],
      [
        { name: 'w', dims: [64, 2], type: GgmlType.Q8_0, fill: (o) => o.fill(0.25) },
        { name: 'b', dims: [3], type: GgmlType.F32, fill: (o) => o.fill(1) },
      ],
    );
    const h = await readGgufHeader(file);
    expect(metaString(h, 'general.architecture')).toBe('qwen2vl');
    expect(metaNumber(h, 'a.u32')).toBe(4_000_000_000);
    expect(metaNumber(h, 'a.i32')).toBe(-5);
    expect(metaNumber(h, 'a.f32')).toBe(0.5);
    expect(h.metadata.get('a.bool')).toBe(true);
    expect(metaNumber(h, 'a.u64')).toBe(2 ** 40);
    expect(h.metadata.get('a.i32s')).toEqual([16, 24, 24, 0]);
    expect(h.metadata.get('a.strs')).toEqual(['x', 'ÿ€']);
    // 2 rows × 2 Q8_0 blocks × 34 bytes = 136, padded to the 32-byte alignment → the next tensor starts at 160.
    expect(tensorByteSize({ dims: [64, 2], type: GgmlType.Q8_0 })).toBe(136);
    expect(h.tensors.map((t) => [t.name, t.dims, t.type, Number(t.offset)])).toEqual([
      ['w', [64, 2], GgmlType.Q8_0, 0],
      ['b', [3], GgmlType.F32, 160],
    ]);
    // Q8_0 block: f16 scale (0.25/127) then int8 127s.
    const bytes = await readFile(file);
    const block = bytes.subarray(h.dataOffset, h.dataOffset + 34);
    expect(block.readUInt16LE(0)).toBe(toHalf(0.25 / 127));
    expect([...block.subarray(2)].every((b) => b === 127)).toBe(true);
  });

  it('summarises large arrays instead of materialising them', async () => {
    const f = await writeTinyModelFolder(path.join(dir, 'tiny-a'));
    const h = await readGgufHeader(f.modelPath, { maxArrayLength: 16 });
    expect(h.metadata.get('tokenizer.ggml.tokens')).toMatchObject({ skipped: true, length: 285 });
    expect(metaNumber(h, 'qwen2vl.embedding_length')).toBe(TINY_LM.nEmbd);
    expect(h.metadata.get('qwen2vl.rope.dimension_sections')).toEqual([2, 3, 3, 0]);
    expect(quantizationName(h)).toBe('F32');
  });

  it('writeTinyModelFolder is deterministic: same seed → byte-identical files; another seed differs', async () => {
    const a = await writeTinyModelFolder(path.join(dir, 'det-a'), { seed: 7 });
    const b = await writeTinyModelFolder(path.join(dir, 'det-b'), { seed: 7 });
    const c = await writeTinyModelFolder(path.join(dir, 'det-c'), { seed: 8 });
    expect(await sha(a.modelPath)).toBe(await sha(b.modelPath));
    expect(await sha(a.mmprojPath)).toBe(await sha(b.mmprojPath));
    expect(await sha(a.modelPath)).not.toBe(await sha(c.modelPath));
  });

  it('rejects a file that is not GGUF with the file name and what to do', async () => {
    const file = path.join(dir, 'fake.gguf');
    await writeFile(file, Buffer.from('PK\u0003\u0004 this is a zip file, not a model at all'));
    const err = await readGgufHeader(file).catch((e) => e);
    expect(err).toBeInstanceOf(GgufFormatError);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/not a GGUF file.*choose the \.gguf/);
  });

  it('rejects a truncated header instead of reading garbage', async () => {
    const f = await writeTinyModelFolder(path.join(dir, 'trunc'));
    await truncate(f.modelPath, 200);
    await expect(readGgufHeader(f.modelPath)).rejects.toThrow(/truncated/);
  });

  it('toHalf encodes known values', () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(0)).toBe(0);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(1e-8)).toBe(0);
  });
});
