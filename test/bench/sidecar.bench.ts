// Sidecar benchmark: llama-server (built here with native CPU flags) serving the 3B-shaped random-weight model,
// driven through the OpenAI-compatible engine exactly as the app does. Prints a markdown table.
//   npx tsx test/bench/sidecar.bench.ts   (also the last part of `npm run bench:engine`, test/bench/engine-all.ts)
// Env: GUARDTRACE_BENCH_CASES (default 1 per configuration), GUARDTRACE_BENCH_NEW_TOKENS (default 32),
//      GUARDTRACE_BENCH_THREADS (default: each runtime's choice),
//      GUARDTRACE_BENCH_SKIP_NLC=1 to leave out the node-llama-cpp comparison,
//      GUARDTRACE_BENCH_IMAGE_BUDGET=1 (or --image-budget) to add the image-budget row: one 1920x1080 case at the
//      reference budget (2,691 vision tokens) and at the small one (1,222), what the reference recipe costs on a CPU.
//   npx tsx test/bench/sidecar.bench.ts --image-budget-only   (that row alone)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditInput, AuditResult } from '@main/engine/engine';
import { checkModelFolderDetailed } from '@main/engine/model-folder';
import { DEFAULT_PROFILE } from '@main/engine/profiles';
import { loadSystemPrompt, type SystemPrompt } from '@main/engine/profiles/profile';
import { testVerdictContext } from '../helpers/verdict-context';
import sharp from 'sharp';
import { REFERENCE_MAX_PIXELS, SMALL_MAX_PIXELS, visionTokenLimits } from '@domain/fidelity';
import { OpenAiCompatibleEngine } from '@main/engine/openai/openai-engine';
import { findLlamaServerBinary } from '@main/engine/sidecar/llama-server-binary';
import { LlamaServerSidecar } from '@main/engine/sidecar/llama-server-sidecar';
import { SAMPLE_SET_DIR } from '../helpers/shared-dir';
import { ensureBenchModel } from './bench-model';

const CASES_PER_CONFIG = Number(process.env.GUARDTRACE_BENCH_CASES) || 1;
const NEW_TOKENS = Number(process.env.GUARDTRACE_BENCH_NEW_TOKENS) || 32;
const THREADS = Number(process.env.GUARDTRACE_BENCH_THREADS) || undefined;
/** --image-budget-only: just that row (both budgets, one after the other, on a machine left alone). */
const IMAGE_BUDGET_ONLY = process.argv.slice(2).includes('--image-budget-only');
const IMAGE_BUDGET_ROW =
  IMAGE_BUDGET_ONLY ||
  process.env.GUARDTRACE_BENCH_IMAGE_BUDGET === '1' ||
  process.argv.slice(2).includes('--image-budget');
const SAMPLES = SAMPLE_SET_DIR;

