// Locates the first flagged step of a case's trace by prefix search with the loaded guard model
// (docs/step-localization.md). Each probe is an ordinary audit through the engine, of the case with its trace cut
// after step k and its response replaced by the reference script's placeholder; the probe's result goes to the
// search's own table, never to `audits`, so the case's verdict is never replaced. A search is a durable job: a kill
// loses at most the probe in flight, and the next run replays the stored probes (planSearch is a pure function of
// them) and runs only the missing ones.
import { createHash } from 'node:crypto';
import type { AuditProgress, AuditRecord } from '@domain/audits';
import type { Settings } from '@domain/settings';
import { NO_RESPONSE_TEXT, planSearch, type StepSearchRecord, type StepSearchStatus } from '@domain/step-localization';
import { SEGMENTER_VERSION, segmentTrace, traceThroughStep } from '@domain/trace-steps';
import type { Store } from '../store/contract';
import { EngineError, type Engine } from '../engine/engine';
import { caseAuditInput, classifyFailure } from './audit-runner';
import { JOB_HEARTBEAT_INTERVAL_MS } from './job-heartbeat';

const MAX_ATTEMPTS = 3;
const RETRY_DELAY_MS = 1_000;

export interface StepLocatorEvents {
  emit(event: 'cases.changed', payload: { caseIds: string[] }): void;
}

/** The audit runner's events a batch search listens to (the core's event bus fits). */
export interface BatchEvents {
  on(event: 'audit.verdict', listener: (payload: { caseId: string; audit: AuditRecord }) => void): () => void;
  on(event: 'audit.progress', listener: (payload: AuditProgress) => void): () => void;
}

export interface StepLocatorOptions {
  store: Store;
  events: StepLocatorEvents;
  currentEngine: () => Engine | null;
  /** First wait before a probe is tried again after a transient failure (tests shorten it). */
  retryDelayMs?: number;
}

export interface ProbeRunOptions {
  signal?: AbortSignal;
  strictFormat?: boolean;
  maxNewTokens?: number;
  /**
   * Stop each probe at its judgment (default true): a probe's analysis is never shown, so only the judgment is
   * generated that the profile allows (engine/judgment-stop.ts). False only to measure what it saves.
   */
  stopAtJudgment?: boolean;
  /** Called after each probe is stored (the CLI prints them). */
  onProbe?: (search: StepSearchRecord) => void;
}

/** A probe is flagged when its verdict is at least 0.5 (GuardTrace-VL: potentially harmful or harmful). */
export const FLAG_THRESHOLD = 0.5;

export function traceSha256(trace: string): string {
  return createHash('sha256').update(trace, 'utf8').digest('hex');
}

