import { randomUUID } from 'node:crypto';
import type { AuditProgress, AuditRecord, AuditStartRequest, AuditTokenEvent } from '@domain/audits';
import type { FailedAuditCase } from '@domain/audit-failure';
import type { AuditJob } from '@domain/jobs';
import { StoreError, type Store } from '../store/contract';
import { startJobHeartbeat } from './job-heartbeat';
import { throttleTokens } from './token-throttle';
import { EngineError, type AuditInput, type Engine } from '../engine/engine';
import { clampParallelCases, engineParallelSlots } from '../engine/parallelism';

const MAX_ATTEMPTS = 3;
/** Failed cases the progress lists by name; the count covers them all. */
const MAX_FAILURES_LISTED = 500;
/** First wait before a failed case is tried again; doubles with each attempt (capped), so a restarting server gets time. */
const RETRY_DELAY_MS = 1_000;
const MAX_RETRY_DELAY_MS = 30_000;
/** How many cases the rate is averaged over, so a slow first case (prefix evaluation) doesn't skew the ETA. */
const RATE_WINDOW = 20;

/** The events the runner sends. The core's event bus (api/events.ts) fits; jobs/ stays below the API layer. */
export interface AuditRunnerEvents {
  emit(event: 'audit.progress', payload: AuditProgress): void;
  emit(event: 'audit.token', payload: AuditTokenEvent): void;
  emit(event: 'audit.verdict', payload: { caseId: string; audit: AuditRecord }): void;
  emit(event: 'cases.changed', payload: { caseIds: string[] }): void;
}

export interface AuditRunnerOptions {
  store: Store;
  events: AuditRunnerEvents;
  /** The engine in use; null when no model is loaded. */
  currentEngine: () => Engine | null;
  /** First backoff before a retry (default 1 s); tests shorten it. */
  retryDelayMs?: number;
}

/**
 * What a failed attempt means for the queue:
 * - 'retry': the next attempt may succeed (a server restarting, a dropped connection, a native hiccup);
 * - 'case': this case can never succeed with this engine (too long for the context, an image the engine cannot
 *   read, a request the server rejects as malformed), so it fails now and the batch goes on;
 * - 'engine': no case can succeed until the moderator changes something (key, address, certificate, model name,
 *   model folder), so failing the rest of the queue one by one would only bury the cause; the batch pauses instead.
 */
export type FailureKind = 'retry' | 'case' | 'engine';

export function classifyFailure(error: unknown): FailureKind {
  // The case's image file is gone or altered: no retry brings it back; the case fails with the reason, and is
  // queued again by the next batch once the file is restored (no verdict was written for it).
  if (error instanceof StoreError && error.code === 'image_unavailable') return 'case';
  if (!(error instanceof EngineError)) return 'retry';
  const transient = error.details.transient === true;
  if (error.details.requiresReload === true) return 'engine';
  switch (error.code) {
    case 'case_too_long':
    case 'no_vision':
    case 'image_refused':
      return 'case';
    case 'unauthorized':
    case 'tls':
    case 'model_not_found':
    case 'load_failed':
    case 'model_folder_invalid':
    case 'prompt_hash_mismatch':
    case 'mmproj_mismatch':
      return 'engine';
    case 'unreachable':
      // ECONNREFUSED, timeouts and the like may be a restart; a name that does not resolve is a wrong address.
      return transient ? 'retry' : 'engine';
    case 'generation_failed': {
      // An HTTP 4xx for this request is the server refusing this case's input; a native failure may be a hiccup.
      const status = error.details.status;
      return typeof status === 'number' && status >= 400 && status < 500 && !transient ? 'case' : 'retry';
    }
    default:
      return 'retry';
  }
}

/**
 * Works through the durable job queue with the loaded engine. The queue lives in the store, so a crash or
 * kill loses at most the in-flight cases (the next batch re-queues them once their owner is gone), and the audits table's
 * UNIQUE(case, model, prompt) makes a redone case impossible to record twice.
 */
