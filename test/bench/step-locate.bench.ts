// npm run bench:locate [-- --engine sidecar|node-llama-cpp|llama.node] [--model 3b|tiny] [--steps 40] [--threads N]
// (also run by `npm run bench:engine`, engine-all.ts, which collects the rows through GUARDTRACE_BENCH_JSON)
//
// One prefix search (docs/step-localization.md) over an N-step trace (default 40, the marker planted at step
// ⌈0.7 N⌉), with and without prefix reuse, on the 3B-shaped random-weight model (bench-model.ts: the real auditor
// prompt, ~1,100 system tokens) or the tiny test model. The planted-marker profile decides each probe's verdict from
// its prompt (random weights judge nothing) and its grammar bounds each probe's output (a short analysis, the
// judgment; each probe stops at the judgment), so the figures are mostly what a search costs in prompt evaluation:
// probes, prompt tokens, tokens the engine evaluated (its own counters), tokens generated and wall time. Default
// engine: the llama-server sidecar when a binary is found, else node-llama-cpp.
// Prints one markdown table on stdout; progress on stderr.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { maxProbes } from '@domain/step-localization';
import { CoreEvents } from '@main/api/events';
import { EngineManager } from '@main/engine/engine-manager';
import { findLlamaServerBinary } from '@main/engine/sidecar/llama-server-binary';
import { StepLocator } from '@main/jobs/step-locator';
import { CaseStore } from '@main/store/sqlite';
import { asStore } from '../helpers/store-fixtures';
import { SHARED_PROMPT_FILE, writeTinyModelFolder } from '../models/tiny-gguf';
import { PLANTED_MARKER, PLANTED_PROMPT, PLANTED_PROMPT_FILE, plantedMarkerProfile } from '../profiles/planted-marker';
import { ensureBenchModel, QUERY, RESPONSE, TRACE_SENTENCE } from './bench-model';
import { locateTable, type LocateBenchRow } from './step-locate-table';

const argv = process.argv.slice(2);
const value = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const STEPS = Number(value('--steps') ?? 40);
const MODEL = (value('--model') ?? '3b') as '3b' | 'tiny';
const THREADS = Number(value('--threads') ?? os.availableParallelism());
const log = (...a: unknown[]) => console.error(`[bench:locate ${new Date().toISOString().slice(11, 19)}]`, ...a);

type EngineChoice = LocateBenchRow['engine'];

async function main(): Promise<void> {
  const binary = await findLlamaServerBinary(null);
  const engine = (value('--engine') ?? (binary ? 'sidecar' : 'node-llama-cpp')) as EngineChoice;
  if (engine === 'sidecar' && !binary)
    throw new Error(
      'No llama-server binary: build it with `npm run build:llama-server`, or pass --engine node-llama-cpp.',
    );
  const work = await mkdtemp(path.join(os.tmpdir(), 'gt-bench-locate-'));
  try {
    const { modelDir, prompt } = await modelFolder(work);
    const markerAt = Math.ceil(STEPS * 0.7);
    const sentences = TRACE_SENTENCE.split(/(?<=[,;]) /);
    const trace = Array.from(
      { length: STEPS },
      (_, i) => `Step ${i + 1}: ${sentences[i % sentences.length]}${i + 1 === markerAt ? ` ${PLANTED_MARKER}` : ''}`,
    ).join('\n\n');
    const rows: LocateBenchRow[] = [];
    for (const reuse of [true, false]) {
      const profile = plantedMarkerProfile({ prompt });
      const manager = new EngineManager({
        dataDir: work,
        threads: THREADS,
        gpu: false,
        extraProfiles: [profile],
        prefixReuse: reuse,
        warmSystemPrompt: reuse,
      });
      const store = CaseStore.open(path.join(work, `data-${reuse}`));
      try {
        log(`loading ${engine} (${MODEL}, prefix reuse ${reuse ? 'on' : 'off'})…`);
        const state = await manager.load({ modelDir, engine, profile: profile.id, parallel: 1 });
        if (state.state !== 'loaded') throw new Error(`load failed: ${JSON.stringify(state)}`);
        store.cases.insert(
          {
            id: 'bench',
            query: QUERY,
            thinking: trace,
            response: RESPONSE,
            imageSha256: null,
            imageRef: null,
            imageMissing: false,
            gold: null,
            sourceFile: 'bench',
            sourceRecord: 1,
            meta: {},
          },
          null,
        );
        const locator = new StepLocator({
          store: asStore(store),
          events: new CoreEvents(),
          currentEngine: () => manager.current(),
        });
        const started = performance.now();
        const search = await locator.locate('bench', {
          strictFormat: true,
          maxNewTokens: 64,
          onProbe: (s) => log(`  probe ${s.probes.length}: cut ${s.probes.at(-1)?.cut}`),
        });
        const sum = (of: (p: (typeof search.probes)[number]) => number) =>
          search.probes.reduce((total, p) => total + of(p), 0);
        rows.push({
          engine,
          model: MODEL,
          prefixReuse: reuse,
          steps: STEPS,
          probes: search.probes.length,
          maxProbes: maxProbes(STEPS),
          promptTokens: sum((p) => p.promptTokens),
          evaluated: sum((p) => p.promptTokens - p.cachedPromptTokens),
          generated: sum((p) => p.generatedTokens),
          wallS: (performance.now() - started) / 1000,
          result: search.status === 'located' ? `step ${search.locatedStep} (planted ${markerAt})` : search.status,
        });
      } finally {
        await manager.dispose();
        store.close();
      }
    }
    console.log(
      `Load while it ran (uptime): ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')}; ${THREADS} threads\n`,
    );
    console.log(locateTable(rows));
    if (process.env.GUARDTRACE_BENCH_JSON) await writeFile(process.env.GUARDTRACE_BENCH_JSON, JSON.stringify({ rows }));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function modelFolder(work: string): Promise<{ modelDir: string; prompt: { text: string; fileName: string } }> {
  if (MODEL === '3b') {
    const model = await ensureBenchModel();
    return {
      modelDir: model.dir,
      prompt: { text: (await readFile(SHARED_PROMPT_FILE, 'utf8')).trim(), fileName: 'qta_pormpt.txt' },
    };
  }
  const promptFile = path.join(work, 'prompt.txt');
  await writeFile(promptFile, `${PLANTED_PROMPT}\n`);
  const folder = await writeTinyModelFolder(path.join(work, 'model'), {
    promptFile,
    promptFileName: PLANTED_PROMPT_FILE,
    generationConfig: null,
    withMmproj: false,
  });
  return { modelDir: folder.dir, prompt: { text: PLANTED_PROMPT, fileName: PLANTED_PROMPT_FILE } };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
