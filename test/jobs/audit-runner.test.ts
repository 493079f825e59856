// Queue behaviour of the audit runner with a scripted engine (a test double whose timing the test controls).
// The real engines run through the same runner in test/engine and test/e2e.
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { testEngineInfo } from '../helpers/engine-info';
import { describe, expect, it } from 'vitest';
import type { AuditProgress, AuditResult } from '@domain/audits';
import { CoreEvents } from '@main/api/events';
import type { EngineInfo } from '@domain/engine';
import { EngineError, type AuditInput, type AuditOptions, type Engine } from '@main/engine/engine';
import { httpError, networkError } from '@main/engine/openai/http-errors';
import { AuditRunner, classifyFailure, type FailureKind } from '@main/jobs/audit-runner';
import type { Store } from '@main/store/contract';
import { asStore, auditResult, newCase, openTempStore } from '../helpers/store-fixtures';
import { tempDir } from '../helpers/temp-dir';

class ScriptedEngine implements Engine {
  readonly kind = 'llama.node' as const;
  readonly inputs: AuditInput[] = [];
  delayMs = 5;
  failFor = new Map<string, EngineError | Error>();
  /** Failures consumed one per attempt, before failFor applies. */
  failNext = new Map<string, Array<EngineError | Error>>();
  /** When each attempt started, per case. */
  startedAt = new Map<string, number[]>();
  /** Cases it decodes together (reported in info(), as the OpenAI-compatible engine does). */
  parallelSlots: number | undefined = undefined;
  running = 0;
  maxRunning = 0;
  /** What the engine returns for a case, instead of a well-formed verdict of 1. */
  resultFor = new Map<string, AuditResult>();
  /** A case's generation waits for this before its first token (the test decides when it ends). */
  holdUntil = new Map<string, Promise<void>>();

  info(): EngineInfo {
    return testEngineInfo({ parallelSlots: this.parallelSlots });
  }

  async audit(input: AuditInput, options: AuditOptions = {}): Promise<AuditResult> {
    this.inputs.push(input);
    this.startedAt.set(input.caseId, [...(this.startedAt.get(input.caseId) ?? []), performance.now()]);
    const failure = this.failNext.get(input.caseId)?.shift() ?? this.failFor.get(input.caseId);
    this.maxRunning = Math.max(this.maxRunning, ++this.running);
    try {
      await this.holdUntil.get(input.caseId);
      await this.stream(options);
    } finally {
      this.running--;
    }
    if (failure) throw failure;
    return this.resultFor.get(input.caseId) ?? auditResult(1, { imageMissing: input.imageMissing });
  }

  private async stream(options: AuditOptions): Promise<void> {
    for (const piece of ['"Analysis": ', 'ok\n', '"Judgment": 1']) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, this.delayMs);
        options.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new EngineError('aborted', 'aborted'));
        });
      });
      options.onToken?.(piece);
    }
  }

  async dispose(): Promise<void> {}
}

function setup(caseCount: number, retryDelayMs = 5, storeFor: (store: Store) => Store = (store) => store) {
  const store = openTempStore();
  store.transaction(() => {
    for (let i = 0; i < caseCount; i++) store.cases.insert(newCase(`case-${i}`), null);
  });
  const events = new CoreEvents();
  const engine = new ScriptedEngine();
  const progress: AuditProgress[] = [];
  const tokens: string[] = [];
  events.on('audit.progress', (p) => progress.push(p));
  events.on('audit.token', (t) => tokens.push(t.text));
  const runner = new AuditRunner({
    store: storeFor(asStore(store)),
    events,
    currentEngine: () => engine,
    retryDelayMs,
  });
  return { store, events, engine, runner, progress, tokens };
}

