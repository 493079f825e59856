// N > 1 cases in flight on the real llama-server sidecar (tiny random-weight model): -np N slots with continuous
// batching, each slot reusing the cached system prompt; every case audited exactly once; cancel stops every
// in-flight case; a SIGKILL of the whole CLI mid-batch, then a re-run, loses and duplicates nothing.
import { databaseOf } from '../helpers/store-fixtures';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditProgress } from '@domain/audits';
import { createCore, type Core } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { findLlamaServerBinary } from '@main/engine/sidecar/llama-server-binary';
import { alive, childPids } from '../helpers/processes';
import {
  everyCaseOnce,
  expectCancelStopsEveryInFlightCase,
  expectSigkillThenResumeLosesNothing,
  verdictsPerCase,
} from '../helpers/parallel-audits';
import { SHARED_DIR, tempDir } from '../helpers/temp-dir';
import { writeTinyModelFolder } from '../models/tiny-gguf';

const binary = await findLlamaServerBinary(null);
const skipReason = binary
  ? null
  : 'no llama-server binary in the build cache or on PATH — build it with `npm run build:llama-server` (offline, about 7 min on 2 cores)';
if (skipReason) console.warn(`[test/remote/sidecar-parallel] SKIPPED: ${skipReason}`);

const SLOTS = 3;
const CASES = 9;
const SAMPLE_IMAGES = path.join(SHARED_DIR, 'samples/guardtrace-sample/images');

let modelDir: string;
let casesFile: string;

beforeAll(async () => {
  const dir = tempDir('guardtrace-sidecar-parallel-');
  modelDir = (await writeTinyModelFolder(path.join(dir, 'model'))).dir;
  casesFile = path.join(dir, 'cases.jsonl');
  const rows = Array.from({ length: CASES }, (_, i) => ({
    id: `case-${i}`,
    question: `question ${i}`,
    thinking: `thinking about case ${i}`,
    response: `response ${i}`,
    ...(i === 4 ? { image: 'cat-training.png' } : {}),
  }));
  writeFileSync(casesFile, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
});

async function importedCore(): Promise<{ core: Core; handlers: ReturnType<typeof createHandlers>; dataDir: string }> {
  const dataDir = path.join(tempDir('guardtrace-sidecar-parallel-data-'), 'data');
  const core = await createCore({ dataDir, engine: { threads: 1 } });
  const handlers = createHandlers(core);
  expect(await handlers['import.run']({ file: casesFile, imagesDir: SAMPLE_IMAGES })).toMatchObject({
    imported: CASES,
  });
  return { core, handlers, dataDir };
}

describe.skipIf(skipReason !== null)(`the sidecar with ${SLOTS} slots (real llama-server, tiny model)`, () => {
  const cores: Core[] = [];
  afterAll(async () => {
    for (const core of cores) await core.close();
  });

  it('keeps N cases in flight, audits every case exactly once, and each slot reuses the cached system prompt', async () => {
    const { core, handlers } = await importedCore();
    cores.push(core);
    const state = await handlers['engine.load']({ modelDir, engine: 'sidecar', parallel: SLOTS });
    expect(state.state === 'loaded' && state.info.parallelSlots).toBe(SLOTS);
    if (state.state !== 'loaded') throw new Error('not loaded');
    // Every slot gets the profile's whole per-sequence context (8,192 prompt + 2,000 new tokens), as the server reports.
    expect(state.info.decoding.contextSize).toBe(10_192);
    expect(state.info.contextLength).toBe(state.info.decoding.contextSize);
    let maxInFlight = 0;
    core.events.on('audit.progress', (p: AuditProgress) => {
      maxInFlight = Math.max(maxInFlight, p.inFlightCaseIds?.length ?? 0);
    });
    await handlers['audit.start']({ maxNewTokens: 48 });
    const final = await core.jobs.whenSettled();
    expect(final).toMatchObject({ state: 'done', done: CASES, failed: 0, total: CASES });
    expect(maxInFlight).toBe(SLOTS);
    expect(verdictsPerCase(databaseOf(core.dataDir))).toEqual(everyCaseOnce(CASES));
    expect(await core.store.jobs.counts()).toMatchObject({ done: CASES, queued: 0, running: 0, failed: 0 });
    // Parallel verdicts carry the same provenance as serial ones: the reference decoding each request was sent with.
    const provenances = databaseOf(core.dataDir)
      .prepare<[], { provenance: string | null }>('SELECT provenance FROM audits')
      .all()
      .map((row) => JSON.parse(row.provenance ?? 'null') as Record<string, unknown> | null);
    expect(provenances).toHaveLength(CASES);
    for (const provenance of provenances) {
      expect(provenance).toMatchObject({
        profileId: 'guardtrace-vl',
        engine: 'openai',
        contextSize: 10_192,
        repetitionPenalty: state.info.decoding.repetitionPenalty,
      });
    }

    // The server's own counts (timings.cache_n / cached_tokens): after each slot's first case the system prompt
    // comes from that slot's cache, so at most the first case per slot (and the image case) evaluates it again.
    const audits = databaseOf(core.dataDir)
      .prepare<[], { case_id: string; prompt_tokens: number; cached_prompt_tokens: number }>(
        "SELECT case_id, prompt_tokens, cached_prompt_tokens FROM audits WHERE case_id <> 'case-4' ORDER BY id",
      )
      .all();
    const reused = audits.filter((a) => a.cached_prompt_tokens > a.prompt_tokens / 2);
    expect(reused.length, JSON.stringify(audits)).toBeGreaterThanOrEqual(audits.length - SLOTS);
  }, 240_000);

  it('cancel stops every in-flight case: no verdict and no token after it, no job left running', async () => {
    const { core, handlers } = await importedCore();
    cores.push(core);
    await handlers['engine.load']({ modelDir, engine: 'sidecar', parallel: SLOTS });
    await expectCancelStopsEveryInFlightCase(core, handlers, SLOTS, CASES);
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
        'sidecar',
        '--threads',
        '1',
        '--parallel',
        String(SLOTS),
        '--max-tokens',
        '200',
      ],
      slots: SLOTS,
      cases: CASES,
      // A SIGKILLed app cannot stop its server.
      beforeKill: (pid) => {
        const orphans = childPids(pid, 'llama-server');
        return () => {
          for (const orphan of orphans) if (alive(orphan)) process.kill(orphan, 'SIGKILL');
        };
      },
    });
  }, 300_000);
});