export class StepLocator {
  private readonly controllers = new Set<AbortController>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly options: StepLocatorOptions) {}

  private engine(): Engine {
    const engine = this.options.currentEngine();
    if (!engine)
      throw new EngineError(
        'load_failed',
        'No model is loaded. Load the model folder first (Audit runner → Model folder, or --model DIR).',
      );
    return engine;
  }

  /** Queues the search for one case with the loaded model (no-op when it has one finished or live). */
  async enqueue(caseId: string): Promise<{ id: number; queued: boolean }> {
    const { store } = this.options;
    const engine = this.engine();
    const info = engine.info();
    const trace = (await store.cases.content(caseId)).thinking;
    return store.steps.enqueue({
      caseId,
      stepCount: segmentTrace(trace).length,
      segmenterVersion: SEGMENTER_VERSION,
      traceSha256: traceSha256(trace),
      engine: info.engine,
      modelId: info.modelId,
      modelSha256: null,
      mmprojSha256: null,
      promptSha256: info.promptSha256,
      profileId: info.profileId,
    });
  }

  /** Queues a search for every case the loaded model judged at least 0.5 that has none; returns how many. */
  async queueFlagged(limit = Number.MAX_SAFE_INTEGER): Promise<number> {
    const info = this.engine().info();
    const { store } = this.options;
    let queued = 0;
    for (const caseId of await store.steps.flaggedWithoutSearch(info.modelId, info.promptSha256, limit)) {
      if ((await this.enqueue(caseId)).queued) queued++;
    }
    return queued;
  }

  /** Runs (or resumes) the search for one case now and returns it as stored. */
  async locate(caseId: string, options: ProbeRunOptions = {}): Promise<StepSearchRecord> {
    const { store } = this.options;
    const engine = this.engine();
    const info = engine.info();
    await store.steps.requeueOrphaned();
    const { id } = await this.enqueue(caseId);
    const claimed = await store.steps.claim(info.modelId, info.promptSha256, id);
    if (claimed) await this.run(engine, claimed, options);
    return store.steps.get(id);
  }

  /** Works through the queued searches for the loaded model until none is left or the signal aborts. */
  async runQueued(options: ProbeRunOptions = {}): Promise<{ finished: number; failed: number }> {
    const { store } = this.options;
    const engine = this.engine();
    const info = engine.info();
    await store.steps.requeueOrphaned();
    let finished = 0;
    let failed = 0;
    while (!options.signal?.aborted) {
      const search = await store.steps.claim(info.modelId, info.promptSha256);
      if (!search) break;
      const status = await this.run(engine, search, options);
      if (status === 'failed') failed++;
      else if (status !== 'queued') finished++;
    }
    return { finished, failed };
  }

  /** Stops the probe in flight (its search goes back to the queue with its probes) and cancels the queued rest. */
  async cancel(): Promise<number> {
    for (const controller of this.controllers) controller.abort();
    return this.options.store.steps.cancelQueued();
  }

  /** For quit: stops the probe in flight and waits until its search is back in the queue; queued ones stay. */
  async shutdown(): Promise<void> {
    for (const controller of this.controllers) controller.abort();
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private async run(engine: Engine, search: StepSearchRecord, options: ProbeRunOptions): Promise<StepSearchStatus> {
    const running = this.runOnce(engine, search, options);
    this.inFlight.add(running);
    try {
      return await running;
    } finally {
      this.inFlight.delete(running);
    }
  }

  private async runOnce(engine: Engine, search: StepSearchRecord, options: ProbeRunOptions): Promise<StepSearchStatus> {
    const { store, events } = this.options;
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort();
    options.signal?.addEventListener('abort', onOuterAbort, { once: true });
    this.controllers.add(controller);
    const heartbeat = setInterval(() => {
      // Busy or closing: the next beat tries again.
      store.steps.heartbeat().catch(() => undefined);
    }, JOB_HEARTBEAT_INTERVAL_MS);
    heartbeat.unref();
    try {
      const status = await this.probeUntilDone(engine, search, controller.signal, options);
      events.emit('cases.changed', { caseIds: [search.caseId] });
      return status;
    } catch (error) {
      if (controller.signal.aborted || classifyFailure(error) === 'engine') {
        // Not the case's fault: back to the queue, probes kept; an engine-wide error is the caller's to report.
        await store.steps.release(search.id);
        if (controller.signal.aborted) return 'queued';
        throw error;
      }
      await store.steps.fail(
        search.id,
        `Case ${search.caseId}: ${error instanceof Error ? error.message : String(error)}`,
      );
      events.emit('cases.changed', { caseIds: [search.caseId] });
      return 'failed';
    } finally {
      clearInterval(heartbeat);
      this.controllers.delete(controller);
      options.signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  private async probeUntilDone(
    engine: Engine,
    search: StepSearchRecord,
    signal: AbortSignal,
    options: ProbeRunOptions,
  ): Promise<StepSearchStatus> {
    const { store } = this.options;
    const input = await caseAuditInput(store, search.caseId);
    const steps = segmentTrace(input.thinking);
    if (traceSha256(input.thinking) !== search.traceSha256 || steps.length !== search.stepCount)
      throw new EngineError(
        'generation_failed',
        'the trace changed since this search was queued; search again to cut the new trace into steps.',
      );
    const probes = new Map(search.probes.map((probe) => [probe.cut, probe.flagged]));
    for (;;) {
      const plan = planSearch(steps.length, probes);
      if ('done' in plan) {
        const located = plan.done === 'located' ? { step: plan.step, offset: steps[plan.step - 1].start } : null;
        await store.steps.finish(search.id, plan.done, located);
        return plan.done;
      }
      const cut = plan.next;
      const result = await this.withRetries(signal, () =>
        engine.audit(
          { ...input, thinking: traceThroughStep(input.thinking, steps, cut), response: NO_RESPONSE_TEXT },
          {
            signal,
            strictFormat: options.strictFormat,
            maxNewTokens: options.maxNewTokens,
            stopAtJudgment: options.stopAtJudgment ?? true,
          },
        ),
      );
      if (result.verdict.status !== 'ok')
        throw new EngineError(
          'generation_failed',
          `the probe with the trace cut after step ${cut} of ${steps.length} gave no verdict (${result.verdict.status}: ${result.verdict.error}). ` +
            'No step is claimed; the case keeps its verdict.',
        );
      const flagged = result.verdict.risk >= FLAG_THRESHOLD;
      await store.steps.recordProbe(
        search.id,
        {
          cut,
          status: 'ok',
          risk: result.verdict.status === 'ok' ? result.verdict.risk : null,
          flagged,
          levelProbs: result.levelProbs,
          promptTokens: result.promptTokens,
          cachedPromptTokens: result.cachedPromptTokens,
          generatedTokens: result.generatedTokens,
          judgmentStop: result.judgmentStop ?? null,
          totalMs: result.timings.totalMs,
          rawOutput: result.rawOutput,
        },
        result.provenance
          ? { modelSha256: result.provenance.modelSha256, mmprojSha256: result.provenance.mmprojSha256 }
          : undefined,
      );
      probes.set(cut, flagged);
      options.onProbe?.(await store.steps.get(search.id));
    }
  }

  /** A transient failure (a restarting server) is tried again, twice, after a growing wait. */
  private async withRetries<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (signal.aborted || attempt >= MAX_ATTEMPTS || classifyFailure(error) !== 'retry') throw error;
        await new Promise((resolve) =>
          setTimeout(resolve, (this.options.retryDelayMs ?? RETRY_DELAY_MS) * 2 ** (attempt - 1)),
        );
      }
    }
  }
}