export class AuditRunner {
  private state: AuditProgress['state'] = 'idle';
  private done = 0;
  private failed = 0;
  private total = 0;
  private currentCaseId: string | null = null;
  private lastError: string | null = null;
  private failures: FailedAuditCase[] = [];
  private finishTimes: number[] = [];
  private controllers = new Set<AbortController>();
  private readonly workers = new Set<Promise<void>>();
  private stopHeartbeat: (() => void) | null = null;
  private request: AuditStartRequest = {};
  private engine: Engine | null = null;
  /** Cases being generated now, by job id; `priority` cases are never pre-empted. */
  private readonly inFlight = new Map<number, { caseId: string; controller: AbortController; startedAt: number }>();
  /** The case the moderator has open: claimed before the queue (see prioritize). */
  private priorityCaseId: string | null = null;
  /** A run started only for the opened case (no batch): its workers claim nothing else. */
  private priorityOnly = false;
  /** A start is writing the queue (between its checks and its launch). */
  private starting = false;
  /**
   * Bumped each time a job is queued for workers that are already running (an opened case, a batch widening an
   * audit on open). A worker whose claim comes back empty claims again if it moved meanwhile: that claim may have
   * read the queue before the job was written, and the job's writer counted on this worker to take it.
   */
  private queuedForRunningWorkers = 0;

  constructor(private readonly options: AuditRunnerOptions) {}

  progress(): AuditProgress {
    const remaining = Math.max(this.total - this.done - this.failed, 0);
    const rate = this.casesPerMinute();
    return {
      state: this.state,
      done: this.done,
      failed: this.failed,
      total: this.total,
      casesPerMinute: rate,
      etaSeconds: rate > 0 && this.state === 'running' ? Math.round((remaining / rate) * 60) : null,
      currentCaseId: this.currentCaseId,
      lastError: this.lastError,
      inFlightCaseIds: [...this.inFlight.values()].map((job) => job.caseId),
      priorityCaseId: this.priorityCaseId,
      auditOnOpenOnly: this.priorityOnly,
      failures: this.failures,
    };
  }

  /** Queues the requested cases (or every unaudited one) for the loaded model and starts the workers. */
  async start(request: AuditStartRequest): Promise<AuditProgress> {
    if (this.priorityOnly && this.state === 'running') return this.widenToBatch(request);
    if (this.state === 'running' || this.state === 'cancelling' || this.starting) {
      throw new EngineError('generation_failed', 'An audit batch is already running. Pause or cancel it first.');
    }
    const engine = this.options.currentEngine();
    if (!engine)
      throw new EngineError(
        'load_failed',
        'No model is loaded. Choose the model folder first (Audit runner → Model folder, or --model DIR).',
      );
    const info = engine.info();
    // The queue is written before the batch starts; no second start may slip in while it is.
    this.starting = true;
    try {
      await this.enqueue(info, request);
      this.engine = engine;
      this.request = request;
      this.priorityOnly = false;
      this.resetCounts();
      this.total = await this.options.store.jobs.countQueued(info.modelId, info.promptSha256);
    } finally {
      this.starting = false;
    }
    this.launch();
    return this.progress();
  }

  /** Queues the requested cases (or every unaudited one) for the engine's model and prompt. */
  private async enqueue(info: { modelId: string; promptSha256: string }, request: AuditStartRequest): Promise<void> {
    const { store } = this.options;
    // unknown ids fail loudly before anything is queued
    for (const id of request.caseIds ?? []) await store.cases.content(id);
    const caseIds =
      request.caseIds ??
      (await store.cases.unauditedIds(info.modelId, info.promptSha256, request.limit ?? Number.MAX_SAFE_INTEGER));
    await store.jobs.requeueOrphaned(); // what a killed process left running; a live process's jobs stay its own
    await store.jobs.enqueue(
      request.limit ? caseIds.slice(0, request.limit) : caseIds,
      info.modelId,
      info.promptSha256,
      randomUUID(),
    );
  }

