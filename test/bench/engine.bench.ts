// npm run bench:engine [-- --quick] [--gen N] [--threads N] [--skip-3b] [--skip-llama-node-case] [--cases N]
//
// 1. Text-only throughput of node-llama-cpp vs llama.node on the SAME random-weight model with the real
//    Qwen2.5-VL-3B text shapes (Q8_0, ~3.3 GiB), generated once into ~/.cache/guardtrace/bench-models/.
// 2. Per-case time for a typical GuardTrace case (real system prompt, 448x448 image, ~800-token trace) with and
//    without system-prompt KV reuse, and the tokens evaluated per case.
// 3. The app's own overhead per case (everything except native model compute) with the tiny test model.
// Prints markdown tables. Slow on 2 cores: llama.node's prebuilt x64 CPU build has no AVX (see docs/engine.md).
import { readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import type { AuditInput } from '@main/engine/engine';
import { buildInProcessConfig } from '@main/engine/engine-manager';
import { LlamaNodeEngine } from '@main/engine/llama-node-engine';
import { checkModelFolderDetailed } from '@main/engine/model-folder';
import { DEFAULT_PROFILE } from '@main/engine/profiles';
import { loadSystemPrompt } from '@main/engine/profiles/profile';
import { NodeLlamaCppEngine } from '@main/engine/node-llama-cpp-engine';
import { BENCH_MODEL_DIR, ensureBenchModel, QUERY, RESPONSE, TRACE_SENTENCE } from './bench-model';
import { SHARED_PROMPT_FILE, writeTinyModelFolder } from '../models/tiny-gguf';

// ---------- arguments ----------
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const num = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const QUICK = flag('--quick');
const THREADS = num('--threads', os.availableParallelism());
const GEN_TOKENS = num('--gen', QUICK ? 8 : 300);
// llama.node's prebuilt CPU build generates ~1 tok/s on the 3B shapes: its image case defaults to fewer tokens.
const LN_GEN_TOKENS = num('--ln-gen', QUICK ? 4 : 16);
const OVERHEAD_CASES = num('--cases', QUICK ? 10 : 30);
const NLC_PP = num('--nlc-pp', QUICK ? 128 : 512);
const NLC_TG = num('--nlc-tg', QUICK ? 16 : 64);
const LN_PP = num('--ln-pp', QUICK ? 32 : 128);
const LN_TG = num('--ln-tg', QUICK ? 4 : 16);
const SKIP_3B = flag('--skip-3b');
const SKIP_LN_CASE = flag('--skip-llama-node-case');

const log = (...a: unknown[]) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

// ---------- typical case ----------

async function image448(seed: number): Promise<Uint8Array> {
  // Deterministic noise-like pattern; real photos compress differently but the model sees 256 vision tokens either way.
  const raw = Buffer.alloc(448 * 448 * 3);
  let x = seed * 2654435761;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    raw[i] = (x >>> 16) & 0xff;
  }
  return new Uint8Array(
    await sharp(raw, { raw: { width: 448, height: 448, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

function traceOfTokens(target: number, countTokens: (t: string) => number): string {
  let t = '';
  while (countTokens(t) < target) t += TRACE_SENTENCE;
  return t.trim();
}

// ---------- 1. text-only throughput, both runtimes, same file ----------
interface Throughput {
  runtime: string;
  build: string;
  ppTokens: number;
  ppPerS: number;
  tgTokens: number;
  tgPerS: number;
}

async function nodeLlamaCppThroughput(modelPath: string, text: string): Promise<Throughput> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: 'auto', build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath, gpuLayers: llama.gpu ? 'max' : 0 });
  const context = await model.createContext({ contextSize: 4096, threads: THREADS, batchSize: 512 });
  const seq = context.getSequence();
  try {
    const tokens = model.tokenize(text, false).slice(0, NLC_PP);
    const t = performance.now();
    await seq.evaluateWithoutGeneratingNewTokens(tokens.slice(0, -1));
    const gen = seq.evaluate(tokens.slice(-1), { temperature: 0 });
    let n = 0;
    let firstAt = 0;
    for await (const _ of gen) {
      if (n === 0) {
        firstAt = performance.now();
      }
      if (++n > NLC_TG) break;
    }
    const end = performance.now();
    const ppMs = firstAt - t;
    return {
      runtime: 'node-llama-cpp 3.21.1',
      build: `${llama.buildType} ${llama.gpu || 'cpu'}${/AVX512 = 1/.test(llama.systemInfo) ? ' (AVX-512)' : /AVX2 = 1/.test(llama.systemInfo) ? ' (AVX2)' : ''}`,
      ppTokens: tokens.length,
      ppPerS: tokens.length / (ppMs / 1000),
      tgTokens: NLC_TG,
      tgPerS: NLC_TG / ((end - firstAt) / 1000),
    };
  } finally {
    await seq.dispose();
    await context.dispose();
    await model.dispose();
  }
}

async function llamaNodeThroughput(modelPath: string, text: string): Promise<Throughput> {
  const { loadModel, getBackendDevicesInfo } = await import('@fugood/llama.node');
  const gpu = (await getBackendDevicesInfo()).some((d) => d.type === 'gpu');
  const ctx = await loadModel({
    model: modelPath,
    n_ctx: 4096,
    n_batch: 512,
    n_threads: THREADS,
    n_gpu_layers: gpu ? 999 : 0,
  });
  try {
    const tokens = Array.from((await ctx.tokenize(text)).tokens).slice(0, LN_PP);
    const prompt = await ctx.detokenize(tokens);
    const r = await ctx.completion({ prompt, n_predict: LN_TG, temperature: 0, ignore_eos: true });
    return {
      runtime: 'llama.node 1.7.15',
      build: `prebuilt ${process.platform}-${process.arch} ${gpu ? 'gpu' : 'cpu'}${/AVX/.test(ctx.getSystemInfo()) ? '' : ' (no AVX)'}`,
      ppTokens: r.timings.prompt_n,
      ppPerS: r.timings.prompt_per_second,
      tgTokens: r.timings.predicted_n,
      tgPerS: r.timings.predicted_per_second,
    };
  } finally {
    await ctx.release();
  }
}

// ---------- 2. per-case time for a typical case ----------
interface CaseRow {
  runtime: string;
  input: string;
  reuse: boolean;
  promptTokens: number;
  evaluated: number;
  generated: number;
  promptS: number;
  genS: number;
  totalS: number;
}

async function typicalCases(dir: string): Promise<CaseRow[]> {
  const rows: CaseRow[] = [];
  const check = await checkModelFolderDetailed(dir);
  if (!check.ok) throw new Error(check.errors.join('\n'));
  const prompt = await loadSystemPrompt(check.promptPath!, DEFAULT_PROFILE);
  const img = [await image448(1), await image448(2)];
  for (const reuse of [true, false]) {
    // node-llama-cpp: text-only case (it has no image input).
    const cfg = await buildInProcessConfig(check, prompt, { threads: THREADS, gpu: 'auto', prefixReuse: reuse });
    const nlc = await NodeLlamaCppEngine.create({ ...cfg, mmprojPath: null });
    try {
      const countTokens = (t: string) => (nlc as unknown as { tokenize(t: string): unknown[] }).tokenize(t).length;
      const trace = traceOfTokens(800, countTokens);
      const input = (id: string): AuditInput => ({
        caseId: id,
        query: QUERY,
        thinking: trace,
        response: RESPONSE,
        image: null,
        imageMissing: false,
      });
      await nlc.audit(input('nlc-prime'), { maxNewTokens: 1 }); // the first case after load; the timed one follows
      const r = await nlc.audit(
        { ...input('nlc-timed'), query: `${QUERY} (second case)` },
        { maxNewTokens: GEN_TOKENS },
      );
      rows.push(row('node-llama-cpp', 'text only', reuse, r));
      log('node-llama-cpp case', reuse ? 'with reuse' : 'without reuse', fmt(r.timings.totalMs / 1000), 's');
    } finally {
      await nlc.dispose();
    }
  }
  if (SKIP_LN_CASE) return rows;
  // One engine, two image cases: the first after load evaluates everything (= no reuse); the second differs only
  // after the system turn and reuses its KV (image→image). Saves a third full case, ~15 min on the prebuilt CPU build.
  const cfg = await buildInProcessConfig(check, prompt, { threads: THREADS, gpu: 'auto', warmSystemPrompt: false });
  const ln = await LlamaNodeEngine.create(cfg);
  try {
    const trace = traceOfTokens(800, (t) => t.length / 4.2); // sizes the trace only; the engine reports exact counts
    const input = (id: string, query: string, bytes: Uint8Array): AuditInput => ({
      caseId: id,
      query,
      thinking: trace,
      response: RESPONSE,
      image: { bytes, mime: 'image/png' },
      imageMissing: false,
    });
    for (const [i, reuse] of [
      [0, false],
      [1, true],
    ] as const) {
      log(`llama.node image case ${reuse ? 'with' : 'without'} reuse…`);
      const r = await ln.audit(input(`ln-${i}`, `${QUERY} (case ${i + 1})`, img[i]), { maxNewTokens: LN_GEN_TOKENS });
      rows.push(row('llama.node', '448x448 image', reuse, r));
      log(
        'llama.node case',
        reuse ? 'with reuse' : 'without reuse',
        fmt(r.timings.totalMs / 1000),
        's',
        JSON.stringify(rows.at(-1)),
      );
    }
  } finally {
    await ln.dispose();
  }
  return rows;
}

function row(
  runtime: string,
  input: string,
  reuse: boolean,
  r: Awaited<ReturnType<NodeLlamaCppEngine['audit']>>,
): CaseRow {
  return {
    runtime,
    input,
    reuse,
    promptTokens: r.promptTokens,
    evaluated: r.promptTokens - r.cachedPromptTokens,
    generated: r.generatedTokens,
    promptS: r.timings.promptMs / 1000,
    genS: r.timings.generateMs / 1000,
    totalS: r.timings.totalMs / 1000,
  };
}

// ---------- 3. app overhead per case, tiny model ----------
async function overhead(): Promise<
  Array<{ runtime: string; input: string; cases: number; medianMs: number; p90Ms: number }>
> {
  const dir = path.join(os.tmpdir(), `gt-bench-tiny-${process.pid}`);
  const f = await writeTinyModelFolder(dir);
  const check = await checkModelFolderDetailed(f.dir);
  const prompt = await loadSystemPrompt(f.promptPath, DEFAULT_PROFILE);
  const cfg = await buildInProcessConfig(check, prompt, { threads: THREADS, gpu: false });
  const images = await Promise.all(Array.from({ length: 4 }, (_, i) => image448(10 + i)));
  const out = [];
  const ln = await LlamaNodeEngine.create(cfg);
  const nlc = await NodeLlamaCppEngine.create({ ...cfg, mmprojPath: null });
  try {
    for (const [name, engine, withImage] of [
      ['llama.node', ln, true],
      ['llama.node', ln, false],
      ['node-llama-cpp', nlc, false],
    ] as const) {
      const samples: number[] = [];
      for (let i = 0; i < OVERHEAD_CASES + 2; i++) {
        const input: AuditInput = {
          caseId: `o${i}`,
          query: `${QUERY} #${i}`,
          thinking: TRACE_SENTENCE.repeat(3),
          response: RESPONSE,
          image: withImage ? { bytes: images[i % images.length], mime: 'image/png' } : null,
          imageMissing: false,
        };
        await engine.audit(input, { maxNewTokens: 4 });
        if (i >= 2) samples.push(engine.lastOverheadMs); // the first two warm caches and JIT
      }
      const sorted = [...samples].sort((a, b) => a - b);
      out.push({
        runtime: name,
        input: withImage ? '448x448 PNG' : 'text only',
        cases: samples.length,
        medianMs: median(samples),
        p90Ms: sorted[Math.floor(sorted.length * 0.9)],
      });
    }
  } finally {
    await ln.dispose();
    await nlc.dispose();
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}

// ---------- main ----------
const started = performance.now();
console.log(`# Engine benchmark (${new Date().toISOString()})`);
console.log(
  `machine: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB; threads ${THREADS}; node ${process.version}; ${QUICK ? 'quick run' : 'full run'}; generated tokens per typical case: ${GEN_TOKENS}`,
);

const oh = await overhead();
console.log('\n## App overhead per case (tiny model; everything except native model compute)\n');
console.log('| runtime | input | cases | median ms | p90 ms |');
console.log('|---|---|---:|---:|---:|');
for (const o of oh)
  console.log(`| ${o.runtime} | ${o.input} | ${o.cases} | ${fmt(o.medianMs, 2)} | ${fmt(o.p90Ms, 2)} |`);

if (!SKIP_3B) {
  const bench = await ensureBenchModel();
  const meta = JSON.parse(await readFile(path.join(BENCH_MODEL_DIR, 'complete.json'), 'utf8'));
  console.log(
    `\nbench model: ${bench.modelPath} (${fmt(meta.sizes.model / 2 ** 30, 2)} GiB Q8_0) + mmproj (${fmt(meta.sizes.mmproj / 2 ** 30, 2)} GiB F16); system prompt = ${meta.systemPromptTokens} tokens with the trained BPE`,
  );
  const text = (await readFile(SHARED_PROMPT_FILE, 'utf8')).trim().repeat(2);
  log('node-llama-cpp throughput…');
  const a = await nodeLlamaCppThroughput(bench.modelPath, text);
  log('llama.node throughput…');
  const b = await llamaNodeThroughput(bench.modelPath, text);
  console.log('\n## Text-only throughput, same 3B-shaped Q8_0 file\n');
  console.log('| runtime | build | prompt tokens | prompt tok/s | generated | gen tok/s |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const t of [a, b])
    console.log(
      `| ${t.runtime} | ${t.build} | ${t.ppTokens} | ${fmt(t.ppPerS, 2)} | ${t.tgTokens} | ${fmt(t.tgPerS, 2)} |`,
    );
  console.log(
    `\nratio node-llama-cpp / llama.node: prompt ${fmt(a.ppPerS / b.ppPerS)}x, generation ${fmt(a.tgPerS / b.tgPerS)}x`,
  );

  const rows = await typicalCases(bench.dir);
  if (process.env.GUARDTRACE_BENCH_JSON)
    await writeFile(process.env.GUARDTRACE_BENCH_JSON, JSON.stringify({ throughput: [a, b], typical: rows }));
  console.log(
    `\n## Typical case (real system prompt, ~800-token trace; generated tokens: node-llama-cpp ${GEN_TOKENS}, llama.node ${LN_GEN_TOKENS})\n`,
  );
  console.log(
    '| runtime | input | prefix reuse | prompt tokens | evaluated | generated | prompt s | gen s | total s |',
  );
  console.log('|---|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.runtime} | ${r.input} | ${r.reuse ? 'yes' : 'no'} | ${r.promptTokens} | ${r.evaluated} | ${r.generated} | ${fmt(r.promptS)} | ${fmt(r.genS)} | ${fmt(r.totalS)} |`,
    );
}
console.log(`\nbenchmark wall time: ${fmt((performance.now() - started) / 1000)} s`);
