// The Hugging Face → GGUF converter on tiny random Qwen2.5-VL checkpoints: the result equals, tensor by tensor and
// key by key, what the project's own tiny-GGUF writer makes of the same weights (differences listed and explained),
// and every kind of broken input stops with an error naming the file and leaves nothing behind.
import { mkdir, open, readdir, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readGgufHeader } from '@main/engine/gguf/gguf-reader';
import { GgmlType, type GgufHeader, type GgufValue } from '@main/engine/gguf/gguf-types';
import { convertHuggingFaceFolder, CONVERSION_RECORD, type ConvertProgress } from '@main/engine/hf-convert/convert';
import { ConvertError } from '@main/engine/hf-convert/convert-error';
import { LLAMA_CPP_COMMIT } from '@main/engine/hf-convert/plan';
import { topLevelJsonKeys } from '@main/engine/hf-convert/safetensors';
import { tempDir } from '../helpers/temp-dir';
import {
  ggufTensorBytes,
  hfTensorsFromTinyGguf,
  writeSafetensors,
  writeTinyHfCheckpoint,
  type HfLayout,
  type HfTensor,
  type HfTensorInMemory,
} from '../models/tiny-hf-checkpoint';
import { SHARED_PROMPT_FILE, TINY_LM, TINY_VISION, writeTinyModelFolder } from '../models/tiny-gguf';

const root = tempDir('gt-hf-convert-');
const SEED = 7;
let tensors: HfTensorInMemory[];

async function checkpoint(
  name: string,
  layout: HfLayout,
  edit?: (c: Record<string, unknown>) => void,
): Promise<string> {
  const dir = path.join(root, name);
  await writeTinyHfCheckpoint(dir, tensors, { lm: TINY_LM, vision: TINY_VISION, layout, editConfig: edit });
  return dir;
}

/** Keys whose difference between the converter and tiny-gguf.ts is intended (docs/model-setup.md, "Equivalence"). */
const ONLY_IN_TINY = new Set([
  'general.alignment', // gguf-py never writes it; 32 is GGUF's default, which both files use
  'tokenizer.ggml.add_bos_token', // tiny writes false; the converter writes what tokenizer_config.json says (nothing for Qwen2.5-VL), and llama.cpp's default for qwen2 is false
  'clip.has_audio_encoder', // tiny writes false; MmprojModel writes it only for audio encoders (base.py:2531), and clip.cpp reads a missing key as false
  'clip.vision.spatial_merge_size', // the converter does not record it; clip.cpp defaults to 2 (and the converter refuses other values)
]);
const ONLY_IN_CONVERTED = new Set(['general.type', 'general.quantization_version']);
const DIFFERENT_VALUE = new Set(['general.name']);

