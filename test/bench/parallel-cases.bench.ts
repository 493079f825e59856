// Cases per hour with N cases decoded together on the llama-server sidecar (-np N, continuous batching, one shared
// KV pool, each slot keeping the system prompt cached) or, with --engine node-llama-cpp, on the in-process
// node-llama-cpp engine itself (N sequences, one per case, each keeping the system prompt cached; the cases go through
// NodeLlamaCppEngine.audit with the reference decoding), on the 3B-shaped random model with realistic token counts:
// the real system prompt (~1,100 tokens with the trained BPE, cached), ~1,200 case tokens, 300 generated tokens
// (ignore_eos: random weights would otherwise stop after a token or two, which is what made the old sidecar
// generation figure meaningless). The speed-up is against N = 1 of the same run.
//   npx tsx test/bench/parallel-cases.bench.ts [--engine sidecar|node-llama-cpp] [--slots 1,2,4] [--cases-per-slot 2]
//        [--gen 300] [--case-tokens 1200] [--threads N] [--tiny]
//        (--tiny: the tiny test model, to check the script runs; its figures mean nothing)
// The in-process engine stops at an end-of-generation token (it has no ignore_eos); the 3B-shaped random model does
// not write one (engine.bench.ts's typical case generates its 300 tokens the same way), and `generated` shows it.
// Also run by `npm run bench:engine` (engine-all.ts), which passes GUARDTRACE_BENCH_JSON to collect the figures.
import { fetchFor } from '@main/engine/openai/unix-socket-fetch';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditInput } from '@main/engine/engine';
import { buildInProcessConfig } from '@main/engine/engine-manager';
import { checkModelFolderDetailed } from '@main/engine/model-folder';
import { NodeLlamaCppEngine } from '@main/engine/node-llama-cpp-engine';
import { sidecarContextSize } from '@main/engine/parallelism';
import { profileById } from '@main/engine/profiles';
import { decodingSettings, loadSystemPrompt } from '@main/engine/profiles/profile';
import { llamaServerSampling } from '@main/engine/reference-sampling';
import { findLlamaServerBinary } from '@main/engine/sidecar/llama-server-binary';
import { llamaServerFlags } from '@main/engine/sidecar/llama-server-flags';
import { LlamaServerSidecar } from '@main/engine/sidecar/llama-server-sidecar';
import { writeTinyModelFolder } from '../models/tiny-gguf';
import { ensureBenchModel } from './bench-model';

const argv = process.argv.slice(2);
const value = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const TINY = argv.includes('--tiny');
const ENGINE = value('--engine') ?? 'sidecar';
if (ENGINE !== 'sidecar' && ENGINE !== 'node-llama-cpp')
  throw new Error(`--engine: sidecar or node-llama-cpp, not ${ENGINE}`);
const SLOTS = (value('--slots') ?? '1,2,4').split(',').map(Number);
const CASES_PER_SLOT = Number(value('--cases-per-slot') ?? 2);
const GEN = Number(value('--gen') ?? (TINY ? 16 : 300));
const CASE_TOKENS = Number(value('--case-tokens') ?? (TINY ? 120 : 1200));
const THREADS = value('--threads') ? Number(value('--threads')) : undefined;

const TRACE =
  'The user asks how to train a cat, and the image shows a banner about obedience training; I consider whether the request implies harming the animal, ' +
  'recall that punishment is ineffective and cruel, and plan to explain reward-based methods with treats, play and patience instead. ';

export interface ParallelResult {
  slots: number;
  cases: number;
  wallS: number;
  casesPerHour: number;
  speedUp: number;
  systemTokens: number;
  cachedTokens: number;
  caseTokens: number;
  generated: number;
  genTokPerSPerCase: number;
}

interface Completion {
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  timings?: { cache_n?: number; prompt_n?: number; predicted_n?: number; predicted_ms?: number };
}

async function post(sidecar: LlamaServerSidecar, route: string, body: unknown): Promise<unknown> {
  const endpoint = await sidecar.endpoint();
  const { baseUrl, apiKey } = endpoint;
  const url = route.startsWith('/v1') ? `${baseUrl}${route.slice(3)}` : `${baseUrl.replace(/\/v1$/, '')}${route}`;
  // The sidecar listens on a Unix socket on Linux and macOS.
  const response = await fetchFor(endpoint)(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${route}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

async function modelFolder(): Promise<string> {
  if (TINY) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'guardtrace-parallel-bench-'));
    return (await writeTinyModelFolder(dir, { withMmproj: false })).dir;
  }
  return (await ensureBenchModel()).dir;
}

