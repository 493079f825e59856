// Untrusted images are parsed by native code (sharp/libvips) in a process of their own, never in GuardTrace's
// main process: a crafted image that crashes, hangs or subverts the decoder takes down only that process and
// fails only its own case. The process is started through a host (a Node child process in the CLI and the tests,
// host-node.ts; an Electron utilityProcess in the app, src-main/app/image-decoder-host.ts), so this file has no
// `electron` import. docs/security.md, "Images", describes the boundary.
import { ImageAspectRatioError, ImagePrepError } from '../image-prep';
import {
  checkResult,
  parseDecodeResponse,
  READY_MESSAGE,
  type DecodeFailure,
  type DecodeJob,
  type DecodeRequest,
  type ImageHeader,
  type PreparedImage,
} from './protocol';

export type { ImageHeader, PreparedImage } from './protocol';

export interface ImageDecoder {
  /** The reference preprocessing of one audit image (prepareImage), done in the decoder process. */
  prepare(bytes: Uint8Array, options: { maxPixels: number; format?: 'png' | 'ppm' }): Promise<PreparedImage>;
  /** The header of one imported image (format, size) without decoding its pixels. */
  inspect(bytes: Uint8Array): Promise<ImageHeader>;
  /** Stops the decoder process and waits until it has exited; pending jobs fail with reason 'disposed'. */
  dispose(): Promise<void>;
}

/** One running decoder process, as its host started it. */
export interface DecoderProcess {
  readonly pid: number | undefined;
  send(request: DecodeRequest): void;
  /**
   * While jobs are in flight the process must keep its parent alive (a CLI awaiting an answer); idle, it must not
   * (the CLI exits when its work is done and the decoder follows). A no-op where the parent lives on anyway.
   */
  setBusy(busy: boolean): void;
  /** Ends it at once (SIGKILL where there is one): a decoder that misbehaves gets no chance to clean up. */
  kill(): void;
}

export interface DecoderProcessHost {
  /** How messages name the process: 'child process', 'utility process'. */
  readonly kind: string;
  /** Starts one decoder process; `exit` is called once, whenever and however it ends. */
  start(events: { message(message: unknown): void; exit(description: string): void }): DecoderProcess;
}

export const DECODER_FAILURE_REASONS = ['crashed', 'timeout', 'invalid_response', 'start_failed', 'disposed'] as const;
export type DecoderFailureReason = (typeof DECODER_FAILURE_REASONS)[number];

function isFailureReason(value: unknown): value is DecoderFailureReason {
  return (DECODER_FAILURE_REASONS as readonly unknown[]).includes(value);
}

/** The decoder process, not the image's content as such, failed the job. */
export class ImageDecoderProcessError extends Error {
  constructor(
    readonly reason: DecoderFailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'ImageDecoderProcessError';
  }
}

/** An ImageDecoder whose two calls are jobs for one `run` (the decoder process, the worker's relay). */
export abstract class JobImageDecoder implements ImageDecoder {
  prepare(bytes: Uint8Array, options: { maxPixels: number; format?: 'png' | 'ppm' }): Promise<PreparedImage> {
    return this.run({
      kind: 'prepare',
      bytes,
      maxPixels: options.maxPixels,
      format: options.format ?? 'png',
    }) as Promise<PreparedImage>;
  }

  inspect(bytes: Uint8Array): Promise<ImageHeader> {
    return this.run({ kind: 'inspect', bytes }) as Promise<ImageHeader>;
  }

  abstract dispose(): Promise<void>;

  protected abstract run(job: DecodeJob): Promise<PreparedImage | ImageHeader>;
}

/** Runs one job with any decoder (the main thread's side of the relay). */
export function runJob(decoder: ImageDecoder, job: DecodeJob): Promise<PreparedImage | ImageHeader> {
  return job.kind === 'prepare'
    ? decoder.prepare(job.bytes, { maxPixels: job.maxPixels, format: job.format })
    : decoder.inspect(job.bytes);
}

export function disposedError(): ImageDecoderProcessError {
  return new ImageDecoderProcessError('disposed', 'the image decoder was shut down');
}

export interface ProcessImageDecoderOptions {
  /** One job may take this long once the process has it; then the process is killed (default 120 s). */
  jobTimeoutMs?: number;
  /** Loading sharp (and, from the sources, compiling with tsx) may take this long (default 60 s). */
  startTimeoutMs?: number;
  /** Jobs sent to the process at once (default 4, the libuv pool's size, where sharp runs). */
  maxInFlight?: number;
}

interface PendingJob {
  id: number;
  job: DecodeJob;
  resolve(result: PreparedImage | ImageHeader): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
  /** It was in flight when the process died beside other jobs: it runs again, alone, to find the culprit. */
  suspect: boolean;
}

interface RunningChild {
  process: DecoderProcess;
  ready: boolean;
  startTimer: NodeJS.Timeout;
}

