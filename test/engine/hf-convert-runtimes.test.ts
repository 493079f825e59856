// A converted Hugging Face checkpoint loads in all three runtimes and audits the sample cases, images included,
// with exactly the greedy output of the same weights written by the project's tiny-GGUF writer.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditInput, Engine } from '@main/engine/engine';
import { buildInProcessConfig } from '@main/engine/engine-manager';
import { createHttpEngine } from '@main/engine/http-engines';
import { convertHuggingFaceFolder } from '@main/engine/hf-convert/convert';
import { GgmlType } from '@main/engine/gguf/gguf-types';
import { LlamaNodeEngine } from '@main/engine/llama-node-engine';
import { checkModelFolderDetailed } from '@main/engine/model-folder';
import { NodeLlamaCppEngine } from '@main/engine/node-llama-cpp-engine';
import { DEFAULT_PROFILE } from '@main/engine/profiles';
import { loadSystemPrompt } from '@main/engine/profiles/profile';
import { findLlamaServerBinary } from '@main/engine/sidecar/llama-server-binary';
import { SAMPLE_SET_DIR } from '../helpers/shared-dir';
import { tempDir } from '../helpers/temp-dir';
import { hfTensorsFromTinyGguf, writeTinyHfCheckpoint } from '../models/tiny-hf-checkpoint';
import { SHARED_PROMPT_FILE, TINY_LM, TINY_VISION, writeTinyModelFolder } from '../models/tiny-gguf';

const root = tempDir('gt-convert-runtimes-');
const SEED = 11;
const MAX_NEW_TOKENS = 8;
const binary = await findLlamaServerBinary(process.env.GUARDTRACE_LLAMA_SERVER ?? null);
if (!binary)
  console.warn(
    '[test/engine/hf-convert-runtimes] sidecar part SKIPPED: no llama-server binary in the build cache or on PATH — build it with `npm run build:llama-server`',
  );

interface SampleCase {
  image_name?: string | null;
  question: string;
  thinking: string;
  response: string;
}

let converted: string;
let reference: string;
let cases: AuditInput[];

const MIME: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.webp': 'image/webp' };

async function sampleCases(): Promise<AuditInput[]> {
  const raw = JSON.parse(await readFile(path.join(SAMPLE_SET_DIR, 'cases.json'), 'utf8')) as SampleCase[];
  const out: AuditInput[] = [];
  for (const [i, c] of raw.entries()) {
    let image: AuditInput['image'] = null;
    if (c.image_name) {
      const bytes = await readFile(path.join(SAMPLE_SET_DIR, 'images', c.image_name)).catch(() => null);
      if (!bytes) continue; // the sample set's deliberately missing image
      image = { bytes: new Uint8Array(bytes), mime: MIME[path.extname(c.image_name)] ?? 'image/png' };
    }
    out.push({
      caseId: `s${i}`,
      query: c.question,
      thinking: c.thinking,
      response: c.response,
      image,
      imageMissing: false,
    });
  }
  return out;
}

async function inProcessConfig(dir: string) {
  const check = await checkModelFolderDetailed(dir);
  expect(check.errors).toEqual([]);
  const prompt = await loadSystemPrompt(check.promptPath!, DEFAULT_PROFILE);
  return buildInProcessConfig(check, prompt, { threads: 2, gpu: false, maxPixels: 64 * 28 * 28 });
}

async function outputs(engine: Engine, inputs: AuditInput[]): Promise<string[]> {
  const out: string[] = [];
  for (const input of inputs) {
    const r = await engine.audit(input, { maxNewTokens: MAX_NEW_TOKENS });
    expect(r.generatedTokens).toBeGreaterThan(0);
    out.push(r.rawOutput);
  }
  return out;
}

beforeAll(async () => {
  const f32 = await writeTinyModelFolder(path.join(root, 'tiny-f32'), { seed: SEED });
  const hfDir = path.join(root, 'hf');
  await writeTinyHfCheckpoint(hfDir, await hfTensorsFromTinyGguf(f32.modelPath, f32.mmprojPath), {
    lm: TINY_LM,
    vision: TINY_VISION,
    layout: { modern: true, dtype: 'F32', shards: 2 },
  });
  converted = (
    await convertHuggingFaceFolder({
      hfDir,
      outDir: path.join(root, 'converted'),
      modelType: 'f16',
      mmprojType: 'f32',
      promptFile: SHARED_PROMPT_FILE,
    })
  ).outDir;
  reference = (await writeTinyModelFolder(path.join(root, 'reference'), { seed: SEED, lmWeightType: GgmlType.F16 }))
    .dir;
  cases = await sampleCases();
  expect(cases.filter((c) => c.image).length).toBeGreaterThanOrEqual(3);
}, 120_000);

describe('a converted checkpoint in the three runtimes', () => {
  const engines: Engine[] = [];
  afterAll(async () => {
    for (const e of engines) await e.dispose().catch(() => undefined);
  });

  it('llama.node: audits the sample image cases (PNG, JPEG, WebP through the converted projector) as the writer’s model does', async () => {
    // One case per image format keeps this under a few minutes on 2 loaded cores (each case is ~4,000 tokens with
    // the tiny tokenizer).
    const images = [...new Map(cases.filter((c) => c.image).map((c) => [c.image!.mime, c])).values()];
    expect(images.length).toBe(3);
    const a = await LlamaNodeEngine.create(await inProcessConfig(converted));
    engines.push(a);
    const fromConverted = await outputs(a, images);
    await a.dispose();
    const b = await LlamaNodeEngine.create(await inProcessConfig(reference));
    engines.push(b);
    const fromReference = await outputs(b, images);
    await b.dispose();
    expect(fromConverted).toEqual(fromReference);
  }, 600_000);

  it('node-llama-cpp: the text path gives the same greedy output', async () => {
    const text = cases
      .filter((c) => !c.image)
      .concat(cases.slice(0, 1).map((c) => ({ ...c, caseId: 'noimg', image: null })));
    const a = await NodeLlamaCppEngine.create({ ...(await inProcessConfig(converted)), mmprojPath: null });
    engines.push(a);
    const fromConverted = await outputs(a, text);
    await a.dispose();
    const b = await NodeLlamaCppEngine.create({ ...(await inProcessConfig(reference)), mmprojPath: null });
    engines.push(b);
    const fromReference = await outputs(b, text);
    await b.dispose();
    expect(fromConverted).toEqual(fromReference);
  }, 300_000);

  it.skipIf(!binary)(
    'the llama-server sidecar: loads the pair and audits an image case as the writer’s model does',
    async () => {
      const imageCase = cases.find((c) => c.image)!;
      const results: string[] = [];
      for (const dir of [converted, reference]) {
        const engine = await createHttpEngine(
          { engine: 'sidecar', modelDir: dir },
          {
            dataDir: path.join(root, `sidecar-${results.length}`),
            maxPixels: 224 * 224,
            llamaServerPath: binary!.path,
          },
        );
        engines.push(engine);
        results.push(...(await outputs(engine, [imageCase])));
        await engine.dispose();
      }
      expect(results[0]).toBe(results[1]);
    },
  );
});