/** What engine-all.ts puts in the merged table (GUARDTRACE_BENCH_JSON). */
export interface SidecarSummary {
  build: string;
  textPromptTps: number;
  imagePromptTps: number;
  imageFromScratchS: number;
  imageReusedS: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function sampleCases(): AuditInput[] {
  const cases = JSON.parse(readFileSync(path.join(SAMPLES, 'cases.json'), 'utf8')) as Array<{
    image_name?: string;
    question: string;
    thinking: string;
    response: string;
  }>;
  return cases
    .filter(
      (c) =>
        c.image_name && /\.(png|jpe?g)$/i.test(c.image_name) && existsSync(path.join(SAMPLES, 'images', c.image_name)),
    )
    .map((c, i) => ({
      caseId: `bench-${i}`,
      query: c.question,
      thinking: c.thinking,
      response: c.response,
      image: {
        bytes: new Uint8Array(readFileSync(path.join(SAMPLES, 'images', c.image_name!))),
        mime: c.image_name!.endsWith('.png') ? 'image/png' : 'image/jpeg',
      },
      imageMissing: false,
    }));
}

async function nodeLlamaCppSpeeds(
  modelPath: string,
  promptText: string,
): Promise<{ promptTps: number; genTps: number } | null> {
  if (process.env.GUARDTRACE_BENCH_SKIP_NLC === '1') return null;
  const { getLlama } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({
    contextSize: 4096,
    batchSize: 512,
    ...(THREADS ? { threads: THREADS } : {}),
  });
  const sequence = context.getSequence();
  const tokens = model.tokenize(promptText).slice(0, 1024);
  let started = performance.now();
  const iterator = sequence.evaluate(tokens, { temperature: 0 });
  let first = await iterator.next();
  const promptMs = performance.now() - started;
  started = performance.now();
  let generated = 1;
  while (!first.done && generated < NEW_TOKENS) {
    first = await iterator.next();
    generated++;
  }
  const genMs = performance.now() - started;
  await iterator.return?.(undefined);
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return { promptTps: (tokens.length / promptMs) * 1000, genTps: ((generated - 1) / genMs) * 1000 };
}

/**
 * One 1920x1080 image case at the reference budget and at the small one, on a running sidecar with the system prompt
 * cached: the difference is what the reference image budget costs per image case on this machine. Kept apart so the
 * bench tables can be merged without touching it.
 */
async function imageBudgetRows(
  sidecar: LlamaServerSidecar,
  prompt: SystemPrompt,
  base: AuditInput,
): Promise<Array<[string, string]>> {
  // A photo-like 1920x1080 JPEG (gradient + noise), generated so the bench needs no extra file.
  const width = 1920;
  const height = 1080;
  const raw = Buffer.alloc(width * height * 3);
  let state = 1;
  for (let i = 0; i < raw.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
    raw[i] = ((i % (width * 3)) / 12 + (state >> 25)) & 255;
  }
  const jpeg = await sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
  const rows: Array<[string, string]> = [];
  for (const [label, maxPixels] of [
    ['reference budget', REFERENCE_MAX_PIXELS],
    ['small budget', SMALL_MAX_PIXELS],
  ] as const) {
    const engine = await OpenAiCompatibleEngine.connect({
      baseUrl: sidecar.baseUrl,
      model: 'bench',
      verdict: testVerdictContext(prompt, DEFAULT_PROFILE, maxPixels),
      cachePrompt: true,
      resolveEndpoint: () => sidecar.endpoint(),
      maxPixels,
    });
    try {
      await engine.audit({ ...base, caseId: `budget-warm-${label}`, image: null }, { maxNewTokens: 1 });
      const input = { ...base, caseId: `budget-${label}`, image: { bytes: new Uint8Array(jpeg), mime: 'image/jpeg' } };
      const r = await engine.audit(input, { maxNewTokens: NEW_TOKENS });
      console.error(`1920x1080 at the ${label}: ${(r.timings.totalMs / 1000).toFixed(1)} s`);
      rows.push([
        `1920x1080 image case, ${label} (≤ ${visionTokenLimits(maxPixels).max.toLocaleString('en-US')} vision tokens), system prompt cached`,
        `${(r.timings.totalMs / 1000).toFixed(1)} s total, ${(r.timings.promptMs / 1000).toFixed(1)} s prompt incl. image encoding; ` +
          `${r.promptTokens - r.cachedPromptTokens} prompt tokens evaluated, ${r.generatedTokens} generated`,
      ]);
    } finally {
      await engine.dispose();
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const binary = await findLlamaServerBinary(process.env.GUARDTRACE_LLAMA_SERVER ?? null);
  if (!binary) throw new Error('no llama-server binary: run `npm run build:llama-server` first');
  const { dir } = await ensureBenchModel();
  const folder = await checkModelFolderDetailed(dir);
  const prompt = await loadSystemPrompt(folder.promptPath!, DEFAULT_PROFILE);
  const cases = sampleCases();
  const dataDir = path.join(os.tmpdir(), 'guardtrace-sidecar-bench');

  const startedAt = performance.now();
  const sidecar = await LlamaServerSidecar.start({
    binaryPath: binary.path,
    modelPath: folder.modelPath!,
    mmprojPath: folder.mmprojPath,
    dataDir,
    threads: THREADS,
  });
  const startMs = performance.now() - startedAt;
  const rows: Array<[string, string]> = [];
  let summary: SidecarSummary | null = null;
  try {
    const connect = (cachePrompt: boolean) =>
      OpenAiCompatibleEngine.connect({
        baseUrl: sidecar.baseUrl,
        model: 'bench',
        verdict: testVerdictContext(prompt),
        cachePrompt,
        resolveEndpoint: () => sidecar.endpoint(),
        maxPixels: 448 * 448,
      });
    const budgetRows = IMAGE_BUDGET_ROW ? await imageBudgetRows(sidecar, prompt, cases[0]!) : [];
    if (IMAGE_BUDGET_ONLY) {
      rows.push(['machine', machine()], ...budgetRows);
      printTable(rows);
      return;
    }
    const fresh = await connect(false);
    const reuse = await connect(true);

    // From scratch: cache_prompt off, every case evaluates the whole prompt (system prompt + image + case).
    // Reuse: cache_prompt on; the first fresh-engine run leaves nothing reusable, so the reuse engine warms once.
    const runs: Record<'fresh' | 'reuse' | 'text', AuditResult[]> = { fresh: [], reuse: [], text: [] };
    for (let i = 0; i < CASES_PER_CONFIG; i++) {
      const c = cases[i % cases.length]!;
      runs.fresh.push(await fresh.audit({ ...c, caseId: `${c.caseId}-fresh-${i}` }, { maxNewTokens: NEW_TOKENS }));
      console.error(`from scratch ${i}: ${(runs.fresh.at(-1)!.timings.totalMs / 1000).toFixed(1)} s`);
    }
    const warm = await reuse.audit({ ...cases[0]!, caseId: 'warm', image: null }, { maxNewTokens: 1 });
    console.error(`warm-up: ${(warm.timings.totalMs / 1000).toFixed(1)} s (cached ${warm.cachedPromptTokens})`);
    for (let i = 0; i < CASES_PER_CONFIG; i++) {
      const c = cases[(i + 1) % cases.length]!;
      runs.reuse.push(await reuse.audit({ ...c, caseId: `${c.caseId}-reuse-${i}` }, { maxNewTokens: NEW_TOKENS }));
      console.error(
        `reuse ${i}: ${(runs.reuse.at(-1)!.timings.totalMs / 1000).toFixed(1)} s (cached ${runs.reuse.at(-1)!.cachedPromptTokens})`,
      );
      // Text-only prompt speed: the same case without its image, after the cached system prompt.
      const t = await reuse.audit({ ...c, caseId: `${c.caseId}-text-${i}`, image: null }, { maxNewTokens: 2 });
      runs.text.push(t);
    }
    await fresh.dispose();
    await reuse.dispose();
    await sidecar.stop(); // frees the cores for the node-llama-cpp comparison
    const promptTps = (r: AuditResult) => ((r.promptTokens - r.cachedPromptTokens) / r.timings.promptMs) * 1000;
    const nlc = await nodeLlamaCppSpeeds(
      folder.modelPath!,
      `${prompt.text}\n${cases.map((c) => c.query + c.thinking + c.response).join('\n')}`.repeat(2),
    );

    const fmt = (n: number, digits = 1) => n.toFixed(digits);
    rows.push(['llama-server build', `${binary.source}: ${binary.path}`]);
    rows.push(['machine', machine()]);
    rows.push(['server start (3B load + mmproj) ', `${fmt(startMs / 1000)} s`]);
    rows.push([
      'prompt tokens per image case (system prompt + image + case)',
      `${median(runs.fresh.map((r) => r.promptTokens))}`,
    ]);
    rows.push([
      'prompt tok/s, text-only case part after the cached system prompt',
      `${fmt(median(runs.text.map(promptTps)))} (${median(runs.text.map((r) => r.promptTokens - r.cachedPromptTokens))} tokens)`,
    ]);
    rows.push([
      'prompt tok/s, whole image case from scratch, incl. image encoding',
      fmt(median(runs.fresh.map(promptTps))),
    ]);
    // No generation tok/s here: the random model ends most answers after a token or two, so tokens/time of these
    // cases is not a speed (it printed 0.2 tok/s). parallel-cases.bench.ts measures generation with ignore_eos.
    rows.push([
      `per-case time, image, from scratch (${NEW_TOKENS} new tokens), median`,
      `${fmt(median(runs.fresh.map((r) => r.timings.totalMs)) / 1000)} s`,
    ]);
    rows.push([
      `per-case time, image, system prompt reused (cache_prompt), median`,
      `${fmt(median(runs.reuse.map((r) => r.timings.totalMs)) / 1000)} s (cached ${median(runs.reuse.map((r) => r.cachedPromptTokens))} tokens)`,
    ]);
    rows.push([
      'prefix reuse speed-up',
      `${fmt(median(runs.fresh.map((r) => r.timings.totalMs)) / median(runs.reuse.map((r) => r.timings.totalMs)), 2)}×`,
    ]);
    rows.push(...budgetRows);
    if (nlc) {
      rows.push([
        'node-llama-cpp 3.21.1, same LM: prompt / generation tok/s',
        `${fmt(nlc.promptTps)} / ${fmt(nlc.genTps)}`,
      ]);
      rows.push([
        'node-llama-cpp ÷ sidecar (prompt tok/s from scratch)',
        `${fmt(nlc.promptTps / median(runs.fresh.map(promptTps)), 2)}× (target ≤ 1.5×)`,
      ]);
    }
    summary = {
      build: binary.source,
      textPromptTps: median(runs.text.map(promptTps)),
      imagePromptTps: median(runs.fresh.map(promptTps)),
      imageFromScratchS: median(runs.fresh.map((r) => r.timings.totalMs)) / 1000,
      imageReusedS: median(runs.reuse.map((r) => r.timings.totalMs)) / 1000,
    };
  } finally {
    await sidecar.stop();
  }
  if (process.env.GUARDTRACE_BENCH_JSON && summary)
    writeFileSync(process.env.GUARDTRACE_BENCH_JSON, JSON.stringify(summary));
  printTable(rows);
}

function printTable(rows: Array<[string, string]>): void {
  console.log(`\n### llama-server sidecar, 3B-shaped random model, ${CASES_PER_CONFIG} cases per configuration\n`);
  console.log('| measure | value |\n|---|---|');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
}

function machine(): string {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average at the end ${load}`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
