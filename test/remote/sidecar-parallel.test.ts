// N > 1 cases in flight on the real llama-server sidecar (tiny random-weight model): -np N slots with continuous
// batching, each slot reusing the cached system prompt; every case audited exactly once; cancel stops every
// in-flight case; a SIGKILL of the whole CLI mid-batch, then a re-run, loses and duplicates nothing.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditProgress } from '@domain/audits';
import { createCore, type Core } from '@main/api/core';
import { createHandlers } from '@main/api/handlers';
import { findLlamaServerBinary } from '@main/engine/sidecar/llama-server-binary';
import { DATABASE_FILE } from '@main/store/open-database';
import { alive, childPids } from '../helpers/processes';
import { REPO_ROOT, SHARED_DIR, tempDir } from '../helpers/temp-dir';
import { writeTinyModelFolder } from '../models/tiny-gguf';

const binary = await findLlamaServerBinary(null);
const skipReason = binary
  ? null
  : 'no llama-server binary in the build cache or on PATH — build it with `npm run build:llama-server` (offline, about 7 min on 2 cores)';
if (skipReason) console.warn(`[test/remote/sidecar-parallel] SKIPPED: ${skipReason}`);

const SLOTS = 3;
const CASES = 9;
const SAMPLE_IMAGES = path.join(SHARED_DIR, 'samples/guardtrace-sample/images');
const BIN = path.join(REPO_ROOT, 'src-main/cli/bin.mjs');

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

function verdictsPerCase(db: Database.Database): Array<{ id: string; n: number }> {
  return db
    .prepare<[], { id: string; n: number }>(
      'SELECT c.id, count(a.id) AS n FROM cases c LEFT JOIN audits a ON a.case_id = c.id GROUP BY c.id ORDER BY c.id',
    )
    .all();
}

const everyCaseOnce = Array.from({ length: CASES }, (_, i) => ({ id: `case-${i}`, n: 1 }));

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
    expect(verdictsPerCase(core.store.db)).toEqual(everyCaseOnce);
    expect(core.store.jobs.counts()).toMatchObject({ done: CASES, queued: 0, running: 0, failed: 0 });
    // Parallel verdicts carry the same provenance as serial ones: the reference decoding each request was sent with.
    const provenances = core.store.db
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
    const audits = core.store.db
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
    const streaming = new Set<string>();
    let tokensAfterCancel = 0;
    let cancelled = false;
    core.events.on('audit.token', ({ caseId }) => {
      if (cancelled) tokensAfterCancel++;
      streaming.add(caseId);
    });
    await handlers['audit.start']({ maxNewTokens: 2000 });
    const deadline = Date.now() + 120_000;
    while (streaming.size === 0 || (core.jobs.progress().inFlightCaseIds?.length ?? 0) < SLOTS) {
      if (Date.now() > deadline) throw new Error(`never ${SLOTS} cases in flight (${streaming.size} streamed)`);
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
    // The engine is still usable: the cancelled cases are audited by the next start, each once.
    await handlers['audit.start']({ maxNewTokens: 16 });
    expect(await core.jobs.whenSettled()).toMatchObject({ state: 'done', failed: 0 });
    expect(verdictsPerCase(core.store.db)).toEqual(everyCaseOnce);
  }, 240_000);

  it('SIGKILL of the CLI mid-batch, then the same command again: nothing lost, nothing duplicated', async () => {
    const { core, dataDir } = await importedCore();
    await core.close();
    const args = [BIN, 'audit', '--data-dir', dataDir, '--model', modelDir, '--engine', 'sidecar'];
    const tuning = ['--threads', '1', '--parallel', String(SLOTS), '--max-tokens', '200'];
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
    // Kill while every slot holds a case, so several interrupted jobs must come back.
    const deadline = Date.now() + 120_000;
    while (running() < SLOTS) {
      if (first.exitCode !== null || Date.now() > deadline) throw new Error(`no full batch in flight: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const orphans = childPids(first.pid!, 'llama-server');
    first.kill('SIGKILL');
    await exited;
    for (const pid of orphans) if (alive(pid)) process.kill(pid, 'SIGKILL'); // a SIGKILLed app cannot stop its server
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
      const log = after
        .prepare<[], { n: number }>(
          "SELECT count(*) AS n FROM audit_log WHERE action = 'audit.verdict' GROUP BY case_id HAVING n <> 1",
        )
        .all();
      expect(log).toEqual([]);
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