describe('audit runner', () => {
  it('audits every unaudited case once, streaming tokens and reporting progress', async () => {
    const { store, runner, progress, tokens, engine } = setup(5);
    await runner.start({});
    const final = await runner.whenSettled();
    expect(final).toMatchObject({ state: 'done', done: 5, failed: 0, total: 5 });
    expect(store.metrics.stats()).toMatchObject({ audits: 5, audited: 5, jobs: { done: 5, queued: 0, running: 0 } });
    expect(tokens.join('')).toBe('"Analysis": ok\n"Judgment": 1'.repeat(5));
    expect(progress.at(-1)?.state).toBe('done');
    expect(progress.some((p) => p.currentCaseId === 'case-2')).toBe(true);
    expect(store.caseDetail('case-0').history.map((h) => h.action)).toEqual(['audit.verdict']);
    // a second run finds nothing left to do
    await runner.start({});
    expect((await runner.whenSettled()).total).toBe(0);
    expect(engine.inputs).toHaveLength(5);
  });

  it('runs parallel workers without auditing a case twice', async () => {
    const { store, runner, engine } = setup(12);
    engine.parallelSlots = 3;
    await runner.start({ parallel: 3 });
    await runner.whenSettled();
    expect(engine.maxRunning).toBe(3);
    expect(new Set(engine.inputs.map((i) => i.caseId)).size).toBe(12);
    expect(engine.inputs).toHaveLength(12);
    expect(store.metrics.stats().audits).toBe(12);
  });

  it('pauses within one token, resumes where it stopped, and cancels the rest', async () => {
    const { store, runner, engine } = setup(6);
    engine.delayMs = 40;
    await runner.start({});
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    runner.pause();
    await runner.whenSettled();
    expect(Date.now() - started).toBeLessThan(1000);
    const afterPause = store.metrics.stats();
    expect(afterPause.jobs.running).toBe(0);
    expect(afterPause.audits).toBeGreaterThan(0);
    expect(afterPause.audits).toBeLessThan(6);

    engine.delayMs = 5;
    await runner.resume();
    await new Promise((r) => setTimeout(r, 30));
    await runner.cancel();
    const stats = store.metrics.stats();
    expect(stats.jobs.running).toBe(0);
    expect(stats.jobs.queued).toBe(0);
    expect(stats.audits).toBeLessThan(6);
    // every case has at most one verdict
    expect(new Set(engine.inputs.map((i) => i.caseId)).size).toBeLessThanOrEqual(6);
  });

  it('retries transient failures, fails a too-long case at once, and keeps going', async () => {
    const { store, runner, engine } = setup(3);
    engine.failFor.set('case-1', new EngineError('generation_failed', 'server went away'));
    engine.failFor.set(
      'case-2',
      new EngineError('case_too_long', 'The thinking is 9,000 tokens; the context holds 8,192.'),
    );
    await runner.start({});
    const final = await runner.whenSettled();
    expect(final).toMatchObject({ done: 1, failed: 2 });
    expect(final.lastError).toMatch(/case-1|case-2/);
    expect(engine.inputs.filter((i) => i.caseId === 'case-1')).toHaveLength(3);
    expect(engine.inputs.filter((i) => i.caseId === 'case-2')).toHaveLength(1);
    expect(store.metrics.stats().jobs).toMatchObject({ done: 1, failed: 2 });
    // Each failed case says so itself, with the reason, and the progress lists it by name.
    expect(store.caseDetail('case-2').auditFailure).toMatchObject({
      kind: 'failed',
      reason: expect.stringMatching(/9,000 tokens/),
    });
    expect(store.caseDetail('case-0').auditFailure).toBeNull();
    expect(final.failures?.map((f) => f.caseId).sort()).toEqual(['case-1', 'case-2']);
    expect(store.cases.counts({}).audit_failed).toBe(2);
    // A later verdict clears the failure.
    engine.failFor.delete('case-2');
    await runner.start({ caseIds: ['case-2'] }).then(() => runner.whenSettled());
    expect(store.caseDetail('case-2').auditFailure).toBeNull();
    expect(store.cases.counts({}).audit_failed).toBe(1);
  });

  it('marks a verdict the engine cut at the token limit as truncated on the case, and only that one', async () => {
    const { store, runner, engine } = setup(2);
    engine.resultFor.set('case-0', auditResult('truncated'));
    engine.resultFor.set('case-1', auditResult('parse_failure', { generatedTokens: 3 }));
    await runner.start({ maxNewTokens: 8 }).then(() => runner.whenSettled());
    expect(store.caseDetail('case-0').auditFailure).toMatchObject({
      kind: 'truncated',
      reason: expect.stringMatching(/token limit/),
    });
    expect(store.caseDetail('case-1').auditFailure).toBeNull();
  });

  it('with several cases in flight, a failed case is listed once and marked on the case; a pre-empted one is not', async () => {
    const { store, runner, engine } = setup(6);
    engine.parallelSlots = 2;
    engine.delayMs = 20;
    engine.failFor.set(
      'case-1',
      new EngineError('case_too_long', 'The thinking is 9,000 tokens; the context holds 8,192.'),
    );
    await runner.start({ parallel: 2 });
    // Every slot busy: opening case-5 takes the youngest slot; that case goes back to the queue without failing.
    while ((runner.progress().inFlightCaseIds?.length ?? 0) < 2) await new Promise((r) => setTimeout(r, 2));
    await runner.prioritize('case-5');
    const final = await runner.whenSettled();
    expect(engine.maxRunning).toBe(2);
    expect(final).toMatchObject({ state: 'done', done: 5, failed: 1 });
    expect(final.failures?.map((f) => f.caseId)).toEqual(['case-1']);
    expect(store.caseDetail('case-1').auditFailure).toMatchObject({ kind: 'failed' });
    for (const id of ['case-0', 'case-2', 'case-3', 'case-4', 'case-5'])
      expect(store.caseDetail(id).auditFailure, id).toBeNull();
    expect(store.metrics.stats()).toMatchObject({ audits: 5, jobs: { done: 5, failed: 1, running: 0, queued: 0 } });
  });

  it('fails a case the engine cannot read (no_vision, HTTP 4xx) after one attempt and keeps going', async () => {
    const { store, runner, engine } = setup(4);
    engine.failFor.set(
      'case-1',
      new EngineError('no_vision', 'Case case-1 has an image, and node-llama-cpp cannot read images.'),
    );
    engine.failFor.set('case-2', httpError(400, '{"error":{"message":"invalid image_url"}}', '127.0.0.1:8080', 'm'));
    const final = await runner.start({}).then(() => runner.whenSettled());
    expect(final).toMatchObject({ state: 'done', done: 2, failed: 2 });
    expect(engine.inputs.filter((i) => i.caseId === 'case-1')).toHaveLength(1);
    expect(engine.inputs.filter((i) => i.caseId === 'case-2')).toHaveLength(1);
    const failedErrors = store.db
      .prepare<[], { case_id: string; last_error: string }>(
        "SELECT case_id, last_error FROM jobs WHERE status = 'failed' ORDER BY case_id",
      )
      .all();
    expect(failedErrors.map((r) => r.case_id)).toEqual(['case-1', 'case-2']);
    expect(failedErrors[0].last_error).toMatch(/cannot read images/);
  });

  it('pauses the batch on an error no case can get past (unauthorized), losing nothing; resume finishes it', async () => {
    const { store, runner, engine } = setup(5);
    engine.failNext.set('case-1', [httpError(401, '{"error":{"message":"Invalid API Key"}}', 'gpu-01:8000', 'm')]);
    await runner.start({});
    const paused = await runner.whenSettled();
    expect(paused).toMatchObject({ state: 'paused', done: 1, failed: 0 });
    expect(paused.lastError).toMatch(/^Paused: .*refused the API key/);
    // One call for case-1, then nothing else was tried with the broken engine.
    expect(engine.inputs.map((i) => i.caseId)).toEqual(['case-0', 'case-1']);
    const job = store.db
      .prepare<[], { status: string; attempts: number }>("SELECT status, attempts FROM jobs WHERE case_id = 'case-1'")
      .get();
    expect(job).toEqual({ status: 'queued', attempts: 0 });
    expect(store.metrics.stats().jobs).toMatchObject({ queued: 4, running: 0, failed: 0, done: 1 });

    await runner.resume(); // the moderator fixed the key
    const final = await runner.whenSettled();
    expect(final).toMatchObject({ state: 'done', done: 5, failed: 0, lastError: null });
    expect(store.metrics.stats()).toMatchObject({ audits: 5, jobs: { done: 5, failed: 0, queued: 0, running: 0 } });
  });

  it('waits before retrying a transient failure (a restarting server) and doubles the wait', async () => {
    const { store, runner, engine } = setup(1, 150);
    engine.delayMs = 1;
    const restarting = () =>
      new EngineError('server_error', 'The connection broke: the server stopped or restarted.', { transient: true });
    engine.failNext.set('case-0', [restarting(), restarting()]);
    const final = await runner.start({}).then(() => runner.whenSettled());
    expect(final).toMatchObject({ state: 'done', done: 1, failed: 0 });
    const [first, second, third] = engine.startedAt.get('case-0')!;
    // jitter is ±25%: 150 ms, then 300 ms
    expect(second - first).toBeGreaterThanOrEqual(150 * 0.75);
    expect(third - second).toBeGreaterThanOrEqual(300 * 0.75);
    // Two real failures; the successful try is not one.
    expect(store.db.prepare("SELECT attempts FROM jobs WHERE case_id = 'case-0'").get()).toEqual({ attempts: 2 });
  });

  it('pausing during a retry wait takes effect at once and keeps the case queued', async () => {
    const { store, runner, engine } = setup(2, 60_000);
    engine.delayMs = 1;
    engine.failNext.set('case-0', [
      new EngineError('unreachable', 'Nothing answers at 127.0.0.1:1 (ECONNREFUSED).', { transient: true }),
    ]);
    await runner.start({});
    const deadline = Date.now() + 5000;
    while (
      !store.db.prepare("SELECT 1 FROM jobs WHERE case_id = 'case-0' AND status = 'queued' AND attempts = 1").get()
    ) {
      expect(Date.now(), 'case-0 never went back to the queue after its first failure').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 5));
    }
    const pausedAt = Date.now();
    runner.pause();
    const paused = await runner.whenSettled();
    expect(Date.now() - pausedAt).toBeLessThan(1000);
    expect(paused).toMatchObject({ state: 'paused', failed: 0 });
    expect(store.metrics.stats().jobs).toMatchObject({ queued: 2, running: 0, failed: 0 });
  });

  it('tells the engine when a case named an image the store does not have', async () => {
    const { store, runner, engine } = setup(0);
    store.cases.insert(newCase('ghost-image', { imageRef: 'missing.png', imageMissing: true }), null);
    store.cases.insert(newCase('text-only'), null);
    await runner.start({});
    await runner.whenSettled();
    const byId = Object.fromEntries(engine.inputs.map((i) => [i.caseId, i]));
    expect(byId['ghost-image']).toMatchObject({ image: null, imageMissing: true });
    expect(byId['text-only']).toMatchObject({ image: null, imageMissing: false });
    expect(store.caseDetail('ghost-image').latestAudit?.imageMissing).toBe(true);
  });

  it('refuses to start without a loaded model, and rejects unknown case ids before queueing anything', async () => {
    const { store, events } = setup(1);
    const idle = new AuditRunner({ store: asStore(store), events, currentEngine: () => null });
    await expect(idle.start({})).rejects.toThrow(/No model is loaded/);
    const { runner, store: other } = setup(1);
    await expect(runner.start({ caseIds: ['case-0', 'nope'] })).rejects.toThrow(/No case with id "nope"/);
    expect(other.jobs.counts().queued).toBe(0);
  });
});