  private resetCounts(): void {
    this.done = 0;
    this.failed = 0;
    this.failures = [];
    this.finishTimes = [];
    this.lastError = null;
  }

  /**
   * The moderator opened `caseId` (null: moved on). While a model is loaded and the case has no verdict for it, the
   * case is queued if needed and claimed before any other job: a running batch gives it the next free slot, taking
   * one from the most recently started case when every slot is busy (that case goes back to the queue without
   * counting an attempt); with no batch running it is audited alone. Tokens stream as `audit.token` for that case.
   */
  async prioritize(caseId: string | null): Promise<AuditProgress> {
    const { store } = this.options;
    if (caseId !== null) await store.cases.content(caseId); // an unknown id fails loudly
    this.priorityCaseId = caseId;
    if (caseId === null) return this.progress();
    const engine = this.state === 'running' ? this.engine : this.options.currentEngine();
    if (!engine || this.state === 'paused' || this.state === 'cancelling') return this.progress();
    const info = engine.info();
    if (await store.verdicts.forModel(caseId, info.modelId, info.promptSha256)) return this.progress();
    if ([...this.inFlight.values()].some((job) => job.caseId === caseId)) return this.progress();
    const queued = await store.jobs.enqueue([caseId], info.modelId, info.promptSha256, randomUUID());
    // The moderator may have moved on, or paused, while the job was queued.
    const stateNow = this.state as AuditProgress['state'];
    if (this.priorityCaseId !== caseId || stateNow === 'paused' || stateNow === 'cancelling') return this.progress();
    if (this.state === 'running') {
      this.total += queued;
      this.queuedForRunningWorkers++;
      if (this.workers.size < this.slots()) this.spawnWorker();
      else this.preemptYoungest();
    } else {
      this.engine = engine;
      this.request = {};
      this.priorityOnly = true;
      this.resetCounts();
      this.total = 1;
      this.launch(1);
    }
    return this.progress();
  }

  pause(): AuditProgress {
    if (this.state !== 'running') return this.progress();
    this.state = 'paused';
    this.abortInFlight();
    this.emitProgress();
    return this.progress();
  }

  async resume(): Promise<AuditProgress> {
    if (this.state !== 'paused') return this.progress();
    const engine = this.options.currentEngine();
    if (!engine)
      throw new EngineError('load_failed', 'The model was unloaded while paused. Load it again, then start the audit.');
    this.engine = engine;
    if (this.lastError?.startsWith('Paused: ')) this.lastError = null; // the moderator has dealt with it
    await this.options.store.jobs.requeueOrphaned();
    if (this.state !== 'paused') return this.progress(); // cancelled meanwhile
    this.launch();
    return this.progress();
  }

  /** Stops the running generation (its job goes back to the queue) and cancels the queued rest. */
  async cancel(): Promise<AuditProgress> {
    if (this.state === 'idle' || this.state === 'done') return this.progress();
    const wasRunning = this.state === 'running';
    this.state = 'cancelling';
    this.abortInFlight();
    if (wasRunning) await this.allWorkers();
    const info = this.engine?.info();
    if (info) await this.options.store.jobs.cancelQueued(info.modelId);
    this.state = 'idle';
    this.currentCaseId = null;
    this.emitProgress();
    return this.progress();
  }

  /** For app quit: stops in-flight generation and returns its job to the queue; queued jobs stay for next time. */
  async shutdown(): Promise<void> {
    if (this.state === 'running') this.state = 'paused';
    this.abortInFlight();
    await this.allWorkers();
  }

  /** Resolves when the current batch has finished, paused or been cancelled. */
  async whenSettled(): Promise<AuditProgress> {
    await this.allWorkers();
    return this.progress();
  }

  /** Workers may be added while others run (a prioritized case, a batch started over a prioritized case). */
  private async allWorkers(): Promise<void> {
    while (this.workers.size) await Promise.all([...this.workers]);
  }

