// N > 1 cases in flight on the in-process node-llama-cpp engine (tiny random-weight model), through the real audit
// runner and handler map, as the sidecar's test/remote/sidecar-parallel.test.ts does for llama-server: N sequences
// decoded together; every case generated exactly once (counted at the engine, not only as verdicts); cancel stops
// every in-flight case; a SIGKILL of the CLI mid-batch, then the same command again, loses and duplicates nothing.
import { databaseOf } from '../helpers/store-fixtures';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuditProgress } from '@domain/audits';
import { createCore, type Core } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { LLAMA_NODE_ONE_CASE_AT_A_TIME } from '@main/engine/llama-node-engine';
import { NodeLlamaCppEngine } from '@main/engine/node-llama-cpp-engine';
import {
  everyCaseOnce,
  expectCancelStopsEveryInFlightCase,
  expectSigkillThenResumeLosesNothing,
  verdictsPerCase,
} from '../helpers/parallel-audits';
import { tempDir } from '../helpers/temp-dir';
import { writeTinyModelFolder } from '../models/tiny-gguf';

const SEQUENCES = 3;
const CASES = 9;

let modelDir: string;
let visionModelDir: string;
let casesFile: string;

beforeAll(async () => {
  const dir = tempDir('guardtrace-in-process-parallel-');
  modelDir = (await writeTinyModelFolder(path.join(dir, 'model'), { withMmproj: false })).dir;
  visionModelDir = (await writeTinyModelFolder(path.join(dir, 'vision-model'))).dir;
  casesFile = path.join(dir, 'cases.jsonl');
  const rows = Array.from({ length: CASES }, (_, i) => ({
    id: `case-${i}`,
    question: `question ${i}`,
    thinking: `thinking about case ${i}`,
    response: `response ${i}`,
  }));
  writeFileSync(casesFile, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
});

async function importedCore(): Promise<{ core: Core; handlers: ReturnType<typeof createHandlers>; dataDir: string }> {
  const dataDir = path.join(tempDir('guardtrace-in-process-parallel-data-'), 'data');
  const core = await createCore({ dataDir, engine: { threads: 1, gpu: false } });
  const handlers = createHandlers(core);
  expect(await handlers['import.run']({ file: casesFile })).toMatchObject({ imported: CASES });
  return { core, handlers, dataDir };
}

describe(`node-llama-cpp in process with ${SEQUENCES} sequences (tiny model, real audit runner)`, () => {
  const cores: Core[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    for (const core of cores) await core.close();
  });

  it('keeps N cases in flight and generates every case exactly once', async () => {
    const { core, handlers } = await importedCore();
    cores.push(core);
    const generations = new Map<string, number>();
    const audit = NodeLlamaCppEngine.prototype.audit;
    vi.spyOn(NodeLlamaCppEngine.prototype, 'audit').mockImplementation(function (this: NodeLlamaCppEngine, input, o) {
      generations.set(input.caseId, (generations.get(input.caseId) ?? 0) + 1);
      return audit.call(this, input, o);
    });
    const state = await handlers['engine.load']({ modelDir, engine: 'node-llama-cpp', parallel: SEQUENCES });
    expect(state.state === 'loaded' && state.info.parallelSlots).toBe(SEQUENCES);
    let maxInFlight = 0;
    core.events.on('audit.progress', (p: AuditProgress) => {
      maxInFlight = Math.max(maxInFlight, p.inFlightCaseIds?.length ?? 0);
    });
    await handlers['audit.start']({ maxNewTokens: 48 });
    const final = await core.jobs.whenSettled();
    expect(final).toMatchObject({ state: 'done', done: CASES, failed: 0, total: CASES });
    expect(maxInFlight).toBe(SEQUENCES);
    expect([...generations.entries()].sort()).toEqual(
      everyCaseOnce(CASES)
        .map(({ id }) => [id, 1])
        .sort(),
    );
    expect(verdictsPerCase(databaseOf(core.dataDir))).toEqual(everyCaseOnce(CASES));
    expect(await core.store.jobs.counts()).toMatchObject({ done: CASES, queued: 0, running: 0, failed: 0 });
    // After its first case each sequence reuses the system prompt: at most one case per sequence evaluates it.
    const audits = databaseOf(core.dataDir)
      .prepare<[], { prompt_tokens: number; cached_prompt_tokens: number }>(
        'SELECT prompt_tokens, cached_prompt_tokens FROM audits',
      )
      .all();
    const reused = audits.filter((a) => a.cached_prompt_tokens > a.prompt_tokens / 2);
    expect(reused.length, JSON.stringify(audits)).toBeGreaterThanOrEqual(CASES - (SEQUENCES - 1));
  }, 240_000);

  it('the default setting (2) sizes node-llama-cpp; llama.node stays at one case and says why', async () => {
    const { core, handlers } = await importedCore();
    cores.push(core);
    const loaded = await handlers['engine.load']({ modelDir, engine: 'node-llama-cpp' });
    expect(loaded.state === 'loaded' && loaded.info.parallelSlots).toBe((await core.settings()).parallelism);
    const vision = await handlers['engine.load']({ modelDir: visionModelDir, engine: 'llama.node', parallel: 4 });
    expect(vision.state === 'loaded' && vision.info.parallelSlots).toBe(1);
    expect(vision.state === 'loaded' && vision.info.warnings).toContain(LLAMA_NODE_ONE_CASE_AT_A_TIME);
    await handlers['engine.unload']();
  }, 240_000);

  it('cancel stops every in-flight case: no verdict and no token after it, no job left running', async () => {
    const { core, handlers } = await importedCore();
    cores.push(core);
    await handlers['engine.load']({ modelDir, engine: 'node-llama-cpp', parallel: SEQUENCES });
    await expectCancelStopsEveryInFlightCase(core, handlers, SEQUENCES, CASES);
  }, 240_000);

  it('SIGKILL of the CLI mid-batch, then the same command again: nothing lost, nothing duplicated', async () => {
    const { core, dataDir } = await importedCore();
    await core.close();
    await expectSigkillThenResumeLosesNothing({
      dataDir,
      cliArgs: [
        '--model',
        modelDir,
        '--engine',
        'node-llama-cpp',
        '--threads',
        '1',
        '--parallel',
        String(SEQUENCES),
        '--max-tokens',
        '300',
      ],
      slots: SEQUENCES,
      cases: CASES,
    });
  }, 300_000);
});