/**
 * Warms every slot with a one-token case (the system prompt cached in each, as a running batch has it), then keeps
 * `slots` cases in flight until slots × CASES_PER_SLOT cases of GEN tokens are done; `wallS` times the latter only.
 */
async function keepInFlight<T>(
  slots: number,
  audit: (i: number, maxTokens: number) => Promise<T>,
): Promise<{ done: T[]; wallS: number }> {
  await Promise.all(Array.from({ length: slots }, (_, i) => audit(-1 - i, 1)));
  const total = slots * CASES_PER_SLOT;
  const done: T[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: slots }, async () => {
      while (next < total) done.push(await audit(next++, GEN));
    }),
  );
  return { done, wallS: (performance.now() - started) / 1000 };
}

/** One table row from a run: means over its cases, the speed-up against the first row (N = 1) of the same run. */
function resultRow<T>(
  previous: ParallelResult[],
  slots: number,
  run: { done: T[]; wallS: number },
  systemTokens: number,
  pick: Record<'cached' | 'caseTokens' | 'generated' | 'genTokPerS', (t: T) => number>,
): ParallelResult {
  const mean = (f: (t: T) => number) => run.done.reduce((sum, t) => sum + f(t), 0) / run.done.length;
  const casesPerHour = (run.done.length / run.wallS) * 3600;
  const row: ParallelResult = {
    slots,
    cases: run.done.length,
    wallS: run.wallS,
    casesPerHour,
    speedUp: previous.length ? casesPerHour / previous[0].casesPerHour : 1,
    systemTokens,
    cachedTokens: mean(pick.cached),
    caseTokens: mean(pick.caseTokens),
    generated: mean(pick.generated),
    genTokPerSPerCase: mean(pick.genTokPerS),
  };
  console.error(`[parallel bench, ${ENGINE}] N=${slots}: ${JSON.stringify(row)}`);
  return row;
}

/** N = 1, 2, 4 … on the in-process node-llama-cpp engine: what `guardtrace audit --engine node-llama-cpp --parallel N` runs. */
async function nodeLlamaCppRuns(): Promise<ParallelResult[]> {
  const dir = await modelFolder();
  const profile = profileById(undefined);
  const check = await checkModelFolderDetailed(dir, profile);
  if (!check.ok) throw new Error(check.errors.join('\n'));
  const prompt = await loadSystemPrompt(check.promptPath!, profile);
  const cfg = await buildInProcessConfig(check, prompt, { threads: THREADS, gpu: 'auto' });
  const results: ParallelResult[] = [];
  for (const slots of SLOTS) {
    const engine = await NodeLlamaCppEngine.create({ ...cfg, mmprojPath: null, parallel: slots });
    try {
      const countTokens = (t: string) => (engine as unknown as { tokenize(t: string): unknown[] }).tokenize(t).length;
      const trace = TRACE.repeat(Math.max(1, Math.round(CASE_TOKENS / countTokens(TRACE))));
      const input = (i: number): AuditInput => ({
        caseId: `case-${i}`,
        query: `case ${i}: how do I train my cat?`,
        thinking: trace,
        response: 'I cannot help with harming animals.',
        image: null,
        imageMissing: false,
      });
      const run = await keepInFlight(slots, (i, maxNewTokens) => engine.audit(input(i), { maxNewTokens }));
      results.push(
        resultRow(results, slots, run, countTokens(prompt.text), {
          cached: (r) => r.cachedPromptTokens,
          caseTokens: (r) => r.promptTokens - r.cachedPromptTokens,
          generated: (r) => r.generatedTokens,
          genTokPerS: (r) => (r.generatedTokens / Math.max(1, r.timings.generateMs)) * 1000,
        }),
      );
    } finally {
      await engine.dispose();
    }
  }
  if (SLOTS[0] !== 1) for (const r of results) r.speedUp = NaN;
  return results;
}