  /** Cases in flight: what the request asks, at most what the engine decodes together. */
  private slots(): number {
    const engineSlots = this.engine ? engineParallelSlots(this.engine) : 1;
    return Math.min(clampParallelCases(this.request.parallel ?? engineSlots), engineSlots);
  }

  private launch(workers = this.slots()): void {
    this.state = 'running';
    this.emitProgress();
    for (let i = this.workers.size; i < workers; i++) this.spawnWorker();
  }

  private spawnWorker(): void {
    // Heartbeats tell other processes this one still owns its running jobs, for as long as any worker runs.
    if (this.workers.size === 0) this.stopHeartbeat = startJobHeartbeat(this.options.store.jobs);
    const worker: Promise<void> = this.worker().finally(() => {
      this.workers.delete(worker);
      if (this.workers.size === 0) {
        this.stopHeartbeat?.();
        this.stopHeartbeat = null;
      }
      if (this.workers.size === 0 && this.state === 'running') {
        this.state = 'done';
        this.priorityOnly = false;
        this.currentCaseId = null;
        this.emitProgress();
      }
    });
    this.workers.add(worker);
  }

  /** A batch was started while the runner audited only the opened case: queue the batch and fill the slots. */
  private async widenToBatch(request: AuditStartRequest): Promise<AuditProgress> {
    const info = this.engine!.info();
    this.priorityOnly = false;
    await this.enqueue(info, request);
    this.queuedForRunningWorkers++;
    this.request = request;
    this.total = this.done + this.failed + (await this.options.store.jobs.countQueued(info.modelId, info.promptSha256));
    this.launch();
    return this.progress();
  }

  /** Every slot is busy and the opened case waits: the most recently started other case gives up its slot. */
  private preemptYoungest(): void {
    let youngest: { caseId: string; controller: AbortController; startedAt: number } | null = null;
    for (const job of this.inFlight.values()) {
      if (job.caseId === this.priorityCaseId) return;
      if (!youngest || job.startedAt > youngest.startedAt) youngest = job;
    }
    youngest?.controller.abort();
  }

  private async claim(modelId: string, promptSha256: string): Promise<AuditJob | null> {
    const { jobs } = this.options.store;
    const priority = this.priorityCaseId ? await jobs.claimCase(this.priorityCaseId, modelId, promptSha256) : null;
    if (priority || this.priorityOnly) return priority;
    return jobs.claimNext(modelId, promptSha256);
  }

  private async worker(): Promise<void> {
    const engine = this.engine!;
    const info = engine.info();
    while (this.state === 'running') {
      const queuedBeforeClaim = this.queuedForRunningWorkers;
      const job = await this.claim(info.modelId, info.promptSha256);
      if (!job) {
        if (this.queuedForRunningWorkers !== queuedBeforeClaim) continue;
        return;
      }
      if (this.state !== 'running') {
        // Paused or cancelled while the claim was on its way: the job goes back untouched.
        await this.options.store.jobs.release(job.id);
        return;
      }
      const outcome = await this.runJob(engine, job);
      // The requeued job is usually the next one claimed; waiting first gives a restarting server time to come back.
      if (outcome === 'requeued') await this.backoff(job.attempts + 1);
    }
  }

