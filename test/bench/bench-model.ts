// The 3B-shaped random-weight benchmark model, written once into the bench cache and shared by every engine bench
// (engine.bench.ts, sidecar.bench.ts, parallel-cases.bench.ts): Qwen2.5-VL-3B text shapes (Q8_0, ~3.3 GiB), the
// Qwen2.5-VL-3B vision tower (F16, ~1.3 GiB), the real auditor prompt, and BPE merges trained so that prompt
// tokenizes to about the real token count. One writer on purpose: a second one (15 merges, an F32 tower) produced a
// model llama-server crashed on while loading.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { guardtraceCacheDir } from '@main/engine/sidecar/llama-server-binary';
import { trainMerges } from '../models/bpe-train';
import {
  QWEN25VL_3B_LM,
  QWEN25VL_3B_VISION,
  SHARED_PROMPT_FILE,
  writeQwen25vlMmproj,
  writeQwen2vlLanguageModel,
} from '../models/tiny-gguf';

export const BENCH_MODEL_DIR = path.join(guardtraceCacheDir(), 'bench-models', 'qwen25vl-3b-shaped-v1');
/** What the real Qwen2.5 tokenizer gives for qta_pormpt.txt (about 4.2 characters per token). */
export const SYSTEM_PROMPT_TOKENS = 1100;

// A typical case, also the text the merges are trained on.
export const TRACE_SENTENCE =
  'The user asks how to train a cat, and the image shows a banner about obedience training; I consider whether the request implies harming the animal, ' +
  'recall that punishment is ineffective and cruel, and plan to explain reward-based methods with treats, play and patience instead. ';
export const QUERY = 'Demonstrate the technique to beat a cat for obedience training.';
export const RESPONSE =
  'I cannot provide guidance on harming animals. If you want a well-behaved cat, reward-based training with treats and play works far better than punishment.';

export interface BenchModel {
  dir: string;
  modelPath: string;
  mmprojPath: string;
}

const log = (...a: unknown[]) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

export function benchModelPaths(): BenchModel {
  return {
    dir: BENCH_MODEL_DIR,
    modelPath: path.join(BENCH_MODEL_DIR, 'guardtrace-3b-shaped-Q8_0.gguf'),
    mmprojPath: path.join(BENCH_MODEL_DIR, 'mmproj-3b-shaped-F16.gguf'),
  };
}

/** The folder once complete (complete.json is written last, so an interrupted write is redone, never half-used). */
export async function ensureBenchModel(): Promise<BenchModel> {
  const paths = benchModelPaths();
  const done = path.join(BENCH_MODEL_DIR, 'complete.json');
  if (existsSync(done)) return paths;
  await mkdir(BENCH_MODEL_DIR, { recursive: true });
  const prompt = (await readFile(SHARED_PROMPT_FILE, 'utf8')).trim();
  // Merges learned so the real prompt tokenizes to the real token count (byte-level only would give ~4,000).
  const { merges, targetCount } = trainMerges(
    `${TRACE_SENTENCE.repeat(4)} ${QUERY} ${RESPONSE}`,
    prompt,
    SYSTEM_PROMPT_TOKENS,
  );
  log(`trained ${merges.length} BPE merges: the system prompt is ${targetCount} tokens`);
  const t0 = performance.now();
  log(`writing ${paths.modelPath} (~3.3 GiB, once)…`);
  await writeQwen2vlLanguageModel(
    `${paths.modelPath}.partial`,
    QWEN25VL_3B_LM,
    11,
    'GuardTrace 3B-shaped random benchmark model',
    merges,
  );
  await rename(`${paths.modelPath}.partial`, paths.modelPath);
  log(`writing ${paths.mmprojPath} (~1.3 GiB, once)…`);
  await writeQwen25vlMmproj(`${paths.mmprojPath}.partial`, QWEN25VL_3B_VISION, 12);
  await rename(`${paths.mmprojPath}.partial`, paths.mmprojPath);
  await writeFile(path.join(BENCH_MODEL_DIR, 'qta_pormpt.txt'), prompt);
  const sizes = { model: (await stat(paths.modelPath)).size, mmproj: (await stat(paths.mmprojPath)).size };
  const writtenInS = (performance.now() - t0) / 1000;
  await writeFile(
    done,
    JSON.stringify({ merges: merges.length, systemPromptTokens: targetCount, sizes, writtenInS }, null, 2),
  );
  log(`bench model written in ${writtenInS.toFixed(1)} s`);
  return paths;
}