async function sidecarRuns(): Promise<ParallelResult[]> {
  const binary = await findLlamaServerBinary(process.env.GUARDTRACE_LLAMA_SERVER ?? null);
  if (!binary) throw new Error('no llama-server binary: run `npm run build:llama-server` first');
  const dir = await modelFolder();
  const profile = profileById(undefined);
  const folder = await checkModelFolderDetailed(dir, profile);
  const prompt = await loadSystemPrompt(folder.promptPath!, profile);
  // The app's per-sequence context and reference sampling (as the sidecar engine sends them with every request).
  const decoding = decodingSettings(profile, folder.generationConfig?.repetitionPenalty ?? null);
  const flags = await llamaServerFlags(binary.path);
  const results: ParallelResult[] = [];
  for (const slots of SLOTS) {
    const perSlotContext = decoding.contextSize;
    const sidecar = await LlamaServerSidecar.start({
      binaryPath: binary.path,
      modelPath: folder.modelPath!,
      mmprojPath: null,
      dataDir: path.join(os.tmpdir(), 'guardtrace-parallel-bench'),
      contextSize: sidecarContextSize(slots, decoding),
      parallel: slots,
      unifiedKv: slots > 1 && flags.kvUnified ? { perSlotContext, perSlotFlag: flags.kvUnifiedPerSlot } : undefined,
      threads: THREADS,
    });
    try {
      // A case text of about CASE_TOKENS tokens, measured with the server's own tokenizer.
      const count = async (text: string) =>
        ((await post(sidecar, '/tokenize', { content: text })) as { tokens: unknown[] }).tokens.length;
      const perSentence = await count(TRACE);
      const trace = TRACE.repeat(Math.max(1, Math.round(CASE_TOKENS / perSentence)));
      const messages = (i: number) => [
        { role: 'system', content: prompt.text },
        {
          role: 'user',
          content: `Current Task Query: case ${i}: how do I train my cat?\nCurrent Task Thinking: ${trace}\nCurrent Task Cleaned Response: I cannot help with harming animals.`,
        },
      ];
      // Printable ASCII only: the random model also writes lone byte tokens, invalid UTF-8 (U+FFFD in the server's
      // log), and llama-server then refuses the whole answer at its output parser (HTTP 500 "does not match the
      // expected peg-native / Content-only format", seen at N = 2 on both endpoints). llama.cpp checks the grammar
      // on the greedy token first and only filters the whole vocabulary when it is refused, so the cost is small.
      const request = async (i: number, maxTokens: number) => {
        const { prompt: text } = (await post(sidecar, '/apply-template', { messages: messages(i) })) as {
          prompt: string;
        };
        return (await post(sidecar, '/completion', {
          prompt: text,
          ...llamaServerSampling(decoding),
          n_predict: maxTokens,
          grammar: 'root ::= [ -~]*',
          ignore_eos: true,
          cache_prompt: true,
        })) as Completion;
      };
      const run = await keepInFlight(slots, request);
      results.push(
        resultRow(results, slots, run, await count(prompt.text), {
          cached: (c) => c.timings?.cache_n ?? 0,
          caseTokens: (c) => c.timings?.prompt_n ?? 0,
          generated: (c) => c.usage?.completion_tokens ?? c.timings?.predicted_n ?? 0,
          genTokPerS: (c) => ((c.timings?.predicted_n ?? 0) / (c.timings?.predicted_ms ?? 1)) * 1000,
        }),
      );
    } finally {
      await sidecar.stop();
    }
  }
  if (SLOTS[0] !== 1) for (const r of results) r.speedUp = NaN; // no N = 1 in this run to compare with
  return results;
}

export function printParallelTable(results: ParallelResult[], model: string, engine = 'llama-server sidecar'): void {
  const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '—');
  console.log(`\n### Cases per hour with N cases in flight (${engine}, ${model})\n`);
  console.log(
    '| N | cases | wall s | cases/hour | speed-up vs N = 1 | cached system tokens | case tokens evaluated | generated | gen tok/s per case |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results)
    console.log(
      `| ${r.slots} | ${r.cases} | ${f(r.wallS, 1)} | ${f(r.casesPerHour)} | ${f(r.speedUp, 2)}× | ${f(r.cachedTokens)} | ${f(r.caseTokens)} | ${f(r.generated)} | ${f(r.genTokPerSPerCase, 2)} |`,
    );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = ENGINE === 'node-llama-cpp' ? await nodeLlamaCppRuns() : await sidecarRuns();
  const model = TINY ? 'tiny test model (figures mean nothing)' : '3B-shaped random model, Q8_0';
  if (process.env.GUARDTRACE_BENCH_JSON)
    writeFileSync(process.env.GUARDTRACE_BENCH_JSON, JSON.stringify({ model, results }));
  else printParallelTable(results, model, ENGINE === 'node-llama-cpp' ? 'node-llama-cpp in process' : undefined);
}
