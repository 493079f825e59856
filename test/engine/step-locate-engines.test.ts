// The prefix search through the real engines on the tiny random-weight model, with the planted-marker profile
// (test/profiles/planted-marker): the marker's step is found within ⌈log2 N⌉ + 1 probes on node-llama-cpp, llama.node
// and the llama-server sidecar, a non-monotone pattern is reported, each probe stops at its judgment (fewer tokens
// generated, the same verdicts), and prefix reuse is measured from the engines' own counters (prompt tokens evaluated
// per probe, with reuse and with it turned off). The sidecar needs a llama-server build (`npm run build:llama-server`)
// and is skipped, with the reason printed, without one; the OpenAI engine is covered in test/cli/locate.test.ts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxProbes, type StepSearchRecord } from '@domain/step-localization';
import { CoreEvents } from '@main/api/events';
import { EngineManager } from '@main/engine/engine-manager';
import { findLlamaServerBinary } from '@main/engine/sidecar/llama-server-binary';
import { StepLocator } from '@main/jobs/step-locator';
import { asStore, newCase, openTempStore } from '../helpers/store-fixtures';
import { writeTinyModelFolder } from '../models/tiny-gguf';
import {
  PLANTED_MARKER,
  PLANTED_PROMPT,
  PLANTED_PROMPT_FILE,
  PLANTED_RETRACTION,
  plantedMarkerProfile,
} from '../profiles/planted-marker';

const llamaServer = await findLlamaServerBinary(process.env.GUARDTRACE_LLAMA_SERVER ?? null);
const sidecarSkip = llamaServer
  ? null
  : 'no llama-server binary in the build cache or on PATH — build it with `npm run build:llama-server` or set GUARDTRACE_LLAMA_SERVER';
if (sidecarSkip) console.warn(`[test/engine/step-locate-engines] sidecar SKIPPED: ${sidecarSkip}`);

type EngineUnderTest = 'node-llama-cpp' | 'llama.node' | 'sidecar';
/** What the search records as its engine: the sidecar answers as the OpenAI-compatible engine it is driven by. */
const recordedEngine = (engine: EngineUnderTest) => (engine === 'sidecar' ? 'openai' : engine);

/** Room for the planted profile's whole output (analysis, judgment, category) when a probe is not stopped. */
const PROBE_MAX_TOKENS = 64;

let root: string;
let modelDir: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gt-locate-'));
  const promptFile = path.join(root, 'prompt.txt');
  await writeFile(promptFile, `${PLANTED_PROMPT}\n`);
  modelDir = (
    await writeTinyModelFolder(path.join(root, 'model'), {
      promptFile,
      promptFileName: PLANTED_PROMPT_FILE,
      generationConfig: null,
      withMmproj: false,
    })
  ).dir;
});
afterAll(async () => root && rm(root, { recursive: true, force: true }));

function trace(steps: number, markerAt: number | null, retractAt: number | null = null): string {
  return Array.from({ length: steps }, (_, i) => {
    const n = i + 1;
    const extra = n === markerAt ? ` ${PLANTED_MARKER}` : n === retractAt ? ` ${PLANTED_RETRACTION}` : '';
    return `Step ${n}: point ${n}.${extra}`;
  }).join('\n\n');
}

async function locatorOn(
  engine: EngineUnderTest,
  { prefixReuse = true, judgmentFirst = false }: { prefixReuse?: boolean; judgmentFirst?: boolean } = {},
) {
  const profile = plantedMarkerProfile({ judgmentFirst });
  const manager = new EngineManager({
    dataDir: root,
    threads: 2,
    gpu: false,
    extraProfiles: [profile],
    prefixReuse,
    warmSystemPrompt: prefixReuse,
    llamaServerPath: llamaServer?.path ?? null,
  });
  const state = await manager.load({ modelDir, engine, profile: profile.id });
  expect(state.state, JSON.stringify(state)).toBe('loaded');
  const store = openTempStore();
  const locator = new StepLocator({
    store: asStore(store),
    events: new CoreEvents(),
    currentEngine: () => manager.current(),
  });
  let next = 0;
  const locate = async (thinking: string, stopAtJudgment = true): Promise<StepSearchRecord> => {
    const id = `case-${next++}`;
    store.cases.insert(newCase(id, { thinking }), null);
    return locator.locate(id, { strictFormat: true, maxNewTokens: PROBE_MAX_TOKENS, stopAtJudgment });
  };
  return {
    locate,
    async close() {
      await manager.dispose();
      store.close();
    },
  };
}

const evaluated = (search: StepSearchRecord) =>
  search.probes.map((probe) => probe.promptTokens - probe.cachedPromptTokens);