/** A new process is started for the next job after a crash; after this many in a row without one success, stop. */
const MAX_FAILED_STARTS = 3;

export class ProcessImageDecoder extends JobImageDecoder {
  private child: RunningChild | null = null;
  private readonly queue: PendingJob[] = [];
  private readonly inFlight = new Map<number, PendingJob>();
  private readonly exits = new Set<Promise<void>>();
  private nextId = 1;
  private failedStarts = 0;
  private disposed = false;
  private readonly jobTimeoutMs: number;
  private readonly startTimeoutMs: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly host: DecoderProcessHost,
    options: ProcessImageDecoderOptions = {},
  ) {
    super();
    this.jobTimeoutMs = options.jobTimeoutMs ?? 120_000;
    this.startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 4);
  }

  /** The running decoder's pid (for tests and diagnostics); undefined when none runs. */
  get pid(): number | undefined {
    return this.child?.process.pid;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const job of [...this.queue, ...this.inFlight.values()]) {
      clearTimeout(job.timer);
      job.reject(disposedError());
    }
    this.queue.length = 0;
    this.inFlight.clear();
    this.stopChild();
    await Promise.all(this.exits);
  }

  protected run(job: DecodeJob): Promise<PreparedImage | ImageHeader> {
    if (this.disposed) return Promise.reject(disposedError());
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject, suspect: false });
      this.pump();
    });
  }

  private pump(): void {
    if (this.disposed || this.queue.length === 0) return;
    if (!this.child) this.startChild();
    const child = this.child;
    if (!child?.ready) return;
    while (this.queue.length > 0 && this.inFlight.size < this.maxInFlight) {
      const next = this.queue[0];
      if (next.suspect && this.inFlight.size > 0) return; // a suspect runs alone
      this.queue.shift();
      this.dispatch(child, next);
      if (next.suspect) return;
    }
  }

  private dispatch(child: RunningChild, job: PendingJob): void {
    this.inFlight.set(job.id, job);
    if (this.inFlight.size === 1) child.process.setBusy(true);
    job.timer = setTimeout(() => this.onTimeout(child, job), this.jobTimeoutMs);
    child.process.send({ id: job.id, job: job.job });
  }

  private startChild(): void {
    let resolveExit!: () => void;
    const exitPromise = new Promise<void>((resolve) => {
      resolveExit = resolve;
    });
    this.exits.add(exitPromise);
    let child: RunningChild | null = null;
    let exited = false;
    const onExit = (description: string) => {
      if (exited) return;
      exited = true;
      this.exits.delete(exitPromise);
      resolveExit();
      if (child) this.onChildGone(child, description);
    };
    let process: DecoderProcess;
    try {
      process = this.host.start({
        message: (message) => {
          if (child) this.onMessage(child, message);
        },
        exit: onExit,
      });
    } catch (error) {
      exited = true;
      this.exits.delete(exitPromise);
      resolveExit();
      this.failQueued(`the image decoder ${this.host.kind} could not be started (${(error as Error).message})`);
      return;
    }
    const started: RunningChild = {
      process,
      ready: false,
      startTimer: setTimeout(() => {
        if (this.child === started && !started.ready) {
          this.stopChild();
          this.failQueued(
            `the image decoder ${this.host.kind} did not start within ${Math.round(this.startTimeoutMs / 1000)} s`,
          );
        }
      }, this.startTimeoutMs),
    };
    child = started;
    // Starting is waiting for 'ready', not work: it must not keep a CLI alive on its own.
    started.startTimer.unref();
    this.child = started;
    if (exited) this.onChildGone(child, 'exited at once');
    else process.setBusy(true);
  }

  private onMessage(child: RunningChild, message: unknown): void {
    if (this.child !== child) return; // a process already replaced
    if (!child.ready) {
      if (isReadyMessage(message)) {
        child.ready = true;
        clearTimeout(child.startTimer);
        this.pump();
        if (this.inFlight.size === 0) child.process.setBusy(false);
      } else {
        this.stopChild();
        this.startFailed('sent a message before it was ready');
      }
      return;
    }
    const response = parseDecodeResponse(message);
    const job = response ? this.inFlight.get(response.id) : undefined;
    if (!response || !job) {
      this.abandonChild(child, response ? 'answered a job it was not given' : 'sent a malformed message');
      return;
    }
    this.settle(child, job);
    if (!response.ok) {
      job.reject(rebuildError(response.error));
    } else {
      const problem = checkResult(job.job, response.result);
      if (problem) {
        job.reject(
          new ImageDecoderProcessError(
            'invalid_response',
            `the image decoder ${this.host.kind} returned an inconsistent result (${problem}); it was stopped`,
          ),
        );
        // Nothing else it answers can be believed either: what was beside it runs again in a new process.
        this.replaceChild(child, false);
        return;
      }
      this.failedStarts = 0;
      job.resolve(response.result);
    }
    this.pump();
  }

  private settle(child: RunningChild, job: PendingJob): void {
    clearTimeout(job.timer);
    this.inFlight.delete(job.id);
    if (this.inFlight.size === 0 && this.queue.length === 0) child.process.setBusy(false);
  }

  private onTimeout(child: RunningChild, job: PendingJob): void {
    if (this.child !== child || !this.inFlight.has(job.id)) return;
    this.settle(child, job);
    job.reject(
      new ImageDecoderProcessError(
        'timeout',
        `the image decoder ${this.host.kind} spent more than ${Math.round(this.jobTimeoutMs / 1000)} s on this image and was stopped; a new one starts for the next image`,
      ),
    );
    // Jobs beside it were only caught up in the stop: they go back to the queue as they were.
    this.replaceChild(child, false);
  }

  /**
   * The process broke the protocol without saying for which job: like a crash, the job alone in flight fails, and
   * jobs that were several run again one by one, so only the image behind it fails.
   */
  private abandonChild(child: RunningChild, what: string): void {
    const victims = [...this.inFlight.values()];
    if (victims.length === 1) {
      this.settle(child, victims[0]);
      victims[0].reject(
        new ImageDecoderProcessError('invalid_response', `the image decoder ${this.host.kind} ${what}; it was stopped`),
      );
    }
    this.replaceChild(child, true);
  }

  private onChildGone(child: RunningChild, description: string): void {
    if (this.child !== child) return; // already replaced (a timeout, a protocol error) or disposed
    clearTimeout(child.startTimer);
    this.child = null;
    if (this.disposed) return;
    if (!child.ready) {
      this.startFailed(`ended before it was ready (${description})`);
      return;
    }
    const victims = [...this.inFlight.values()];
    this.inFlight.clear();
    const crashed = (job: PendingJob) => {
      clearTimeout(job.timer);
      job.reject(
        new ImageDecoderProcessError(
          'crashed',
          `the image decoder ${this.host.kind} ended while decoding this image (${description}); a new one starts for the next image`,
        ),
      );
    };
    if (victims.length === 1 || victims.some((job) => job.suspect)) {
      // Alone in flight (a suspect always is): this image is the culprit.
      victims.forEach(crashed);
    } else {
      // Several were in flight: each runs again alone, so only the image that crashes it fails.
      for (const job of victims.reverse()) {
        clearTimeout(job.timer);
        job.suspect = true;
        this.queue.unshift(job);
      }
    }
    this.pump();
  }

  /** Stops a process and, unless disposed, lets the next job start a new one; `suspect` marks what was in flight. */
  private replaceChild(child: RunningChild, suspect: boolean): void {
    if (this.child !== child) return;
    for (const job of [...this.inFlight.values()].reverse()) {
      clearTimeout(job.timer);
      job.suspect = job.suspect || suspect;
      this.queue.unshift(job);
    }
    this.inFlight.clear();
    this.stopChild();
    this.pump();
  }

  private stopChild(): void {
    const child = this.child;
    if (!child) return;
    this.child = null;
    clearTimeout(child.startTimer);
    child.process.setBusy(false);
    child.process.kill();
  }

  /** A process that never became ready: try again for the queued jobs, up to MAX_FAILED_STARTS in a row. */
  private startFailed(what: string): void {
    this.failedStarts += 1;
    if (this.failedStarts >= MAX_FAILED_STARTS) {
      this.failedStarts = 0;
      this.failQueued(`the image decoder ${this.host.kind} ${what}`);
      return;
    }
    this.pump();
  }

  private failQueued(message: string): void {
    const jobs = this.queue.splice(0);
    for (const job of jobs) job.reject(new ImageDecoderProcessError('start_failed', message));
  }
}

function isReadyMessage(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === READY_MESSAGE.type;
}

/** An error as it crosses a boundary (the decoder process, the import worker's relay). */
export function toDecodeFailure(error: unknown): DecodeFailure {
  if (error instanceof ImageAspectRatioError)
    return { name: error.name, message: error.message, width: error.width, height: error.height };
  if (error instanceof ImageDecoderProcessError)
    return { name: error.name, message: error.message, reason: error.reason };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** The decoder's error as the class callers already catch (image-prep.ts), with the same message. */
export function rebuildError(failure: DecodeFailure): Error {
  if (failure.name === 'ImagePrepError') return new ImagePrepError(failure.message);
  if (failure.name === 'ImageAspectRatioError' && failure.width !== undefined && failure.height !== undefined)
    return new ImageAspectRatioError(failure.width, failure.height);
  if (failure.name === 'ImageDecoderProcessError' && isFailureReason(failure.reason))
    return new ImageDecoderProcessError(failure.reason, failure.message);
  return Object.assign(new Error(failure.message), { name: failure.name });
}
