// N > 1 cases in flight on the in-process node-llama-cpp engine (tiny random-weight model), through the real audit
// runner and handler map, as the sidecar's test/remote/sidecar-parallel.test.ts does for llama-server: N sequences
// decoded together; every case generated exactly once (counted at the engine, not only as verdicts); cancel stops
// every in-flight case; a SIGKILL of the CLI mid-batch, then the same command again, loses and duplicates nothing.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuditProgress } from '@domain/audits';
import { createCore, type Core } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { LLAMA_NODE_ONE_CASE_AT_A_TIME } from '@main/engine/llama-node-engine';
import { NodeLlamaCppEngine } from '@main/engine/node-llama-cpp-engine';
import { DATABASE_FILE } from '@main/store/open-database';
import { REPO_ROOT, tempDir } from '../helpers/temp-dir';
import { writeTinyModelFolder } from '../models/tiny-gguf';

const SEQUENCES = 3;
const CASES = 9;
const BIN = path.join(REPO_ROOT, 'src-main/cli/bin.mjs');

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

function verdictsPerCase(db: Database.Database): Array<{ id: string; n: number }> {
  return db
    .prepare<[], { id: string; n: number }>(
      'SELECT c.id, count(a.id) AS n FROM cases c LEFT JOIN audits a ON a.case_id = c.id GROUP BY c.id ORDER BY c.id',
    )
    .all();
}

const everyCaseOnce = Array.from({ length: CASES }, (_, i) => ({ id: `case-${i}`, n: 1 }));

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
    expect([...generations.entries()].sort()).toEqual(everyCaseOnce.map(({ id }) => [id, 1]).sort());
    expect(verdictsPerCase(core.store.db)).toEqual(everyCaseOnce);
    expect(core.store.jobs.counts()).toMatchObject({ done: CASES, queued: 0, running: 0, failed: 0 });
    // After its first case each sequence reuses the system prompt: at most one case per sequence evaluates it.
    const audits = core.store.db
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
    expect(loaded.state === 'loaded' && loaded.info.parallelSlots).toBe(core.settings().parallelism);
    const vision = await handlers['engine.load']({ modelDir: visionModelDir, engine: 'llama.node', parallel: 4 });
    expect(vision.state === 'loaded' && vision.info.parallelSlots).toBe(1);
    expect(vision.state === 'loaded' && vision.info.warnings).toContain(LLAMA_NODE_ONE_CASE_AT_A_TIME);
    await handlers['engine.unload']();
  }, 240_000);

  it('cancel stops every in-flight case: no verdict and no token after it, no job left running', async () => {
    const { core, handlers } = await importedCore();
    cores.push(core);
    await handlers['engine.load']({ modelDir, engine: 'node-llama-cpp', parallel: SEQUENCES });
    const streaming = new Set<string>();
    let tokensAfterCancel = 0;
    let cancelled = false;
    core.events.on('audit.token', ({ caseId }) => {
      if (cancelled) tokensAfterCancel++;
      streaming.add(caseId);
    });
    await handlers['audit.start']({ maxNewTokens: 2000 });
    const deadline = Date.now() + 120_000;
    while (streaming.size < SEQUENCES || (core.jobs.progress().inFlightCaseIds?.length ?? 0) < SEQUENCES) {
      if (Date.now() > deadline) throw new Error(`never ${SEQUENCES} cases streaming (${streaming.size})`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const verdictsBefore = core.store.metrics.stats().audits;
    const started = performance.now();
    cancelled = true;
    const progress = await handlers['audit.cancel']();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(progress).toMatchObject({ state: 'idle', inFlightCaseIds: [] });
    await new Promise((r) => setTimeout(r, 500));
    expect(tokensAfterCancel).toBe(0);
    expect(core.store.metrics.stats().audits).toBe(verdictsBefore);
    expect(core.store.jobs.counts()).toMatchObject({ running: 0, queued: 0 });
    // Every sequence came back: the cancelled cases are audited by the next start, each once.
    await handlers['audit.start']({ maxNewTokens: 16 });
    expect(await core.jobs.whenSettled()).toMatchObject({ state: 'done', failed: 0 });
    expect(verdictsPerCase(core.store.db)).toEqual(everyCaseOnce);
  }, 240_000);

  it('SIGKILL of the CLI mid-batch, then the same command again: nothing lost, nothing duplicated', async () => {
    const { core, dataDir } = await importedCore();
    await core.close();
    const args = [BIN, 'audit', '--data-dir', dataDir, '--model', modelDir, '--engine', 'node-llama-cpp'];
    const tuning = ['--threads', '1', '--parallel', String(SEQUENCES), '--max-tokens', '300'];
    const first = spawn(process.execPath, [...args, ...tuning], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    first.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => first.on('exit', resolve));
    const db = () => new Database(path.join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
    const running = () => {
      const conn = db();
      try {
        return conn.prepare<[], { n: number }>("SELECT count(*) AS n FROM jobs WHERE status = 'running'").get()!.n;
      } finally {
        conn.close();
      }
    };
    // Kill while every sequence holds a case, so several interrupted jobs must come back.
    const deadline = Date.now() + 120_000;
    while (running() < SEQUENCES) {
      if (first.exitCode !== null || Date.now() > deadline) throw new Error(`no full batch in flight: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    first.kill('SIGKILL');
    await exited;
    const conn = db();
    const before = conn.prepare<[], { id: number; case_id: string }>('SELECT id, case_id FROM audits').all();
    conn.close();
    expect(before.length).toBeLessThan(CASES);

    const second = spawn(process.execPath, [...args, ...tuning, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    second.stdout!.on('data', (d) => (out += d));
    second.stderr!.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => second.on('exit', resolve));
    expect(code, stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toMatchObject({ state: 'done', failed: 0 });
    const after = db();
    try {
      expect(verdictsPerCase(after)).toEqual(everyCaseOnce);
      expect(after.prepare('SELECT id, case_id FROM audits ORDER BY id').all().slice(0, before.length)).toEqual(
        [...before].sort((a, b) => a.id - b.id),
      );
      expect(
        after
          .prepare<[], { status: string; n: number }>('SELECT status, count(*) AS n FROM jobs GROUP BY status')
          .all(),
      ).toEqual([{ status: 'done', n: CASES }]);
    } finally {
      after.close();
    }
  }, 300_000);
});