for (const engine of ['node-llama-cpp', 'llama.node', 'sidecar'] as const) {
  describe.skipIf(engine === 'sidecar' && sidecarSkip !== null)(
    `prefix search on ${engine} (tiny model, planted marker)`,
    () => {
      it('finds the marker step within ⌈log2 N⌉ + 1 probes and reports a non-monotone pattern', async () => {
        const run = await locatorOn(engine);
        try {
          for (const [n, at] of [
            [1, 1],
            [12, 1],
            [12, 7],
            [12, 12],
            [40, 29],
          ] as const) {
            const search = await run.locate(trace(n, at));
            expect(search, `N=${n}, marker at ${at}: ${search.lastError}`).toMatchObject({
              status: 'located',
              locatedStep: at,
            });
            expect(search.probes.length).toBeLessThanOrEqual(maxProbes(n));
            expect(search.engine).toBe(recordedEngine(engine));
            expect(search.modelSha256).toMatch(/^[0-9a-f]{64}$/);
          }
          expect((await run.locate(trace(20, 4, 15))).status).toBe('not_monotone');
        } finally {
          await run.close();
        }
      }, 300_000);

      it('stops each probe at its judgment: fewer tokens generated, the same verdicts', async () => {
        const afterAnalysis = await locatorOn(engine);
        const judgmentFirst = await locatorOn(engine, { judgmentFirst: true });
        try {
          const thinking = trace(12, 7);
          const toTheEnd = await afterAnalysis.locate(thinking, false);
          const stopped = await afterAnalysis.locate(thinking);
          const first = await judgmentFirst.locate(thinking);
          const verdicts = (search: StepSearchRecord) => search.probes.map((p) => [p.cut, p.risk]);
          for (const search of [toTheEnd, stopped, first]) {
            expect(search, search.lastError ?? '').toMatchObject({ status: 'located', locatedStep: 7 });
            expect(verdicts(search)).toEqual(verdicts(toTheEnd));
          }
          const generated = (search: StepSearchRecord) => search.probes.map((p) => p.generatedTokens);
          console.log(
            `[step-locate ${engine}] generated tokens per probe, 12 steps: to the end ${JSON.stringify(generated(toTheEnd))}, ` +
              `stopped at the judgment ${JSON.stringify(generated(stopped))}, judgment first ${JSON.stringify(generated(first))}`,
          );
          expect(toTheEnd.probes.every((p) => p.judgmentStop === null)).toBe(true);
          expect(stopped.probes.every((p) => p.judgmentStop === 'after_judgment')).toBe(true);
          expect(first.probes.every((p) => p.judgmentStop === 'judgment_first')).toBe(true);
          // The category line after the judgment is what stopping saves; the analysis before it is what asking for the
          // judgment first saves on top.
          for (let i = 0; i < toTheEnd.probes.length; i++) {
            expect(stopped.probes[i].generatedTokens).toBeLessThan(toTheEnd.probes[i].generatedTokens);
            expect(first.probes[i].generatedTokens).toBeLessThan(stopped.probes[i].generatedTokens);
          }
        } finally {
          await afterAnalysis.close();
          await judgmentFirst.close();
        }
      }, 300_000);

      it('reuses the cached prefix between probes (the engine counters), and evaluates every token without reuse', async () => {
        const withReuse = await locatorOn(engine, { prefixReuse: true });
        const withoutReuse = await locatorOn(engine, { prefixReuse: false });
        try {
          const thinking = trace(40, 29);
          const reused = await withReuse.locate(thinking);
          const scratch = await withoutReuse.locate(thinking);
          expect(reused.probes.map((p) => p.cut)).toEqual(scratch.probes.map((p) => p.cut));
          expect(scratch.probes.every((p) => p.cachedPromptTokens === 0)).toBe(true);
          const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
          const rows = reused.probes.map((p, i) => ({
            cut: p.cut,
            promptTokens: p.promptTokens,
            evaluatedWithReuse: evaluated(reused)[i],
            evaluatedFromScratch: evaluated(scratch)[i],
          }));
          console.log(`[step-locate ${engine}] 40-step search, tiny model:\n${JSON.stringify(rows)}`);
          // Each probe after the first shares the system turn, the query and the trace up to the shorter cut with the
          // one before it: far fewer tokens are evaluated than from scratch.
          expect(sum(evaluated(reused))).toBeLessThan(sum(evaluated(scratch)) * 0.6);
          for (let i = 1; i < rows.length; i++) {
            expect(rows[i].evaluatedWithReuse).toBeLessThan(rows[i].evaluatedFromScratch);
          }
        } finally {
          await withReuse.close();
          await withoutReuse.close();
        }
      }, 300_000);
    },
  );
}