  private async runJob(engine: Engine, job: AuditJob): Promise<'done' | 'requeued' | 'failed' | 'released'> {
    const { store, events } = this.options;
    const controller = new AbortController();
    this.controllers.add(controller);
    this.inFlight.set(job.id, { caseId: job.caseId, controller, startedAt: performance.now() });
    this.currentCaseId = job.caseId;
    this.emitProgress();
    const tokens = throttleTokens((text) => events.emit('audit.token', { caseId: job.caseId, text }));
    try {
      const input = await caseAuditInput(store, job.caseId);
      const result = await engine.audit(input, {
        signal: controller.signal,
        strictFormat: this.request.strictFormat,
        maxNewTokens: this.request.maxNewTokens,
        // A piece that arrives after the abort belongs to a generation whose job went back to the queue.
        onToken: (text) => {
          if (!controller.signal.aborted) tokens.push(text);
        },
      });
      tokens.flush(); // the whole text before the verdict
      const { audit } = await store.jobs.complete(job, result);
      this.done++;
      this.finishTimes.push(Date.now());
      if (audit) events.emit('audit.verdict', { caseId: job.caseId, audit });
      events.emit('cases.changed', { caseIds: [job.caseId] });
      return 'done';
    } catch (error) {
      if (controller.signal.aborted) {
        await store.jobs.release(job.id); // paused or cancelled: not the case's fault, not an attempt
        return 'released';
      }
      const message = error instanceof Error ? error.message : String(error);
      const kind = classifyFailure(error);
      if (kind === 'engine') {
        // Not the case's fault either: it goes back unchanged and is audited once the engine is fixed and resumed.
        await store.jobs.release(job.id);
        this.lastError = `Paused: ${message}`;
        this.pause();
        return 'released';
      }
      // A job that ends failed also marks its case as failed, with the reason, until a later audit gives it a verdict.
      const outcome = await store.jobs.fail(job, message, kind === 'case' ? 0 : MAX_ATTEMPTS);
      this.lastError = `Case ${job.caseId}: ${message}`;
      if (outcome === 'failed') {
        this.failed++;
        if (this.failures.length < MAX_FAILURES_LISTED) {
          const { seq } = await store.cases.get(job.caseId);
          this.failures = [...this.failures, { caseId: job.caseId, seq, error: message }];
        }
        events.emit('cases.changed', { caseIds: [job.caseId] });
      }
      return outcome === 'failed' ? 'failed' : 'requeued';
    } finally {
      // Text still pending from an aborted generation would reach the UI after the cancel or pause: drop it.
      if (controller.signal.aborted) tokens.discard();
      else tokens.flush();
      this.controllers.delete(controller);
      this.inFlight.delete(job.id);
      if (this.currentCaseId === job.caseId) this.currentCaseId = this.inFlight.values().next().value?.caseId ?? null;
      this.emitProgress();
    }
  }

  /** Waits before the next claim; pause and cancel cut it short. */
  private async backoff(attempt: number): Promise<void> {
    if (this.state !== 'running') return;
    const base = this.options.retryDelayMs ?? RETRY_DELAY_MS;
    const delay = Math.min(MAX_RETRY_DELAY_MS, base * 2 ** Math.max(0, attempt - 1)) * (0.75 + Math.random() * 0.5);
    const controller = new AbortController();
    this.controllers.add(controller);
    try {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        controller.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    } finally {
      this.controllers.delete(controller);
    }
  }

  private abortInFlight(): void {
    for (const controller of this.controllers) controller.abort();
  }

  private casesPerMinute(): number {
    const recent = this.finishTimes.slice(-RATE_WINDOW);
    if (recent.length < 2) return 0;
    const minutes = (recent[recent.length - 1] - recent[0]) / 60_000;
    return minutes > 0 ? (recent.length - 1) / minutes : 0;
  }

  private emitProgress(): void {
    this.options.events.emit('audit.progress', this.progress());
  }
}

/** What the engine is given for a case: its text, and its image bytes read (and checked) from the store. */
export async function caseAuditInput(store: Store, caseId: string): Promise<AuditInput> {
  const content = await store.cases.content(caseId);
  const image = content.imageSha256 ? await store.images.readChecked(content.imageSha256) : null;
  const namedAnImage = content.imageSha256 !== null || content.imageRef !== null || content.imageMissing;
  return {
    caseId,
    query: content.query,
    thinking: content.thinking,
    response: content.response,
    image: image ? { bytes: image.bytes, mime: image.mime } : null,
    imageMissing: namedAnImage && image === null,
  };
}