describe('cases in flight and the case the moderator has open', () => {
  it('keeps as many cases in flight as the engine decodes together, never more', async () => {
    const { runner, engine } = setup(6);
    await runner.start({ parallel: 4 }); // an in-process engine reports no slots: one case at a time
    await runner.whenSettled();
    expect(engine.maxRunning).toBe(1);
    const second = setup(6);
    second.engine.parallelSlots = 2;
    await second.runner.start({ parallel: 4 });
    await second.runner.whenSettled();
    expect(second.engine.maxRunning).toBe(2);
    expect(second.store.metrics.stats().audits).toBe(6);
  });

  it('cancel stops every in-flight case at once and leaves none running', async () => {
    const { store, runner, engine } = setup(9);
    engine.parallelSlots = 3;
    engine.delayMs = 200;
    await runner.start({});
    await until(() => engine.running === 3);
    expect(runner.progress().inFlightCaseIds).toHaveLength(3);
    const started = performance.now();
    await runner.cancel();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(engine.running).toBe(0);
    const stats = store.metrics.stats();
    expect(stats.audits).toBe(0);
    expect(stats.jobs.running).toBe(0);
    expect(stats.jobs.queued).toBe(0);
    expect(store.jobs.counts().cancelled).toBe(9);
    expect(runner.progress().inFlightCaseIds).toEqual([]);
  });

  it('with no batch running, an opened case is audited alone and nothing else is claimed', async () => {
    const { store, runner, engine, events } = setup(5);
    const streamed = new Set<string>();
    events.on('audit.token', (t) => streamed.add(t.caseId));
    expect(await runner.prioritize('case-3')).toMatchObject({
      state: 'running',
      priorityCaseId: 'case-3',
      total: 1,
      auditOnOpenOnly: true,
    });
    const final = await runner.whenSettled();
    expect(final.state).toBe('done');
    expect(engine.inputs.map((i) => i.caseId)).toEqual(['case-3']);
    expect([...streamed]).toEqual(['case-3']);
    expect(store.metrics.stats().audits).toBe(1);
    // Opening it again once it has a verdict starts nothing.
    expect((await runner.prioritize('case-3')).state).toBe('done');
    expect(engine.inputs).toHaveLength(1);
  });

  it('an opened case jumps a running batch, taking the youngest slot when all are busy; every case still gets one verdict', async () => {
    const { store, runner, engine } = setup(10);
    engine.parallelSlots = 2;
    engine.delayMs = 40;
    await runner.start({});
    await until(() => engine.running === 2);
    const before = engine.inputs.length;
    await runner.prioritize('case-9');
    await until(() => engine.inputs.length > before);
    expect(engine.inputs[before].caseId).toBe('case-9');
    // Moving on clears the preference; the batch finishes in queue order.
    expect((await runner.prioritize(null)).priorityCaseId).toBeNull();
    await runner.whenSettled();
    const audited = store.db
      .prepare<[], { case_id: string; n: number }>('SELECT case_id, count(*) AS n FROM audits GROUP BY case_id')
      .all();
    expect(audited).toHaveLength(10);
    expect(audited.every((row) => row.n === 1)).toBe(true);
    expect(store.metrics.stats().jobs).toMatchObject({ done: 10, queued: 0, running: 0, failed: 0 });
  });

  it('starting a batch while the opened case is audited alone widens the run instead of refusing', async () => {
    const { store, runner, engine } = setup(6);
    engine.parallelSlots = 2;
    engine.delayMs = 30;
    await runner.prioritize('case-5');
    const progress = await runner.start({});
    expect(progress.state).toBe('running');
    expect(progress.total).toBe(6);
    expect(progress.auditOnOpenOnly).toBe(false);
    await runner.whenSettled();
    expect(engine.inputs[0].caseId).toBe('case-5');
    expect(new Set(engine.inputs.map((i) => i.caseId)).size).toBe(6);
    expect(store.metrics.stats().audits).toBe(6);
  });

  // Issue 20: "a case opened during another audit-on-open ended with neither a verdict nor a failure". The worker
  // of the first opened case, once done, claims the newly opened one; when that claim reads the queue before
  // prioritize has written the job, and prioritize then counts on the worker still being there, nobody is left to
  // claim it. Which one goes first is a matter of a few microtasks, so every offset of the enqueue (ticks after
  // the worker's empty claim) and both orders of the empty answer are tried.
  it('a case opened as the previously opened one finishes gets its verdict, whatever the interleaving', async () => {
    const outcomes: string[] = [];
    for (const answerAfterPrioritize of [false, true]) {
      for (let ticks = 0; ticks <= 12; ticks++) {
        let claimMissed!: () => void;
        const claimMissedOpened = new Promise<void>((resolve) => (claimMissed = resolve));
        let openedSecond: Promise<AuditProgress> | null = null;
        const racing = (store: Store): Store => ({
          ...store,
          jobs: {
            ...store.jobs,
            claimCase: async (caseId, modelId, promptSha256) => {
              const job = await store.jobs.claimCase(caseId, modelId, promptSha256);
              if (caseId === 'case-1' && !job) {
                claimMissed();
                // The empty answer (read before the job existed) may arrive after prioritize is done with it.
                if (answerAfterPrioritize) await openedSecond;
              }
              return job;
            },
            enqueue: async (caseIds, modelId, promptSha256, batchId) => {
              if (caseIds.includes('case-1')) {
                await claimMissedOpened;
                for (let i = 0; i < ticks; i++) await Promise.resolve();
              }
              return store.jobs.enqueue(caseIds, modelId, promptSha256, batchId);
            },
          },
        });
        const { store, runner, engine } = setup(3, 5, racing);
        let finishFirst!: () => void;
        engine.holdUntil.set('case-0', new Promise<void>((resolve) => (finishFirst = resolve)));
        await runner.prioritize('case-0');
        await until(() => engine.running === 1);
        openedSecond = runner.prioritize('case-1');
        finishFirst();
        await openedSecond;
        await runner.whenSettled();
        const second = store.caseDetail('case-1');
        const outcome = second.latestAudit ? 'verdict' : second.auditFailure ? 'failure' : 'neither';
        outcomes.push(`${answerAfterPrioritize ? 'late' : 'prompt'} answer, +${ticks} ticks: ${outcome}`);
      }
    }
    expect(outcomes.filter((o) => !o.endsWith(': verdict'))).toEqual([]);
  });

  it('a batch started as the opened case finishes is audited whole, even when the last claim looked before it was queued', async () => {
    let claimMissed!: () => void;
    const claimMissedBatch = new Promise<void>((resolve) => (claimMissed = resolve));
    let batchStarted: Promise<AuditProgress> | null = null;
    const racing = (store: Store): Store => ({
      ...store,
      jobs: {
        ...store.jobs,
        claimNext: async (modelId, promptSha256) => {
          const job = await store.jobs.claimNext(modelId, promptSha256);
          if (!job && batchStarted) {
            claimMissed();
            await batchStarted;
          }
          return job;
        },
        enqueue: async (caseIds, modelId, promptSha256, batchId) => {
          if (batchStarted) await claimMissedBatch;
          return store.jobs.enqueue(caseIds, modelId, promptSha256, batchId);
        },
      },
    });
    const { store, runner, engine } = setup(3, 5, racing);
    let finishOpened!: () => void;
    engine.holdUntil.set('case-0', new Promise<void>((resolve) => (finishOpened = resolve)));
    await runner.prioritize('case-0');
    await until(() => engine.running === 1);
    batchStarted = runner.start({});
    finishOpened();
    await batchStarted;
    await runner.whenSettled();
    expect(store.metrics.stats()).toMatchObject({ audits: 3, jobs: { queued: 0, running: 0 } });
  });

  it('does not start anything without a loaded model, or while the batch is paused', async () => {
    const store = openTempStore();
    store.cases.insert(newCase('case-0'), null);
    const idle = new AuditRunner({ store: asStore(store), events: new CoreEvents(), currentEngine: () => null });
    expect(await idle.prioritize('case-0')).toMatchObject({ state: 'idle', priorityCaseId: 'case-0' });
    const { runner, engine } = setup(4);
    engine.delayMs = 40;
    await runner.start({});
    runner.pause();
    await runner.whenSettled();
    const audited = engine.inputs.length;
    expect((await runner.prioritize('case-3')).state).toBe('paused');
    await new Promise((r) => setTimeout(r, 100));
    expect(engine.inputs).toHaveLength(audited);
  });
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('which failures are worth retrying', () => {
  const host = '127.0.0.1:8080';
  const cases: Array<[string, unknown, FailureKind]> = [
    ['case_too_long', new EngineError('case_too_long', 'too long'), 'case'],
    [
      'context exceeded on the server',
      httpError(
        400,
        '{"error":{"type":"exceed_context_size_error","message":"the request exceeds the available context size"}}',
        host,
        'm',
      ),
      'case',
    ],
    ['no_vision (in-process engine)', new EngineError('no_vision', 'no mmproj'), 'case'],
    [
      'server refuses the image',
      httpError(
        500,
        '{"error":{"message":"image input is not supported - hint: if this is unexpected, you may need to provide the mmproj"}}',
        host,
        'm',
      ),
      'case',
    ],
    ['other 4xx for this request', httpError(422, '{"error":{"message":"bad field"}}', host, 'm'), 'case'],
    ['401', httpError(401, '', host, 'm'), 'engine'],
    ['403', httpError(403, '', host, 'm'), 'engine'],
    ['404 model', httpError(404, '{"error":{"message":"The model `x` does not exist."}}', host, 'm'), 'engine'],
    ['404 route', httpError(404, 'Not Found', host, 'm'), 'engine'],
    ['certificate', new EngineError('tls', 'self-signed'), 'engine'],
    ['engine unloaded', new EngineError('load_failed', 'The model was unloaded'), 'engine'],
    [
      'name does not resolve',
      networkError(
        Object.assign(new TypeError('fetch failed'), {
          cause: Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }),
        }),
        host,
        'connect',
      ),
      'engine',
    ],
    [
      'connection refused (sidecar restarting)',
      networkError(
        Object.assign(new TypeError('fetch failed'), {
          cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
        }),
        host,
        'connect',
      ),
      'retry',
    ],
    ['stream broke mid-generation', networkError(new TypeError('terminated'), host, 'stream'), 'retry'],
    ['503 loading', httpError(503, '{"error":{"message":"Loading model"}}', host, 'm'), 'retry'],
    ['429 busy', httpError(429, '', host, 'm'), 'retry'],
    ['500 other', httpError(500, '{"error":{"message":"something broke"}}', host, 'm'), 'retry'],
    [
      'sidecar gave up restarting',
      new EngineError('server_error', 'not restarted again', { requiresReload: true }),
      'engine',
    ],
    ['other server_error', new EngineError('server_error', 'something broke'), 'retry'],
    ['native generation failure', new EngineError('generation_failed', 'llama.node failed'), 'retry'],
    ['not an EngineError', new Error('boom'), 'retry'],
  ];
  it.each(cases.map(([name, error, kind]) => ({ name, error, kind })))('$name → $kind', ({ error, kind }) => {
    expect(classifyFailure(error)).toBe(kind);
  });
});