/**
 * Settings.locateFlaggedInBatch: each verdict of 0.5 or 1 a batch records queues a search for its case, and when the
 * batch is done the queued searches run (one case at a time, through the same engine; a later batch waits for none
 * of it). Off by default: each search costs up to ⌈log₂ N⌉ + 1 extra generations. Returns the unsubscribe function.
 */
export function locateFlaggedAfterBatches(
  locator: StepLocator,
  events: BatchEvents,
  settings: () => Promise<Pick<Settings, 'locateFlaggedInBatch' | 'strictFormat'>>,
): () => void {
  let running = false;
  // Verdicts queue their searches in order; the batch's searches start once those are queued.
  let enqueued: Promise<unknown> = Promise.resolve();
  const offVerdict = events.on('audit.verdict', ({ caseId, audit }) => {
    if (audit.status !== 'ok' || (audit.risk ?? 0) < FLAG_THRESHOLD) return;
    enqueued = enqueued
      .then(async () => {
        if (!(await settings()).locateFlaggedInBatch) return;
        await locator.enqueue(caseId);
      })
      .catch(() => undefined); // The model was unloaded meanwhile: `guardtrace locate --flagged` or the next batch picks the case up.
  });
  const offProgress = events.on('audit.progress', (progress) => {
    if (progress.state !== 'done' || running) return;
    running = true;
    void (async () => {
      await enqueued;
      const { locateFlaggedInBatch, strictFormat } = await settings();
      if (locateFlaggedInBatch) await locator.runQueued({ strictFormat });
    })()
      .catch(() => undefined) // an engine-wide error leaves the searches queued, with their probes
      .finally(() => (running = false));
  });
  return () => {
    offVerdict();
    offProgress();
  };
}