function sameValue(a: GgufValue | undefined, b: GgufValue | undefined): boolean {
  return (
    JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ===
    JSON.stringify(b, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
  );
}

async function expectEquivalent(converted: string, reference: string): Promise<void> {
  const a = await readGgufHeader(converted, { maxArrayLength: 1 << 20 });
  const b = await readGgufHeader(reference, { maxArrayLength: 1 << 20 });
  const keys = new Set([...a.metadata.keys(), ...b.metadata.keys()]);
  const unexplained: string[] = [];
  for (const k of keys) {
    const inA = a.metadata.has(k);
    const inB = b.metadata.has(k);
    if (!inA && ONLY_IN_TINY.has(k)) continue;
    if (!inB && ONLY_IN_CONVERTED.has(k)) continue;
    if (inA && inB && DIFFERENT_VALUE.has(k)) continue;
    if (!sameValue(a.metadata.get(k), b.metadata.get(k))) unexplained.push(k);
  }
  expect(unexplained).toEqual([]);
  expect(a.metadata.size).toBeGreaterThan(15);
  const names = (h: GgufHeader) => h.tensors.map((t) => t.name).sort();
  expect(names(a)).toEqual(names(b));
  for (const t of b.tensors) {
    const c = a.tensors.find((x) => x.name === t.name)!;
    expect({ name: t.name, dims: c.dims, type: c.type }).toEqual({ name: t.name, dims: t.dims, type: t.type });
    const same = (await ggufTensorBytes(converted, a, t.name)).equals(await ggufTensorBytes(reference, b, t.name));
    expect({ name: t.name, same }).toEqual({ name: t.name, same: true });
  }
}

async function nothingLeftBehind(outDir: string): Promise<void> {
  expect(
    await stat(outDir).then(
      () => true,
      () => false,
    ),
  ).toBe(false);
  const siblings = await readdir(path.dirname(outDir));
  expect(siblings.filter((s) => s.startsWith(`.${path.basename(outDir)}.converting-`))).toEqual([]);
}

async function expectFailure(
  hfDir: string,
  code: ConvertError['code'],
  pattern: RegExp,
  extra: Partial<Parameters<typeof convertHuggingFaceFolder>[0]> = {},
): Promise<void> {
  const outDir = path.join(root, 'out', `${path.basename(hfDir)}-${Math.random().toString(36).slice(2)}`);
  const err = await convertHuggingFaceFolder({ hfDir, outDir, ...extra }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConvertError);
  expect((err as ConvertError).code).toBe(code);
  expect((err as Error).message).toMatch(pattern);
  await nothingLeftBehind(outDir);
}

beforeAll(async () => {
  const f32 = await writeTinyModelFolder(path.join(root, 'tiny-f32'), { seed: SEED });
  tensors = await hfTensorsFromTinyGguf(f32.modelPath, f32.mmprojPath);
});

describe('equivalence with the project tiny-GGUF writer', () => {
  it('F32 shards (legacy names, 3 shards + index) → F16 model and F32 projector: same tensors, same keys', async () => {
    const hfDir = await checkpoint('legacy-f32', { modern: false, dtype: 'F32', shards: 3 });
    const reference = await writeTinyModelFolder(path.join(root, 'tiny-f16'), {
      seed: SEED,
      lmWeightType: GgmlType.F16,
    });
    const progress: ConvertProgress[] = [];
    const result = await convertHuggingFaceFolder({
      hfDir,
      outDir: path.join(root, 'out', 'legacy-f16'),
      modelType: 'f16',
      mmprojType: 'f32',
      promptFile: SHARED_PROMPT_FILE,
      onProgress: (p) => progress.push(p),
    });
    expect(result.check.ok).toBe(true);
    expect(result.check.errors).toEqual([]);
    expect(result.check.model?.architecture).toBe('qwen2vl');
    expect(result.check.mmproj?.projector).toBe('qwen2.5vl_merger');
    expect(result.check.promptHashOk).toBe(true);
    expect(result.check.generationConfig?.repetitionPenalty).toBe(1.05);
    await expectEquivalent(result.modelPath, reference.modelPath);
    await expectEquivalent(result.mmprojPath, reference.mmprojPath);
    // Progress is monotonic, ends at the total, and names the phases.
    expect(progress.at(-1)).toMatchObject({ phase: 'done' });
    expect(progress.at(-1)!.done).toBe(progress.at(-1)!.total);
    for (let i = 1; i < progress.length; i++) expect(progress[i].done).toBeGreaterThanOrEqual(progress[i - 1].done);
    expect(new Set(progress.map((p) => p.phase))).toEqual(
      new Set(['checking', 'checksums', 'model', 'mmproj', 'verifying', 'done']),
    );
    // The record names the reference commit and every input with its sha256.
    const record = JSON.parse(await readFile(path.join(result.outDir, CONVERSION_RECORD), 'utf8')) as {
      llamaCppConverterCommit: string;
      inputs: Record<string, { sha256: string; bytes: number }>;
    };
    expect(record.llamaCppConverterCommit).toBe(LLAMA_CPP_COMMIT);
    expect(Object.keys(record.inputs).sort()).toEqual(
      [
        'config.json',
        'generation_config.json',
        'model-00001-of-00003.safetensors',
        'model-00002-of-00003.safetensors',
        'model-00003-of-00003.safetensors',
        'model.safetensors.index.json',
        'preprocessor_config.json',
        'tokenizer.json',
        'tokenizer_config.json',
      ].sort(),
    );
    for (const v of Object.values(record.inputs)) expect(v.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('F32 (modern names: model.language_model.*, model.visual.*, nested text_config, chat_template.jinja) → Q8_0, byte-identical to the writer', async () => {
    const hfDir = await checkpoint('modern-f32', { modern: true, dtype: 'F32', shards: 2 });
    const reference = await writeTinyModelFolder(path.join(root, 'tiny-q8'), {
      seed: SEED,
      lmWeightType: GgmlType.Q8_0,
    });
    const result = await convertHuggingFaceFolder({
      hfDir,
      outDir: path.join(root, 'out', 'modern-q8'),
      modelType: 'q8_0',
      mmprojType: 'f32',
      promptFile: SHARED_PROMPT_FILE,
    });
    expect(result.check.ok).toBe(true);
    await expectEquivalent(result.modelPath, reference.modelPath);
    await expectEquivalent(result.mmprojPath, reference.mmprojPath);
  });

  it('BF16 shards → F16 with an F16 projector whose patch embedding is F16 (tensor_force_quant) and norms F32', async () => {
    const hfDir = await checkpoint('modern-bf16', { modern: true, dtype: 'BF16', shards: 2, untied: true });
    const result = await convertHuggingFaceFolder({ hfDir, outDir: path.join(root, 'out', 'bf16'), modelType: 'f16' });
    // No --prompt: the folder passes every model check except the prompt, which the user adds.
    expect(result.check.errors.every((e) => e.includes('qta_pormpt.txt'))).toBe(true);
    const mm = await readGgufHeader(result.mmprojPath);
    const type = (n: string) => mm.tensors.find((t) => t.name === n)!.type;
    expect(type('v.patch_embd.weight')).toBe(GgmlType.F16);
    expect(type('v.patch_embd.weight.1')).toBe(GgmlType.F16);
    expect(type('v.blk.0.attn_q.weight')).toBe(GgmlType.F16);
    expect(type('v.blk.0.attn_q.bias')).toBe(GgmlType.F32);
    expect(type('v.blk.0.ln1.weight')).toBe(GgmlType.F32);
    const lm = await readGgufHeader(result.modelPath);
    // Untied: lm_head.weight becomes output.weight.
    expect(lm.tensors.find((t) => t.name === 'output.weight')?.type).toBe(GgmlType.F16);
    expect(lm.tensors.find((t) => t.name === 'blk.0.attn_norm.weight')?.type).toBe(GgmlType.F32);
    // bf16 values are exact in f16 range here, so the F16 file decodes to the bf16-rounded weights.
    const bf16 = tensors.find((t) => t.name === 'model.norm.weight')!;
    expect(bf16.values[0]).toBe(1);
  });
});

describe('bad input: a clear error naming the file, and nothing left behind', () => {
  it('another architecture', async () => {
    const hfDir = await checkpoint('llama', { modern: false, dtype: 'F32', shards: 1 }, (c) => {
      c.architectures = ['LlamaForCausalLM'];
      c.model_type = 'llama';
    });
    await expectFailure(hfDir, 'invalid_checkpoint', /config\.json: the model is "LlamaForCausalLM".*only Qwen2\.5-VL/);
  });

  it('a missing shard', async () => {
    const hfDir = await checkpoint('missing-shard', { modern: false, dtype: 'F32', shards: 3 });
    await unlink(path.join(hfDir, 'model-00002-of-00003.safetensors'));
    await expectFailure(
      hfDir,
      'invalid_checkpoint',
      /shard model-00002-of-00003\.safetensors listed in model\.safetensors\.index\.json is missing/,
    );
  });

  it('a truncated shard', async () => {
    const hfDir = await checkpoint('truncated', { modern: false, dtype: 'F32', shards: 2 });
    const file = path.join(hfDir, 'model-00001-of-00002.safetensors');
    await truncate(file, (await stat(file)).size - 1000);
    await expectFailure(
      hfDir,
      'invalid_checkpoint',
      /model-00001-of-00002\.safetensors: tensor ".*" ends at data byte \d+ but the file holds only \d+ bytes of data \(truncated download/,
    );
  });

  it('a header that lies about a tensor size, or about where tensors are', async () => {
    const dir = await checkpoint('lying', { modern: false, dtype: 'F32', shards: 1 });
    const file = path.join(dir, 'model.safetensors');
    const small = tensors.filter((t) => t.shape.length === 1).slice(0, 2);
    const rest = tensors.filter((t) => !small.includes(t));
    await writeSafetensors(file, [...small, ...rest], 'F32', {
      rawHeader: (h) => {
        const e = h[small[0].name] as { shape: number[] };
        e.shape = [e.shape[0] * 2];
        return JSON.stringify(h);
      },
    });
    await expectFailure(
      dir,
      'invalid_checkpoint',
      /model\.safetensors: tensor ".*" claims bytes 0\.\.\d+ .* needs \d+: the header lies about its offsets/,
    );
    await writeSafetensors(file, [...small, ...rest], 'F32', {
      rawHeader: (h) => {
        const a = h[small[0].name] as { data_offsets: number[] };
        const b = h[small[1].name] as { data_offsets: number[] };
        const len = b.data_offsets[1] - b.data_offsets[0];
        b.data_offsets = [a.data_offsets[0], a.data_offsets[0] + len];
        return JSON.stringify(h);
      },
    });
    await expectFailure(dir, 'invalid_checkpoint', /model\.safetensors: tensors ".*" and ".*" overlap/);
  });

  it('a 100 MB header is refused before it is read', async () => {
    const dir = await checkpoint('huge-header', { modern: false, dtype: 'F32', shards: 1 });
    const file = path.join(dir, 'model.safetensors');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(100_000_000n);
    const handle = await open(file, 'r+');
    await handle.write(len, 0, 8, 0);
    await handle.close();
    await expectFailure(dir, 'invalid_checkpoint', /model\.safetensors: declares a 100000000-byte header/);
  });

  it('a tensor listed twice in one header, or stored in two shards', async () => {
    const dir = await checkpoint('dup', { modern: false, dtype: 'F32', shards: 1 });
    const file = path.join(dir, 'model.safetensors');
    await writeSafetensors(file, tensors, 'F32', {
      rawHeader: (h) => {
        const json = JSON.stringify(h);
        const first = tensors[0].name;
        return json.replace('{', `{"${first}":${JSON.stringify(h[first])},`);
      },
    });
    expect(topLevelJsonKeys('{"a":{"b":1},"a":[1,{"c":2}],"d":"x,\\"y"}')).toEqual(['a', 'a', 'd']);
    await expectFailure(dir, 'invalid_checkpoint', /model\.safetensors: tensor ".*" is listed twice in the header/);

    const two = await checkpoint('dup-shards', { modern: false, dtype: 'F32', shards: 1 });
    await writeSafetensors(path.join(two, 'model-extra.safetensors'), [tensors[3]], 'F32');
    await expectFailure(
      two,
      'invalid_checkpoint',
      new RegExp(
        `tensor "${tensors[3].name.replaceAll('.', '\\.')}" is stored twice, in model-extra\\.safetensors and model\\.safetensors`,
      ),
    );
  });

  it('a tensor the converter does not know', async () => {
    const dir = await checkpoint('unknown', { modern: false, dtype: 'F32', shards: 1 });
    const extra: HfTensor = {
      name: 'model.layers.0.self_attn.q_norm.weight',
      shape: [16],
      values: new Float32Array(16),
    };
    await writeSafetensors(path.join(dir, 'model.safetensors'), [...tensors, extra], 'F32');
    await expectFailure(
      dir,
      'invalid_checkpoint',
      /1 tensor\(s\) this converter does not know.*model\.layers\.0\.self_attn\.q_norm\.weight \(model\.safetensors\)/,
    );
  });

  it('a shape that does not match config.json', async () => {
    const dir = await checkpoint('shape', { modern: false, dtype: 'F32', shards: 1 }, (c) => {
      c.intermediate_size = 96;
    });
    await expectFailure(
      dir,
      'invalid_checkpoint',
      /model\.safetensors: tensor "model\.layers\.\d\.mlp\.\w+_proj\.weight" has shape .* but config\.json implies/,
    );
  });

  it('not enough disk space is found before anything is written', async () => {
    const dir = await checkpoint('disk', { modern: false, dtype: 'F32', shards: 1 });
    await expectFailure(dir, 'disk_full', /GiB free, the conversion needs about/, { freeBytes: async () => 1000 });
  });

  it('an output folder that is not empty is never overwritten', async () => {
    const dir = await checkpoint('occupied', { modern: false, dtype: 'F32', shards: 1 });
    const outDir = path.join(root, 'out', 'occupied');
    await mkdir(outDir, { recursive: true });
    await writeFile(path.join(outDir, 'keep.txt'), 'mine');
    const err = await convertHuggingFaceFolder({ hfDir: dir, outDir }).catch((e: unknown) => e);
    expect((err as ConvertError).code).toBe('invalid_output');
    expect(await readFile(path.join(outDir, 'keep.txt'), 'utf8')).toBe('mine');
    await rm(outDir, { recursive: true });
  });

  it('a partial folder left by a run that died is removed by the next run (restart, not resume)', async () => {
    const dir = await checkpoint('restart', { modern: false, dtype: 'F32', shards: 1 });
    const outDir = path.join(root, 'out', 'restart');
    // pid 2^22 + 1 is above the largest pid Linux hands out (pid_max ≤ 2^22): the leftovers of a run that is gone.
    const stale = path.join(root, 'out', `.restart.converting-${2 ** 22 + 1}-deadbeef`);
    await mkdir(stale, { recursive: true });
    await writeFile(path.join(stale, 'half.gguf'), 'GGUF');
    const result = await convertHuggingFaceFolder({ hfDir: dir, outDir, modelType: 'f16' });
    expect(result.outDir).toBe(outDir);
    expect((await readdir(path.join(root, 'out'))).filter((e) => e.startsWith('.restart.converting-'))).toEqual([]);
  });

  it('NaN weights convert with a warning that names the tensor and the file', async () => {
    const dir = await checkpoint('nan', { modern: false, dtype: 'F32', shards: 1 });
    const poisoned = tensors.map((t) =>
      t.name === 'model.layers.1.mlp.up_proj.weight' ? { ...t, values: t.values.map((v, i) => (i % 7 ? v : NaN)) } : t,
    );
    await writeSafetensors(path.join(dir, 'model.safetensors'), poisoned, 'F32');
    const result = await convertHuggingFaceFolder({
      hfDir: dir,
      outDir: path.join(root, 'out', 'nan'),
      modelType: 'f16',
    });
    expect(result.warnings.join('\n')).toMatch(
      /model\.safetensors: tensor "model\.layers\.1\.mlp\.up_proj\.weight" \(blk\.1\.ffn_up\.weight\) holds \d+ NaN\/Inf value/,
    );
  });

  it('cancel stops the conversion and removes the partial folder', async () => {
    const dir = await checkpoint('cancel', { modern: false, dtype: 'F32', shards: 2 });
    const controller = new AbortController();
    await expectFailure(dir, 'cancelled', /cancelled/, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'model') controller.abort();
      },
    });
  });
});