describe('a case whose stored image cannot be read', () => {
  function withImageCase(fileState: 'deleted' | 'symlink' | 'altered') {
    const ctx = setup(1);
    const bytes = Buffer.from('not really a png, but the store only checks the bytes it recorded');
    const sha = ctx.store.images.writeFile(bytes);
    ctx.store.images.record({ sha256: sha, mime: 'image/png', width: 1, height: 1, bytes: bytes.length });
    ctx.store.transaction(() => ctx.store.cases.insert(newCase('with-image', { imageSha256: sha }), null));
    const file = ctx.store.images.pathFor(sha);
    rmSync(file);
    if (fileState === 'symlink') {
      const elsewhere = path.join(tempDir(), 'outside.png');
      writeFileSync(elsewhere, bytes); // the right bytes, but reached through a link the store never makes
      symlinkSync(elsewhere, file);
    }
    if (fileState === 'altered') writeFileSync(file, Buffer.concat([bytes, Buffer.from('!')]));
    return { ...ctx, file, bytes };
  }

  it.each(['deleted', 'symlink', 'altered'] as const)(
    'fails the job with "image unavailable" when the file is %s, never auditing the case without its image',
    async (fileState) => {
      const { store, runner, engine } = withImageCase(fileState);
      const final = await runner.start({}).then(() => runner.whenSettled());
      expect(final).toMatchObject({ state: 'done', done: 1, failed: 1 });
      expect(engine.inputs.map((input) => input.caseId)).toEqual(['case-0']);
      expect(store.audits.latest('with-image')).toBeNull();
      const job = store.db
        .prepare<[], { status: string; last_error: string; attempts: number }>(
          "SELECT status, last_error, attempts FROM jobs WHERE case_id = 'with-image'",
        )
        .get()!;
      expect(job).toMatchObject({ status: 'failed', attempts: 1 });
      expect(job.last_error).toMatch(/^Image unavailable: .*(does not exist|symbolic link|recorded bytes)/);
    },
  );

  it('is audited, with its image, by the next batch once the file is restored', async () => {
    const { store, runner, engine, file, bytes } = withImageCase('deleted');
    await runner.start({}).then(() => runner.whenSettled());
    writeFileSync(file, bytes);
    const final = await runner.start({}).then(() => runner.whenSettled());
    expect(final).toMatchObject({ done: 1, failed: 0 });
    expect(engine.inputs.at(-1)).toMatchObject({ caseId: 'with-image', imageMissing: false });
    expect(Buffer.from(engine.inputs.at(-1)!.image!.bytes).equals(bytes)).toBe(true);
    expect(store.audits.latest('with-image')).not.toBeNull();
  });
});
