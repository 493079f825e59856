// The parts that need llama.cpp's own llama-quantize (built by `npm run build:llama-server`):
// - Q8_0 written by the converter is byte-identical to ggml's quantizer (quantize_row_q8_0_ref, run by llama-quantize);
// - --type q4_k_m / q5_k_m / q6_k go through llama-quantize and give a folder the app's model check passes.
// Skipped, saying why, where llama-quantize has not been built.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { readGgufHeader } from '@main/engine/gguf/gguf-reader';
import { GgmlType } from '@main/engine/gguf/gguf-types';
import { convertHuggingFaceFolder } from '@main/engine/hf-convert/convert';
import { findLlamaQuantize } from '@main/engine/hf-convert/llama-quantize';
import { tempDir } from '../helpers/temp-dir';
import { ggufTensorBytes, hfTensorsFromTinyGguf, writeTinyHfCheckpoint } from '../models/tiny-hf-checkpoint';
import { SHARED_PROMPT_FILE, TINY_LM, TINY_VISION, writeTinyModelFolder } from '../models/tiny-gguf';

const quantize = await findLlamaQuantize();
const skipReason = quantize
  ? null
  : 'no llama-quantize in the llama-server build cache or on PATH — build it with `npm run build:llama-server`';
if (skipReason) console.warn(`[test/engine/hf-convert-quantize] SKIPPED: ${skipReason}`);

const root = tempDir('gt-convert-quantize-');

describe.skipIf(skipReason !== null)('with llama-quantize', () => {
  let hfDir: string;
  let f32ModelPath: string;

  beforeAll(async () => {
    const f32 = await writeTinyModelFolder(path.join(root, 'tiny-f32'), { seed: 21 });
    f32ModelPath = f32.modelPath;
    hfDir = path.join(root, 'hf');
    await writeTinyHfCheckpoint(hfDir, await hfTensorsFromTinyGguf(f32.modelPath, f32.mmprojPath), {
      lm: TINY_LM,
      vision: TINY_VISION,
      layout: { modern: false, dtype: 'F32', shards: 2 },
    });
  });

  it('Q8_0 from the converter equals ggml quantizing the same F32 weights, byte for byte', async () => {
    const ggml = path.join(root, 'ggml-q8_0.gguf');
    await promisify(execFile)(quantize!, [f32ModelPath, ggml, 'Q8_0']);
    const ours = await convertHuggingFaceFolder({ hfDir, outDir: path.join(root, 'q8'), modelType: 'q8_0' });
    const a = await readGgufHeader(ours.modelPath);
    const b = await readGgufHeader(ggml);
    const q8 = b.tensors.filter((t) => t.type === GgmlType.Q8_0).map((t) => t.name);
    expect(q8.length).toBeGreaterThan(10);
    for (const name of q8) {
      expect({ name, type: a.tensors.find((t) => t.name === name)?.type }).toEqual({ name, type: GgmlType.Q8_0 });
      const same = (await ggufTensorBytes(ours.modelPath, a, name)).equals(await ggufTensorBytes(ggml, b, name));
      expect({ name, same }).toEqual({ name, same: true });
    }
  });

  it.each(['q4_k_m', 'q5_k_m', 'q6_k'] as const)(
    '--type %s goes through llama-quantize and passes the model check',
    async (type) => {
      const result = await convertHuggingFaceFolder({
        hfDir,
        outDir: path.join(root, type),
        modelType: type,
        promptFile: SHARED_PROMPT_FILE,
      });
      expect(result.check.errors).toEqual([]);
      expect(result.check.model?.quantization).toBe(type.toUpperCase());
      expect(path.basename(result.modelPath)).toBe(`hf-${type.toUpperCase()}.gguf`);
    },
  );
});
